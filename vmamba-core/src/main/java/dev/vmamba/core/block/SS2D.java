package dev.vmamba.core.block;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.norm.Dropout;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.PairList;
import dev.vmamba.core.config.ForwardType;
import dev.vmamba.core.config.OutNorm;
import dev.vmamba.core.config.SsmInit;
import dev.vmamba.core.config.VMambaConfig;
import dev.vmamba.core.nn.Activation;
import dev.vmamba.core.nn.Conv2d;
import dev.vmamba.core.nn.Initializers;
import dev.vmamba.core.nn.LayerNorm;
import dev.vmamba.core.nn.Linear;
import dev.vmamba.core.nn.StateDictBlock;
import dev.vmamba.core.scan.CrossScanInputs;
import dev.vmamba.core.scan.ScanMode;
import dev.vmamba.core.scan.ScanSelector;
import dev.vmamba.core.scan.SelectiveScan;

/**
 * The 2-D selective-scan module (SS2D, spec §3.4–§3.5), VMamba's token mixer: project, depthwise
 * conv + activation, cross-scan into four directional sequences, per-direction input-dependent
 * projections to (Δ, B, C), selective scan, cross-merge, out-norm, optional gate, project back.
 *
 * <p>Keys (official {@code op.} names): {@code x_proj_weight (K, R+2N, D)}, {@code A_logs (K·D,
 * N)}, {@code Ds (K·D)}, {@code dt_projs_weight (K, D, R)}, {@code dt_projs_bias (K, D)}, {@code
 * in_proj.weight}, {@code conv2d.weight/bias}, {@code out_norm.weight/bias}, {@code
 * out_proj.weight}. Activations are channel-last in and out. The scan implementation comes from the
 * {@code scanFor} function, chosen per call by the owning model.
 */
public final class SS2D extends StateDictBlock {

    private static final int K = VMambaConfig.DIRECTIONS;

    private final int dModel;
    private final int dInner;
    private final int dState;
    private final int dtRank;
    private final ForwardType forwardType;
    private final Activation act;
    private final double dropRate;
    private final Parameter xProjWeight;
    private final Parameter aLogs;
    private final Parameter ds;
    private final Parameter dtProjsWeight;
    private final Parameter dtProjsBias;
    private final Linear inProj;
    private final Conv2d conv2d;
    private final LayerNorm outNorm;
    private final Linear outProj;
    private final ScanSelector scanFor;

    /**
     * Builds the SS2D of one stage.
     *
     * @param config the model config
     * @param stage the stage index (decides d_model, d_inner, R)
     * @param scanFor picks the selective scan for an input array (device, training mode)
     */
    public SS2D(VMambaConfig config, int stage, ScanSelector scanFor) {
        this.dModel = config.stageDim(stage);
        this.dInner = config.dInner(stage);
        this.dState = config.dState();
        this.dtRank = config.dtRank(stage);
        this.forwardType = config.forwardType();
        this.act = config.effectiveSsmAct();
        this.dropRate = config.ssmDropRate();
        this.scanFor = scanFor;
        if (dInner < 1) {
            throw new IllegalArgumentException(
                    "SSM_RATIO " + config.ssmRatio() + " gives d_inner 0 at stage " + stage);
        }
        SsmInit init = config.ssmInit();
        int d = dInner;
        int r = dtRank;
        int n = dState;
        xProjWeight =
                registerParameter(
                        "x_proj_weight",
                        Parameter.Type.WEIGHT,
                        new Shape(K, r + 2L * n, d),
                        Initializers.torchDefault(d));
        aLogs =
                registerParameter(
                        "A_logs",
                        Parameter.Type.OTHER,
                        new Shape((long) K * d, n),
                        init == SsmInit.V0
                                ? Initializers.s4dRealLogA()
                                : init == SsmInit.V1 ? normal(1.0) : Initializers.zeros());
        ds =
                registerParameter(
                        "Ds", Parameter.Type.OTHER, new Shape((long) K * d), Initializers.ones());
        dtProjsWeight =
                registerParameter(
                        "dt_projs_weight",
                        Parameter.Type.WEIGHT,
                        new Shape(K, d, r),
                        init == SsmInit.V0
                                ? Initializers.uniform(Math.pow(r, -0.5))
                                : dtAlternative(init));
        dtProjsBias =
                registerParameter(
                        "dt_projs_bias",
                        Parameter.Type.OTHER,
                        new Shape(K, d),
                        init == SsmInit.V0
                                ? Initializers.inverseSoftplusDt(0.001, 0.1, 1e-4)
                                : dtAlternative(init));
        boolean v0 = forwardType.kind() == ForwardType.Kind.V0;
        int kernel = config.effectiveConvKernel();
        if (v0) {
            inProj = registerModule("in_proj", new Linear(dModel, 2L * d, false));
            conv2d = registerModule("conv2d", depthwise(d, kernel, true));
            outNorm = registerModule("out_norm", new LayerNorm(d));
        } else {
            outNorm =
                    forwardType.outNorm() == OutNorm.LAYER_NORM
                            ? registerModule("out_norm", new LayerNorm(d))
                            : null;
            inProj =
                    registerModule(
                            "in_proj", new Linear(dModel, forwardType.gated() ? 2L * d : d, false));
            conv2d =
                    kernel > 1
                            ? registerModule(
                                    "conv2d", depthwise(d, kernel, config.effectiveConvBias()))
                            : null;
        }
        outProj = registerModule("out_proj", new Linear(d, dModel, false));
    }

    private static Conv2d depthwise(int channels, int kernel, boolean bias) {
        return new Conv2d(channels, channels, kernel, 1, (kernel - 1) / 2, channels, bias);
    }

    private static Initializer normal(double std) {
        return (m, shape, type) -> m.randomNormal(0f, (float) std, shape, type);
    }

    private static Initializer dtAlternative(SsmInit init) {
        return init == SsmInit.V1
                ? normal(0.1)
                : (m, shape, type) -> m.randomUniform(0f, 1f, shape, type).mul(0.1f);
    }

    /**
     * @return d_inner of this module
     */
    public int dInner() {
        return dInner;
    }

    /**
     * Applies SS2D.
     *
     * @param store the parameter store
     * @param x {@code (B, H, W, C)} channel-last
     * @param training whether this is a training pass
     * @return {@code (B, H, W, C)}
     */
    public NDArray apply(ParameterStore store, NDArray x, boolean training) {
        Shape s = x.getShape();
        if (s.dimension() != 4 || s.get(3) != dModel) {
            throw new IllegalArgumentException(
                    "SS2D expects (B, H, W, " + dModel + ") channel-last, got " + s);
        }
        long b = s.get(0);
        long h = s.get(1);
        long w = s.get(2);
        long l = h * w;
        int d = dInner;

        // 1. in_proj and gate
        NDArray xz = inProj.apply(store, x, training);
        NDArray xi = xz;
        NDArray z = null;
        if (forwardType.gated()) {
            xi = xz.get(":, :, :, 0:" + d);
            z = xz.get(":, :, :, " + d + ":");
            if (forwardType.gateActivated()) {
                z = act.apply(z);
            }
        }
        // 2. depthwise conv + activation, channel-first (B, D, H, W)
        xi = xi.transpose(0, 3, 1, 2);
        if (conv2d != null) {
            xi = conv2d.apply(store, xi, training);
        }
        xi = act.apply(xi);

        // 3-8. cross-scan, projections, selective scan, cross-merge
        NDArray y =
                core(
                        xi,
                        value(store, xProjWeight, x, training),
                        value(store, dtProjsWeight, x, training),
                        value(store, dtProjsBias, x, training),
                        value(store, aLogs, x, training),
                        value(store, ds, x, training),
                        forwardType.scanMode(),
                        scanFor.select(x, training));
        y = y.reshape(b, d, h, w).transpose(0, 2, 3, 1); // (B, H, W, D)

        // out-norm, out activation, gate, out_proj
        if (outNorm != null) {
            y = outNorm.apply(store, y, training);
        } else if (forwardType.outNorm() == OutNorm.SIGMOID) {
            y = Activation.SIGMOID.apply(y);
        }
        if (forwardType.outActivation()) {
            y = Activation.GELU.apply(y);
        }
        if (z != null) {
            y = y.mul(z);
        }
        NDArray out = outProj.apply(store, y, training);
        if (training && dropRate > 0) {
            out = Dropout.dropout(out, (float) dropRate, true).singletonOrThrow();
        }
        return out;
    }

    /**
     * The SS2D core (spec §3.4 steps 3–7): cross-scan, per-direction projections, selective scan
     * and cross-merge.
     *
     * @param u {@code (B, D, H, W)} the activated conv output
     * @param xProjWeight {@code (K, R+2N, D)}
     * @param dtProjsWeight {@code (K, D, R)}
     * @param dtProjsBias {@code (K, D)}
     * @param aLogs {@code (K·D, N)}
     * @param ds {@code (K·D)}
     * @param mode the scan directions
     * @param scan the selective-scan implementation
     * @return {@code (B, D, H·W)} merged output, float32
     */
    public static NDArray core(
            NDArray u,
            NDArray xProjWeight,
            NDArray dtProjsWeight,
            NDArray dtProjsBias,
            NDArray aLogs,
            NDArray ds,
            ScanMode mode,
            SelectiveScan scan) {
        Shape s = u.getShape();
        long b = s.get(0);
        long d = s.get(1);
        long l = s.get(2) * s.get(3);
        long r = dtProjsWeight.getShape().get(2);
        long n = aLogs.getShape().get(1);

        // The per-direction projections are computed in pixel order: column l of direction k's
        // sequence is pixel index[k][l], and a projection acts on each column independently, so
        // projecting first and permuting later gives the same numbers as the official order.
        NDArray flat = u.reshape(b, 1, d, l);
        NDArray xDbl = xProjWeight.matMul(flat); // (K, R+2N, D) x (B, 1, D, L) -> (B, K, R+2N, L)
        NDArray dts = dtProjsWeight.matMul(xDbl.get(":, :, 0:" + r)); // -> (B, K, D, L)
        NDArray bs = xDbl.get(":, :, " + r + ":" + (r + n));
        NDArray cs = xDbl.get(":, :, " + (r + n) + ":");
        NDArray a = aLogs.exp().neg();
        return scan.crossScanMerge(
                new CrossScanInputs(u, dts, a, bs, cs, ds, dtProjsBias.reshape(K * d), true, mode));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        return new NDList(apply(store, single(inputs, "SS2D"), training));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }
}
