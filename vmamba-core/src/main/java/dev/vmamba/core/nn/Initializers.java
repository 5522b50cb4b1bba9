package dev.vmamba.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.initializer.Initializer;

/**
 * The official VMamba parameter initialisations (spec §6, {@code ssm_init = "v0"}), as DJL {@link
 * Initializer}s. Only the distributions are reproduced; random streams differ from PyTorch's.
 */
public final class Initializers {

    private Initializers() {}

    /** Ones (LayerNorm weights, {@code Ds}). */
    public static Initializer ones() {
        return Initializer.ONES;
    }

    /** Zeros (LayerNorm and Linear biases). */
    public static Initializer zeros() {
        return Initializer.ZEROS;
    }

    /**
     * timm's {@code trunc_normal_(std)} with the absolute cut at ±2 used by VMamba (for std 0.02
     * the cut never binds): every {@code nn.Linear} / {@code Linear2d} weight.
     *
     * @param std the standard deviation
     * @return the initializer
     */
    public static Initializer truncNormal(double std) {
        return (manager, shape, dataType) ->
                manager.randomNormal(0f, (float) std, shape, dataType).clip(-2.0, 2.0);
    }

    /**
     * {@code U(-bound, bound)}.
     *
     * @param bound the half width
     * @return the initializer
     */
    public static Initializer uniform(double bound) {
        return (manager, shape, dataType) ->
                manager.randomUniform((float) -bound, (float) bound, shape, dataType);
    }

    /**
     * PyTorch's default for convolution and linear weights and biases: kaiming-uniform with {@code
     * a = sqrt(5)}, which is {@code U(±1/sqrt(fan_in))}.
     *
     * @param fanIn input channels per group times the kernel area
     * @return the initializer
     */
    public static Initializer torchDefault(long fanIn) {
        return uniform(1.0 / Math.sqrt(fanIn));
    }

    /**
     * S4D-real initialisation of {@code A_logs (K·D, N)}: every row is {@code ln(1..N)}, so {@code
     * A = -exp(A_logs) = -(1..N)}.
     *
     * @return the initializer
     */
    public static Initializer s4dRealLogA() {
        return (manager, shape, dataType) -> {
            long rows = shape.get(0);
            long n = shape.get(1);
            try (NDManager tmp = manager.newSubManager()) {
                NDArray logs = tmp.arange(1f, n + 1f, 1f, DataType.FLOAT32).log();
                NDArray out = logs.reshape(1, n).repeat(0, rows).toType(dataType, true);
                out.attach(manager);
                return out;
            }
        };
    }

    /**
     * Initialises {@code dt_projs_bias} so that {@code softplus(bias)} is log-uniform in {@code
     * [dtMin, dtMax]}, floored at {@code dtFloor}: {@code dt = exp(U(ln dtMin, ln dtMax))}, {@code
     * bias = dt + ln(-expm1(-dt))}.
     *
     * @param dtMin lower end (official 0.001)
     * @param dtMax upper end (official 0.1)
     * @param dtFloor clamp (official 1e-4)
     * @return the initializer
     */
    public static Initializer inverseSoftplusDt(double dtMin, double dtMax, double dtFloor) {
        return (manager, shape, dataType) -> {
            try (NDManager tmp = manager.newSubManager()) {
                NDArray u =
                        tmp.randomUniform(
                                (float) Math.log(dtMin),
                                (float) Math.log(dtMax),
                                shape,
                                DataType.FLOAT64);
                NDArray dt = u.exp().maximum(dtFloor);
                // ln(-expm1(-dt)) = ln(1 - exp(-dt)); dt >= 1e-4 keeps 1 - exp(-dt) well away from
                // 0
                NDArray inv = dt.add(dt.neg().exp().neg().add(1.0).log());
                NDArray out = inv.toType(dataType, true);
                out.attach(manager);
                return out;
            }
        };
    }

    /** Shape helper for fan-in computations: product of all axes but the first. */
    static long fanIn(Shape weightShape) {
        long f = 1;
        for (int i = 1; i < weightShape.dimension(); i++) {
            f *= weightShape.get(i);
        }
        return f;
    }
}
