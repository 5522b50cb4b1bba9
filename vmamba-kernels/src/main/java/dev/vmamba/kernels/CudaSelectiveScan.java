package dev.vmamba.kernels;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import dev.vmamba.core.scan.CrossScanInputs;
import dev.vmamba.core.scan.ScanBackend;
import dev.vmamba.core.scan.ScanGradients;
import dev.vmamba.core.scan.ScanInputs;
import dev.vmamba.core.scan.ScanOutput;
import dev.vmamba.core.scan.SelectiveScan;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The {@link ScanBackend#CUDA} selective scan: the kernels of this module behind core's {@link
 * SelectiveScan} interface, on DJL PyTorch-engine GPU tensors without host copies.
 *
 * <p>Per call it makes non-contiguous inputs dense (a device copy, released after the call), picks
 * the launch configuration -- the caller's forced fields from {@link ScanTuning}, the rest
 * autotuned once per device and shape ({@link ScanAutotuner}) or taken from the heuristic table --
 * and runs {@link SelectiveScanKernels}. {@link #crossScanMerge} uses the fused kernel when {@link
 * ScanTuning#fusedCrossScan()} is on (off by default: it measured slower than the unfused core, see
 * docs/BENCHMARKS.md).
 *
 * <p>Numerics: float32 arithmetic throughout (half inputs converted on load, state in float32),
 * {@code exp} through the hardware {@code ex2.approx} as in the official kernels; gradients of B,
 * C, A, D and delta_bias are summed with float atomics, so their last bits vary between runs.
 */
public final class CudaSelectiveScan implements SelectiveScan {

    /**
     * {@code -Dvmamba.cuda.autotune=false} turns timing off process-wide: every free launch field
     * then comes from the heuristic table (deterministic configurations, no tuning time).
     */
    public static final boolean AUTOTUNE_ENABLED =
            Boolean.parseBoolean(System.getProperty("vmamba.cuda.autotune", "true"));

    private final ScanTuning tuning;
    private final ScanAutotuner tuner;
    private final Map<HeuristicKey, LaunchConfig> heuristics = new ConcurrentHashMap<>();

    /** Autotuned launch configurations, fused cross-scan. */
    public CudaSelectiveScan() {
        this(ScanTuning.AUTO);
    }

    /**
     * @param tuning which launch fields are forced and whether the rest is timed
     */
    public CudaSelectiveScan(ScanTuning tuning) {
        this.tuning = tuning;
        this.tuner = ScanAutotuner.shared();
    }

    /**
     * @return the tuning of this scan
     */
    public ScanTuning tuning() {
        return tuning;
    }

    @Override
    public ScanBackend backend() {
        return ScanBackend.CUDA;
    }

    @Override
    public boolean supports(Device device) {
        return Device.Type.GPU.equals(device.getDeviceType()) && CudaKernels.isAvailable();
    }

    @Override
    public ScanOutput forward(ScanInputs inputs, boolean returnLastState) {
        return forward(inputs, returnLastState, DataType.FLOAT32);
    }

    /**
     * Forward with a choice of output type (the official "oflex" behaviour): float32, or the
     * inputs' half type.
     *
     * @param inputs the arguments, on a GPU
     * @param returnLastState whether to return the final state (float32)
     * @param outputType float32 or the inputs' element type
     * @return y and optionally the last state
     */
    public ScanOutput forward(ScanInputs inputs, boolean returnLastState, DataType outputType) {
        return runForward(inputs, returnLastState, outputType, false);
    }

    /**
     * The forward for training (float32 output): it also saves the state entering every chunk of
     * the backward's launch configuration ({@link ChunkStates}), so that {@link
     * #backward(ScanInputs, NDArray, ScanOutput)} skips the backward's state-only forward passes.
     * The backward configuration is the one the two-argument backward would use (autotuned on the
     * first call of a shape, timing the backward with a dy of ones). Where the forward's
     * configuration cannot write those states (one thread-per-row and one warp-per-row, or a
     * backward chunk that is not a whole number of the forward's register groups) the output has no
     * residuals and the backward recomputes.
     */
    @Override
    public ScanOutput forwardForBackward(ScanInputs inputs, boolean returnLastState) {
        return runForward(inputs, returnLastState, DataType.FLOAT32, true);
    }

    @Override
    public ScanGradients backward(ScanInputs inputs, NDArray dy) {
        return runBackward(inputs, dy, null);
    }

    /**
     * The backward from the chunk states {@link #forwardForBackward} saved: no state pass, the
     * configuration they were saved for. Without {@link ChunkStates} residuals it recomputes.
     *
     * @throws IllegalArgumentException if the states were saved for other arrays than {@code
     *     inputs} (the same arrays must be passed, not copies), were closed, or do not fit
     */
    @Override
    public ScanGradients backward(ScanInputs inputs, NDArray dy, ScanOutput forward) {
        if (forward == null || !(forward.residuals() instanceof ChunkStates saved)) {
            return runBackward(inputs, dy, null);
        }
        if (!saved.savedFor(inputs)) {
            throw new IllegalArgumentException(
                    "the saved chunk states belong to the forward of other arrays; pass the"
                            + " backward the same inputs as forwardForBackward");
        }
        return runBackward(inputs, dy, saved);
    }

    /**
     * A forward call: dense inputs in a temporary manager, the configuration, the launch plan, and
     * with {@code save} the backward's chunk states (remembering the caller's arrays, not the dense
     * copies, for the backward's check); the results go to u's manager.
     */
    private ScanOutput runForward(
            ScanInputs inputs, boolean returnLastState, DataType outputType, boolean save) {
        NDManager owner = inputs.u().getManager();
        try (NDManager tmp = owner.newSubManager()) {
            ScanInputs in = dense(inputs, tmp);
            LaunchConfig fwd = forwardConfig(in, returnLastState, outputType);
            LaunchConfig saveFor = null;
            if (save) {
                LaunchConfig bwd = backwardConfig(in, DataType.FLOAT32, null, tmp);
                saveFor = SelectiveScanKernels.canSave(fwd, bwd) ? bwd : null;
            }
            ScanOutput out =
                    SelectiveScanKernels.forward(in, returnLastState, outputType, fwd, saveFor);
            if (out.residuals() instanceof ChunkStates cs) {
                out =
                        new ScanOutput(
                                out.y(),
                                out.lastState(),
                                new ChunkStates(cs.states(), cs.backwardConfig(), inputs));
            }
            attach(out, owner);
            return out;
        }
    }

    /** A backward call, recomputing ({@code saved} null) or from saved chunk states. */
    private ScanGradients runBackward(ScanInputs inputs, NDArray dy, ChunkStates saved) {
        NDManager owner = inputs.u().getManager();
        try (NDManager tmp = owner.newSubManager()) {
            ScanInputs in = dense(inputs, tmp);
            NDArray g = DevicePointers.contiguous(dy, tmp);
            ScanGradients out =
                    saved == null
                            ? SelectiveScanKernels.backward(
                                    in, g, backwardConfig(in, g.getDataType(), g, tmp))
                            : SelectiveScanKernels.backward(
                                    in, g, saved.backwardConfig(), saved.states());
            out.arrays().forEach(x -> x.attach(owner));
            return out;
        }
    }

    private LaunchConfig forwardConfig(
            ScanInputs in, boolean returnLastState, DataType outputType) {
        return config(
                ScanOp.FORWARD,
                in,
                outputType.toString(),
                c -> SelectiveScanKernels.forward(in, returnLastState, outputType, c).close());
    }

    /**
     * The backward's configuration for a dy of this type; when it has to be timed, the trials run
     * with {@code dy}, or without one (the training forward) with a dy of ones in a sub-manager of
     * {@code tmp}.
     */
    private LaunchConfig backwardConfig(ScanInputs in, DataType dyType, NDArray dy, NDManager tmp) {
        return config(
                ScanOp.BACKWARD,
                in,
                dyType.toString(),
                c -> {
                    if (dy != null) {
                        SelectiveScanKernels.backward(in, dy, c).close();
                        return;
                    }
                    try (NDManager trial = tmp.newSubManager()) {
                        NDArray ones = trial.ones(in.u().getShape(), dyType, in.device());
                        SelectiveScanKernels.backward(in, ones, c).close();
                    }
                });
    }

    private static void attach(ScanOutput out, NDManager owner) {
        out.y().attach(owner);
        if (out.lastState() != null) {
            out.lastState().attach(owner);
        }
        if (out.residuals() != null) {
            out.residuals().arrays().forEach(x -> x.attach(owner));
        }
    }

    @Override
    public NDArray crossScanMerge(CrossScanInputs inputs) {
        if (!tuning.fusedCrossScan()) {
            // the unfused SS2D core; its four-direction temporaries are released here
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                NDArray y = SelectiveScan.super.crossScanMerge(inputs);
                NDScope.unregister(y);
                return y;
            }
        }
        NDManager owner = inputs.u().getManager();
        try (NDManager tmp = owner.newSubManager()) {
            CrossScanInputs in =
                    new CrossScanInputs(
                            DevicePointers.contiguous(inputs.u(), tmp),
                            DevicePointers.contiguous(inputs.delta(), tmp),
                            DevicePointers.contiguous(inputs.a(), tmp),
                            DevicePointers.contiguous(inputs.b(), tmp),
                            DevicePointers.contiguous(inputs.c(), tmp),
                            dense(inputs.d(), tmp),
                            dense(inputs.deltaBias(), tmp),
                            inputs.deltaSoftplus(),
                            inputs.mode());
            ScanShape s = crossShape(in);
            String label = in.u().getDataType() + "/" + in.mode();
            Device device = in.u().getDevice();
            SelectiveScanKernels.requireGpu(device);
            CudaDevice dev = CudaKernels.device(device.getDeviceId());
            LaunchConfig cfg;
            if (autotune()) {
                cfg =
                        tuner.choose(
                                ScanAutotuner.key(device, ScanOp.CROSS_FORWARD, s, label, tuning),
                                device,
                                () ->
                                        LaunchConfigs.candidates(
                                                ScanOp.CROSS_FORWARD,
                                                s,
                                                tuning,
                                                dev.multiprocessors(),
                                                dev.maxSharedBytes()),
                                c -> SelectiveScanKernels.crossScanMerge(in, c).close());
            } else {
                cfg = heuristic(ScanOp.CROSS_FORWARD, s, dev);
            }
            NDArray y = SelectiveScanKernels.crossScanMerge(in, cfg);
            y.attach(owner);
            return y;
        }
    }

    /**
     * The heuristic configuration, remembered per operation and shape (working it out tries
     * configurations until one fits, which is slow next to a small scan).
     */
    private LaunchConfig heuristic(ScanOp op, ScanShape s, CudaDevice dev) {
        return heuristics.computeIfAbsent(
                new HeuristicKey(op, s, dev.ordinal()),
                k ->
                        LaunchConfigs.heuristic(
                                op, s, tuning, dev.multiprocessors(), dev.maxSharedBytes()));
    }

    private record HeuristicKey(ScanOp op, ScanShape shape, int device) {}

    private boolean autotune() {
        return AUTOTUNE_ENABLED && tuning.autotune() && !tuning.fullyForced();
    }

    /** The sizes of a problem, from shapes only (the facade checks everything else). */
    private static ScanShape shape(ScanInputs in) {
        long b = in.u().getShape().get(0);
        long c = in.u().getShape().get(1);
        long l = in.u().getShape().get(2);
        long g = in.b().getShape().get(1);
        long n = in.a().getShape().get(1);
        SelectiveScanKernels.requireSizes(b, c, g, n, l);
        return new ScanShape((int) b, (int) c, (int) g, (int) n, (int) l);
    }

    private static ScanShape crossShape(CrossScanInputs in) {
        long b = in.u().getShape().get(0);
        long d = in.u().getShape().get(1);
        long l = in.u().getShape().get(2) * in.u().getShape().get(3);
        long k = CrossScanInputs.K;
        SelectiveScanKernels.requireSizes(b, k * d, k, in.a().getShape().get(1), l);
        return new ScanShape(
                (int) b, (int) (k * d), (int) k, (int) in.a().getShape().get(1), (int) l);
    }

    private LaunchConfig config(
            ScanOp op, ScanInputs in, String dtype, Consumer<LaunchConfig> trial) {
        ScanShape s = shape(in);
        Device device = in.device();
        SelectiveScanKernels.requireGpu(device);
        CudaDevice dev = CudaKernels.device(device.getDeviceId());
        if (!autotune()) {
            return heuristic(op, s, dev);
        }
        return tuner.choose(
                tuningKey(op, in, s, dtype),
                device,
                () ->
                        LaunchConfigs.candidates(
                                op, s, tuning, dev.multiprocessors(), dev.maxSharedBytes()),
                trial);
    }

    /**
     * The launch configuration this scan uses for an operation on these inputs: the autotuned
     * choice once a call has tuned it, else the heuristic one.
     *
     * @param op {@link ScanOp#FORWARD} or {@link ScanOp#BACKWARD}
     * @param in the arguments, on a GPU
     * @param type the output type (forward) or dy's type (backward)
     * @return the configuration
     */
    public LaunchConfig configFor(ScanOp op, ScanInputs in, DataType type) {
        String dtype = type.toString();
        ScanShape s = shape(in);
        Device device = in.device();
        SelectiveScanKernels.requireGpu(device);
        CudaDevice dev = CudaKernels.device(device.getDeviceId());
        LaunchConfig hit = autotune() ? tuner.cached(tuningKey(op, in, s, dtype)) : null;
        return hit != null ? hit : heuristic(op, s, dev);
    }

    /** The autotuner's cache key: device, operation, sizes, element types and optional inputs. */
    private ScanAutotuner.Key tuningKey(ScanOp op, ScanInputs in, ScanShape s, String dtype) {
        String label =
                in.u().getDataType()
                        + "/"
                        + dtype
                        + (in.d() != null ? "/D" : "")
                        + (in.deltaBias() != null ? "/bias" : "");
        return ScanAutotuner.key(in.device(), op, s, label, tuning);
    }

    private static ScanInputs dense(ScanInputs in, NDManager tmp) {
        if (isDense(in.u())
                && isDense(in.delta())
                && isDense(in.a())
                && isDense(in.b())
                && isDense(in.c())
                && isDense(in.d())
                && isDense(in.deltaBias())) {
            return in; // the common case: no copy, and no second validation of the record
        }
        return new ScanInputs(
                DevicePointers.contiguous(in.u(), tmp),
                DevicePointers.contiguous(in.delta(), tmp),
                DevicePointers.contiguous(in.a(), tmp),
                DevicePointers.contiguous(in.b(), tmp),
                DevicePointers.contiguous(in.c(), tmp),
                dense(in.d(), tmp),
                dense(in.deltaBias(), tmp),
                in.deltaSoftplus());
    }

    private static boolean isDense(NDArray x) {
        return x == null || DevicePointers.isContiguous(x);
    }

    private static NDArray dense(NDArray x, NDManager tmp) {
        return x == null ? null : DevicePointers.contiguous(x, tmp);
    }

    @Override
    public String toString() {
        return "CudaSelectiveScan(" + tuning + ")";
    }
}
