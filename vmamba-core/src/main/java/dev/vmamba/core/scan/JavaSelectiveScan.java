package dev.vmamba.core.scan;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fast CPU selective scan: the recurrence in plain Java on float arrays, spread over all cores,
 * each channel's N states held in registers, no NDArray call per step.
 *
 * <p>Work is split into blocks of channels of one B/C group of one batch row. When the {@code
 * jdk.incubator.vector} module is present ({@code --add-modules jdk.incubator.vector}) a block is
 * one vector register of channels ({@link VectorScanKernel}); otherwise, and for channels left over
 * when a group is not a multiple of the vector width, the scalar kernel runs. Which kernel is used
 * is logged once and reported by {@link #kernelName()}.
 */
public final class JavaSelectiveScan implements SelectiveScan {

    private static final Logger LOG = LoggerFactory.getLogger(JavaSelectiveScan.class);
    private static final long MAX_ELEMENTS = Integer.MAX_VALUE - 64;

    /** Channels per work item of the scalar kernel. */
    private static final int SCALAR_BLOCK = 16;

    private final ScanKernel vector;
    private final ScanKernel scalar = new ScalarScanKernel();
    private final ForkJoinPool pool;

    /** Uses one worker per core and the vector kernel when available. */
    public JavaSelectiveScan() {
        this(Workers.POOL, true);
    }

    /**
     * Creates a scan with explicit resources.
     *
     * @param pool the threads to run on
     * @param allowVector whether the vector kernel may be used
     */
    public JavaSelectiveScan(ForkJoinPool pool, boolean allowVector) {
        this.pool = pool;
        this.vector = allowVector ? VectorSupport.kernel() : null;
    }

    /**
     * @return the name of the kernel used for full channel blocks
     */
    public String kernelName() {
        return vector != null ? vector.name() : scalar.name();
    }

    /**
     * @return whether the Vector API kernel is active
     */
    public static boolean vectorApiAvailable() {
        return VectorSupport.kernel() != null;
    }

    @Override
    public ScanBackend backend() {
        return ScanBackend.JAVA;
    }

    @Override
    public boolean supports(Device device) {
        return Device.Type.CPU.equals(device.getDeviceType());
    }

    @Override
    public ScanOutput forward(ScanInputs in, boolean returnLastState) {
        if (!supports(in.device())) {
            throw new IllegalArgumentException(
                    "the JAVA selective scan runs on CPU tensors only; inputs are on "
                            + in.device()
                            + " (use the CUDA or NDARRAY backend)");
        }
        long perBatch = (long) in.channels() * in.length();
        long perBatchProj = (long) in.groups() * in.dState() * in.length();
        int maxRows = (int) Math.max(1, MAX_ELEMENTS / Math.max(perBatch, perBatchProj));
        if (perBatch > MAX_ELEMENTS || perBatchProj > MAX_ELEMENTS) {
            throw new IllegalArgumentException(
                    "one batch row of the scan has "
                            + perBatch
                            + " elements; the JAVA backend"
                            + " handles at most "
                            + MAX_ELEMENTS);
        }
        if (in.batch() <= maxRows) {
            return runSlice(in, returnLastState);
        }
        // too large for Java arrays at once: scan batch slices and concatenate
        NDList ys = new NDList();
        NDList states = new NDList();
        for (int b0 = 0; b0 < in.batch(); b0 += maxRows) {
            String r = b0 + ":" + Math.min(in.batch(), b0 + maxRows);
            ScanInputs slice =
                    new ScanInputs(
                            in.u().get(r),
                            in.delta().get(r),
                            in.a(),
                            in.b().get(r),
                            in.c().get(r),
                            in.d(),
                            in.deltaBias(),
                            in.deltaSoftplus());
            ScanOutput o = runSlice(slice, returnLastState);
            ys.add(o.y());
            if (returnLastState) {
                states.add(o.lastState());
            }
        }
        return new ScanOutput(
                ai.djl.ndarray.NDArrays.concat(ys, 0),
                returnLastState ? ai.djl.ndarray.NDArrays.concat(states, 0) : null);
    }

    private ScanOutput runSlice(ScanInputs in, boolean returnLastState) {
        NDManager manager = in.u().getManager();
        NDArray y =
                manager.create(new Shape(in.batch(), in.channels(), in.length()), DataType.FLOAT32);
        ScanProblem p = problem(in, writableView(y), returnLastState);
        run(p);
        NDArray last =
                returnLastState
                        ? manager.create(p.lastState, new Shape(p.batch, p.channels, p.dState))
                        : null;
        return new ScanOutput(y, last);
    }

    /**
     * The analytic backward (spec §5.3) on CPU: states are recomputed per channel row, the adjoint
     * runs backwards in time, sums are accumulated in double. Exact to float32 rounding; the twin
     * of the CUDA backward.
     */
    @Override
    public ScanGradients backward(ScanInputs in, NDArray dy) {
        if (!supports(in.device())) {
            throw new IllegalArgumentException(
                    "the JAVA selective scan runs on CPU tensors only; inputs are on "
                            + in.device());
        }
        if (!dy.getShape().equals(in.u().getShape())) {
            throw new IllegalArgumentException(
                    "dy must have u's shape " + in.u().getShape() + ", got " + dy.getShape());
        }
        long rows = (long) in.batch() * in.channels() * in.length();
        long proj = (long) in.batch() * in.groups() * in.dState() * in.length();
        if (rows > MAX_ELEMENTS || proj > MAX_ELEMENTS) {
            throw new IllegalArgumentException(
                    "the JAVA backward handles at most " + MAX_ELEMENTS + " elements per tensor");
        }
        NDManager manager = in.u().getManager();
        ScanProblem p = problem(in, null, false);
        float[] g = floats(dy);
        ScalarScanBackward.Grads grads = new ScalarScanBackward.Grads(p);
        List<int[]> blocks = new ArrayList<>();
        for (int b = 0; b < p.batch; b++) {
            for (int grp = 0; grp < p.groups; grp++) {
                int end = (grp + 1) * p.perGroup;
                for (int c = grp * p.perGroup; c < end; c += SCALAR_BLOCK) {
                    blocks.add(new int[] {b, c, Math.min(SCALAR_BLOCK, end - c)});
                }
            }
        }
        pool.submit(
                        () ->
                                blocks.parallelStream()
                                        .forEach(
                                                blk ->
                                                        ScalarScanBackward.run(
                                                                p, g, grads, blk[0], blk[1],
                                                                blk[2])))
                .join();
        Shape seq = in.u().getShape();
        Shape bc = in.b().getShape();
        return new ScanGradients(
                manager.create(grads.du, seq),
                manager.create(grads.dDelta, seq),
                manager.create(toFloat(grads.dA), in.a().getShape()),
                manager.create(toFloat(grads.dB), bc),
                manager.create(toFloat(grads.dC), bc),
                in.d() == null ? null : manager.create(toFloat(grads.dD), in.d().getShape()),
                in.deltaBias() == null
                        ? null
                        : manager.create(toFloat(grads.dBias), in.deltaBias().getShape()));
    }

    private static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    private static ScanProblem problem(ScanInputs in, FloatBuffer y, boolean wantLastState) {
        return new ScanProblem(
                in.batch(),
                in.channels(),
                in.length(),
                in.dState(),
                in.groups(),
                view(in.u()),
                view(in.delta()),
                floats(in.a()),
                floats(in.b()),
                floats(in.c()),
                in.d() == null ? null : floats(in.d()),
                in.deltaBias() == null ? null : floats(in.deltaBias()),
                in.deltaSoftplus(),
                y,
                wantLastState);
    }

    /**
     * A float view of a CPU tensor's memory (DJL makes a contiguous float32 copy only if needed).
     */
    private static FloatBuffer view(NDArray x) {
        NDArray f = x.getDataType() == DataType.FLOAT32 ? x : x.toType(DataType.FLOAT32, false);
        return f.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    private static FloatBuffer writableView(NDArray y) {
        ByteBuffer b = y.toByteBuffer(true);
        if (!b.isDirect() || b.isReadOnly()) {
            throw new IllegalStateException(
                    "the engine does not expose CPU tensor memory for writing; JAVA scan needs the"
                            + " PyTorch engine");
        }
        return b.order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    private static float[] floats(NDArray x) {
        return x.getDataType() == DataType.FLOAT32
                ? x.toFloatArray()
                : x.toType(DataType.FLOAT32, false).toFloatArray();
    }

    /** Splits the problem into channel blocks and runs them on the pool. */
    void run(ScanProblem p) {
        List<int[]> blocks = new ArrayList<>();
        for (int b = 0; b < p.batch; b++) {
            for (int g = 0; g < p.groups; g++) {
                int start = g * p.perGroup;
                int end = start + p.perGroup;
                int c = start;
                if (vector != null) {
                    for (; c + vector.lanes() <= end; c += vector.lanes()) {
                        blocks.add(new int[] {b, c, vector.lanes(), 1});
                    }
                }
                for (; c < end; c += SCALAR_BLOCK) {
                    blocks.add(new int[] {b, c, Math.min(SCALAR_BLOCK, end - c), 0});
                }
            }
        }
        if (blocks.size() == 1) {
            for (int[] blk : blocks) {
                runBlock(p, blk);
            }
            return;
        }
        pool.invoke(new Blocks(p, blocks, 0, blocks.size()));
    }

    private void runBlock(ScanProblem p, int[] blk) {
        (blk[3] == 1 ? vector : scalar).run(p, blk[0], blk[1], blk[2]);
    }

    /** Recursive halving over the block list. */
    private final class Blocks extends RecursiveAction {
        private static final long serialVersionUID = 1L;
        private final transient ScanProblem p;
        private final transient List<int[]> blocks;
        private final int from;
        private final int to;

        Blocks(ScanProblem p, List<int[]> blocks, int from, int to) {
            this.p = p;
            this.blocks = blocks;
            this.from = from;
            this.to = to;
        }

        @Override
        protected void compute() {
            if (to - from == 1) {
                runBlock(p, blocks.get(from));
                return;
            }
            int mid = (from + to) >>> 1;
            invokeAll(new Blocks(p, blocks, from, mid), new Blocks(p, blocks, mid, to));
        }
    }

    /**
     * The scan's own pool: one daemon worker per core (the common pool has one thread fewer than
     * there are cores, which would leave a core idle while the caller waits).
     */
    static final class Workers {
        static final ForkJoinPool POOL =
                new ForkJoinPool(Runtime.getRuntime().availableProcessors());

        private Workers() {}
    }

    /** Loads the Vector API kernel once, if the incubator module is present. */
    static final class VectorSupport {
        private static final ScanKernel KERNEL = load();

        private VectorSupport() {}

        static ScanKernel kernel() {
            return KERNEL;
        }

        private static ScanKernel load() {
            if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
                LOG.info(
                        "jdk.incubator.vector is not enabled: the JAVA selective scan uses its"
                                + " scalar kernel (run java with --add-modules"
                                + " jdk.incubator.vector for the vector kernel)");
                return null;
            }
            try {
                ScanKernel k = new VectorScanKernel();
                LOG.debug("JAVA selective scan uses the {} kernel", k.name());
                return k;
            } catch (LinkageError e) {
                LOG.warn(
                        "Vector API present but unusable ({}); using the scalar kernel",
                        e.toString());
                return null;
            }
        }
    }
}
