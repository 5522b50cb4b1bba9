package dev.vmamba.kernels;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.vmamba.core.scan.CrossScanInputs;
import dev.vmamba.core.scan.ScanGradients;
import dev.vmamba.core.scan.ScanInputs;
import dev.vmamba.core.scan.ScanMode;
import dev.vmamba.core.scan.ScanOutput;
import dev.vmamba.kernels.ScanParams.Int;
import dev.vmamba.kernels.ScanParams.Ptr;

/**
 * The validating facade over the CUDA kernels: takes NDArrays, checks shapes, element types,
 * devices, contiguity, size limits and the launch configuration, then runs the launch plan of an
 * operation. Nothing is launched before every check passed, so bad arguments end in an {@link
 * IllegalArgumentException}, never in an illegal memory access. No JCuda type appears here or
 * above.
 *
 * <p>Inputs must be contiguous PyTorch-engine arrays on one GPU ({@link CudaSelectiveScan} makes
 * copies where needed). Outputs are created on the device and owned by {@code u}'s manager;
 * temporaries (span carries, checkpoints) live in a sub-manager closed at the end of the call.
 * Everything is queued on the default stream, ordered with DJL operations; nothing is copied to the
 * host.
 *
 * <p>Launch plans:
 *
 * <ul>
 *   <li>forward: one pass per row ({@code ss_fwd}), or with spans: local pass (end state and sum of
 *       step sizes per span, the state-only {@code ss_fwds}), {@code ss_combine} (start state of
 *       every span), final pass;
 *   <li>backward (recompute): states at every chunk start from a state-only forward pass ({@code
 *       ss_fwds} in checkpoint mode, or local pass + combine with spans), with spans also the
 *       reverse carries ({@code ss_bwdlocal} + reverse combine), then {@code ss_bwd}, which rescans
 *       each chunk from its checkpoint and walks it backwards;
 *   <li>training: the forward's final pass also writes the state entering each of the backward's
 *       chunks ({@link ChunkStates}), and the backward from those saved states skips its state
 *       passes (with spans it still computes the reverse carries);
 *   <li>fused cross-scan: the forward plan reading the {@code (B, D, H, W)} activations and the
 *       pixel-order projections through the direction index maps and adding every direction's
 *       output into the merged {@code (B, D, L)} result.
 * </ul>
 */
public final class SelectiveScanKernels {

    /** Longest sequence the kernels index with 32-bit time positions. */
    public static final long MAX_LENGTH = Integer.MAX_VALUE - 1024;

    private static final int COMBINE_THREADS = 128;

    /** Threads per block, and at most this many blocks, of the gradient-zeroing kernel. */
    private static final int ZERO_THREADS = 256;

    private static final long ZERO_MAX_BLOCKS = 1024;

    private SelectiveScanKernels() {}

    /**
     * Forward selective scan.
     *
     * @param in the arguments (contiguous, on one GPU)
     * @param returnLastState whether to return the final state
     * @param outputType {@link DataType#FLOAT32} or the inputs' element type
     * @param config the launch configuration
     * @return {@code y (Bt, C, L)} and optionally the last state {@code (Bt, C, N)} float32
     * @throws IllegalArgumentException if an argument or the configuration does not fit
     */
    public static ScanOutput forward(
            ScanInputs in, boolean returnLastState, DataType outputType, LaunchConfig config) {
        return forward(in, returnLastState, outputType, config, null);
    }

    /**
     * Forward selective scan that also saves, for a backward with configuration {@code saveFor},
     * the state entering each of that backward's chunks, so that {@link #backward(ScanInputs,
     * NDArray, LaunchConfig, NDArray)} skips its state passes. The forward writes them from its
     * registers at the start of a register group, so the backward's chunk must be a whole number of
     * the forward's groups ({@link #canSave}).
     *
     * @param in the arguments (contiguous, on one GPU)
     * @param returnLastState whether to return the final state
     * @param outputType {@link DataType#FLOAT32} or the inputs' element type
     * @param config the forward's launch configuration
     * @param saveFor the backward's launch configuration, or null to save nothing
     * @return y, optionally the last state, and with {@code saveFor} the residuals: {@code (Bt, C,
     *     chunks, N)} float32 chunk states and {@code saveFor}
     * @throws IllegalArgumentException if an argument or a configuration does not fit
     */
    public static ScanOutput forward(
            ScanInputs in,
            boolean returnLastState,
            DataType outputType,
            LaunchConfig config,
            LaunchConfig saveFor) {
        ScanShape s = validate(in);
        DataType it = in.u().getDataType();
        if (outputType != DataType.FLOAT32 && outputType != it) {
            throw new IllegalArgumentException(
                    "output type must be float32 or the input type " + it + ", got " + outputType);
        }
        requireGpu(in.device());
        Device device = in.device();
        CudaDevice dev = cuda(device);
        LaunchConfigs.check(ScanOp.FORWARD, config, s, dev.maxSharedBytes());
        if (saveFor != null) {
            LaunchConfigs.check(ScanOp.BACKWARD, saveFor, s, dev.maxSharedBytes());
            if (!canSave(config, saveFor)) {
                throw new IllegalArgumentException(
                        "the forward configuration "
                                + config
                                + " cannot save the chunk states of the backward configuration "
                                + saveFor);
            }
        }
        NDManager owner = in.u().getManager();
        NDArray y =
                owner.create(new Shape(s.batch(), s.channels(), s.length()), outputType, device);
        NDArray saved =
                saveFor == null
                        ? null
                        : owner.create(chunkStatesShape(s, saveFor), DataType.FLOAT32, device);
        NDArray last =
                returnLastState
                        ? owner.create(
                                new Shape(s.batch(), s.channels(), s.dState()),
                                DataType.FLOAT32,
                                device)
                        : null;
        long yAddr = DevicePointers.address(y);
        ScanParams p =
                baseParams(in, s)
                        .set(Int.OTYPE, code(outputType))
                        .set(Int.VEC_OUT, vectorRows(outputType, s.length(), yAddr) ? 1 : 0);
        if (saved != null) {
            p.set(Ptr.CKPT, DevicePointers.address(saved))
                    .set(Int.CKPT_SHIFT, Integer.numberOfTrailingZeros(saveFor.chunk()))
                    .set(Int.CKPT_CHUNKS, saveFor.chunks(s.length()));
        }
        runForward(dev, p, config, s, yAddr, address(last), owner, device, false);
        return new ScanOutput(y, last, saved == null ? null : new ChunkStates(saved, saveFor, in));
    }

    /**
     * Whether a forward with configuration {@code fwd} can save the chunk states of a backward with
     * configuration {@code bwd}: both warp-per-row (their chunks are the same 128-step tile), or
     * both thread-per-row with the backward's chunk a multiple of the forward's register group.
     *
     * @param fwd the forward's configuration
     * @param bwd the backward's configuration
     * @return whether {@link #forward(ScanInputs, boolean, DataType, LaunchConfig, LaunchConfig)}
     *     accepts the pair
     */
    public static boolean canSave(LaunchConfig fwd, LaunchConfig bwd) {
        if (fwd.warpPerRow() || bwd.warpPerRow()) {
            return fwd.warpPerRow() && bwd.warpPerRow();
        }
        return bwd.chunk() % fwd.streamGroup() == 0;
    }

    /** The shape of the chunk states a backward with this configuration starts from. */
    static Shape chunkStatesShape(ScanShape s, LaunchConfig bwd) {
        return new Shape(s.batch(), s.channels(), bwd.chunks(s.length()), s.dState());
    }

    /**
     * Backward selective scan: all seven gradients of {@code Σ y·dy} (spec §5.3), recomputing the
     * forward states (no state is kept from the forward call).
     *
     * @param in the arguments of the forward call (contiguous, on one GPU)
     * @param dy the upstream gradient {@code (Bt, C, L)}, float32 or the inputs' type
     * @param config the launch configuration
     * @return du, ddelta in the inputs' type; dA, dD, d(delta_bias) float32; dB, dC summed in
     *     float32 and returned in B's type
     * @throws IllegalArgumentException if an argument or the configuration does not fit
     */
    public static ScanGradients backward(ScanInputs in, NDArray dy, LaunchConfig config) {
        return backward(in, dy, config, null);
    }

    /**
     * Backward selective scan from the chunk states a forward saved ({@link #forward(ScanInputs,
     * boolean, DataType, LaunchConfig, LaunchConfig)} with this configuration): the state passes
     * are skipped, the rest is as {@link #backward(ScanInputs, NDArray, LaunchConfig)}.
     *
     * @param in the arguments of the forward call (contiguous, on one GPU)
     * @param dy the upstream gradient {@code (Bt, C, L)}, float32 or the inputs' type
     * @param config the launch configuration the states were saved for
     * @param chunkStates {@code (Bt, C, chunks, N)} float32 on u's device, or null to recompute
     * @return the gradients
     * @throws IllegalArgumentException if an argument or the configuration does not fit
     */
    public static ScanGradients backward(
            ScanInputs in, NDArray dy, LaunchConfig config, NDArray chunkStates) {
        ScanShape s = validate(in);
        DataType it = in.u().getDataType();
        if (dy == null || !dy.getShape().equals(in.u().getShape())) {
            throw new IllegalArgumentException(
                    "dy must have u's shape "
                            + in.u().getShape()
                            + ", got "
                            + (dy == null ? "null" : dy.getShape()));
        }
        if (dy.getDataType() != DataType.FLOAT32 && dy.getDataType() != it) {
            throw new IllegalArgumentException(
                    "dy must be float32 or the input type " + it + ", got " + dy.getDataType());
        }
        requireContiguous("dy", dy);
        if (!dy.getDevice().equals(in.device())) {
            throw new IllegalArgumentException(
                    "dy is on " + dy.getDevice() + " but u is on " + in.device());
        }
        requireGpu(in.device());
        Device device = in.device();
        CudaDevice dev = cuda(device);
        LaunchConfigs.check(ScanOp.BACKWARD, config, s, dev.maxSharedBytes());
        if (chunkStates != null) {
            requireChunkStates(chunkStates, chunkStatesShape(s, config), device);
        }
        boolean saved = chunkStates != null;

        int b = s.batch();
        int c = s.channels();
        int n = s.dState();
        int l = s.length();
        NDManager owner = in.u().getManager();
        ScanParams base =
                baseParams(in, s)
                        .set(Ptr.DY, DevicePointers.address(dy))
                        .set(Int.GTYPE, code(dy.getDataType()))
                        .set(Int.GRAD_TYPE, code(it));
        int nChunks = config.chunks(l);
        int spans = config.spans(l);
        // the state-only passes before the backward (none from saved chunk states)
        StatePass pass = saved ? null : StatePass.of(dev, config, s);
        // the warp-per-row backward can compute its checkpoints itself (one launch fewer)
        boolean own = !saved && config.warpOwnCheckpoints(l);
        long states = (long) b * c * spans * n;
        long sums = (long) b * c * spans;
        // temporaries: checkpoints (unless the backward makes its own); with spans the local end
        // states, step sums and start states of the forward, then the same for the reverse pass
        // (its chained carries only for the warp-per-row backward: the thread-per-row one chains
        // the reverse pass's results itself)
        try (Workspace ws =
                new Workspace(
                        owner,
                        device,
                        own || saved ? 0 : (long) b * c * nChunks * n,
                        spans == 1 ? 0 : states,
                        spans == 1 ? 0 : sums,
                        spans == 1 ? 0 : states,
                        spans == 1 ? 0 : states,
                        spans == 1 ? 0 : sums,
                        spans == 1 || !config.warpPerRow() ? 0 : states)) {
            long ckpt = saved ? DevicePointers.address(chunkStates) : own ? 0 : ws.address(0);
            // every pass below runs the same spans (one span of all chunks for a single pass)
            ScanParams spanned = withGeometry(base.copy(), config, l);
            // the thread-per-row backward chains the reverse pass's results over the spans itself;
            // the warp-per-row one reads carries chained by a reverse ss_combine (mu)
            boolean chainsItself = spans > 1 && !config.warpPerRow();
            long mu = 0;
            long start = 0;
            if (spans == 1) {
                if (!own && !saved) {
                    pass.launch(dev, 1, spanned.copy().set(Ptr.CKPT, ckpt));
                }
            } else {
                // start state of every span: local pass per span, forward combine over spans;
                // then (unless the backward makes its own) a final pass from each span's true
                // start state writing the state at every chunk start
                start = ws.address(3);
                if (!saved) {
                    ScanParams local =
                            spanned.copy()
                                    .set(Ptr.H_END, ws.address(1))
                                    .set(Ptr.SUM_DELTA, ws.address(2));
                    pass.launch(dev, spans, local);
                    combine(dev, local.copy().set(Ptr.CKPT, start), s);
                }
                if (!own && !saved) {
                    pass.launch(dev, spans, spanned.copy().set(Ptr.H0, start).set(Ptr.CKPT, ckpt));
                }
                // reverse carries: local reverse pass per span (its λ contributions and step sums)
                ScanParams bl =
                        spanned.copy()
                                .set(Ptr.H_END, ws.address(4))
                                .set(Ptr.SUM_DELTA, ws.address(5));
                LaunchConfig lc = localReverseConfig(config, l, dev.maxSharedBytes(), n);
                launchBackward(
                        dev,
                        "ss_bwdlocal_",
                        LaunchConfig.Kind.BWD_LOCAL,
                        lc,
                        s,
                        withGeometry(bl.copy(), lc, l));
                if (!chainsItself) {
                    mu = ws.address(6);
                    combine(dev, bl.copy().set(Ptr.CKPT, mu).set(Int.REVERSE, 1), s);
                }
            }
            // the outputs only now, so that the passes above are already running while the host
            // allocates them; the accumulated ones are zeroed by one kernel in stream order
            ScanGradients out = allocateGradients(in, s, owner);
            ScanParams bw =
                    spanned.copy()
                            .set(Ptr.CKPT, ckpt)
                            .set(Ptr.H0, own ? start : 0)
                            .set(Ptr.MU, mu)
                            .set(Ptr.H_END, chainsItself ? ws.address(4) : 0)
                            .set(Ptr.SUM_DELTA, chainsItself ? ws.address(5) : 0)
                            .set(Ptr.DU, DevicePointers.address(out.du()))
                            .set(Ptr.DDELTA, DevicePointers.address(out.dDelta()))
                            .set(Ptr.DA, DevicePointers.address(out.dA()))
                            .set(Ptr.DB, DevicePointers.address(out.dB()))
                            .set(Ptr.DC, DevicePointers.address(out.dC()))
                            .set(Ptr.DD, address(out.dD()))
                            .set(Ptr.DBIAS, address(out.dDeltaBias()));
            try {
                zeroGradients(dev, bw, s);
                launchBackward(dev, "ss_bwd_", LaunchConfig.Kind.BWD, config, s, bw);
            } catch (RuntimeException e) {
                out.close(); // not handed out: release them now, not with the caller's manager
                throw e;
            }
            return withProjectionType(out, in.b().getDataType());
        }
    }

    /** Longest chunk the local reverse pass is given by {@link #localReverseConfig}. */
    static final int LOCAL_REVERSE_MAX_CHUNK = 64;

    /**
     * The launch configuration of the backward's local reverse pass ({@code ss_bwdlocal}): the
     * backward's, or, where a span holds an even number of its chunks, the same spans cut into half
     * as many chunks of twice the steps (up to {@link #LOCAL_REVERSE_MAX_CHUNK}). The pass only
     * sums each span's λ contributions and step sizes, so its chunk is free; longer chunks halve
     * its per-chunk staging and barriers (the batch-1 backward back to back 3 – 7 % faster on an
     * H100, docs/BENCHMARKS.md). The spans, and with them the carries the backward reads, are
     * unchanged.
     *
     * @param config the backward's configuration
     * @param length L
     * @param maxSharedBytes dynamic shared memory a block may use
     * @param dState N
     * @return the configuration to launch the local reverse pass with
     */
    static LaunchConfig localReverseConfig(
            LaunchConfig config, int length, int maxSharedBytes, int dState) {
        int span = config.spanChunksFor(length);
        if (config.warpPerRow()
                || config.spans(length) == 1
                || span % 2 != 0
                || 2 * config.chunk() > LOCAL_REVERSE_MAX_CHUNK) {
            return config;
        }
        LaunchConfig doubled =
                new LaunchConfig(
                        config.rowThreads(),
                        config.nrows(),
                        config.statesPerThread(),
                        2 * config.chunk(),
                        span / 2);
        return doubled.sharedBytes(LaunchConfig.Kind.BWD_LOCAL, dState, length) <= maxSharedBytes
                ? doubled
                : config;
    }

    /**
     * Launches a backward kernel ({@code prefix} + the configuration's variant) over the rows and
     * spans of {@code s}, with the shared memory of its {@code kind}.
     */
    private static void launchBackward(
            CudaDevice dev,
            String prefix,
            LaunchConfig.Kind kind,
            LaunchConfig config,
            ScanShape s,
            ScanParams p) {
        int n = s.dState();
        dev.launch(
                dev.kernel(prefix + config.kernelSuffix(n)),
                gridX(config, s),
                config.spans(s.length()),
                config.blockThreads(n),
                config.sharedBytes(kind, n, s.length()),
                p);
    }

    /**
     * The backward's outputs on u's device in u's manager, uninitialised: du and ddelta in u's
     * element type, the accumulated ones ({@link #zeroGradients}) float32.
     */
    private static ScanGradients allocateGradients(ScanInputs in, ScanShape s, NDManager owner) {
        Device device = in.device();
        DataType it = in.u().getDataType();
        Shape seq = new Shape(s.batch(), s.channels(), s.length());
        Shape proj = new Shape(s.batch(), s.groups(), s.dState(), s.length());
        Shape perChannel = new Shape(s.channels());
        DataType f32 = DataType.FLOAT32;
        return new ScanGradients(
                owner.create(seq, it, device),
                owner.create(seq, it, device),
                owner.create(new Shape(s.channels(), s.dState()), f32, device),
                owner.create(proj, f32, device),
                owner.create(proj, f32, device),
                in.d() == null ? null : owner.create(perChannel, f32, device),
                in.deltaBias() == null ? null : owner.create(perChannel, f32, device));
    }

    /**
     * Zeroes dA, dB, dC, dD and d(delta_bias) of {@code p} with one launch of {@code ss_zero},
     * ahead of the backward that adds into them (one launch instead of five framework fills).
     */
    private static void zeroGradients(CudaDevice dev, ScanParams p, ScanShape s) {
        long quads = ((long) s.batch() * s.groups() * s.dState() * s.length() + 3) / 4;
        long grid =
                Math.max(1, Math.min(ZERO_MAX_BLOCKS, (quads + ZERO_THREADS - 1) / ZERO_THREADS));
        dev.launch(dev.kernel("ss_zero"), (int) grid, 1, ZERO_THREADS, 0, p);
    }

    /** dB and dC in the projections' element type (the kernels accumulate them in float32). */
    private static ScanGradients withProjectionType(ScanGradients g, DataType type) {
        if (type == DataType.FLOAT32) {
            return g;
        }
        NDArray dB = g.dB().toType(type, false);
        NDArray dC = g.dC().toType(type, false);
        g.dB().close();
        g.dC().close();
        return new ScanGradients(g.du(), g.dDelta(), g.dA(), dB, dC, g.dD(), g.dDeltaBias());
    }

    /**
     * The fused SS2D core: cross-scan, selective scan of the four directions and cross-merge in one
     * launch plan, reading the activations in place through the direction index maps.
     *
     * @param in activations {@code (B, D, H, W)} and pixel-order projections (contiguous, on one
     *     GPU)
     * @param config the launch configuration
     * @return the merged output {@code (B, D, H·W)} float32, pixel order
     * @throws IllegalArgumentException if an argument or the configuration does not fit
     */
    public static NDArray crossScanMerge(CrossScanInputs in, LaunchConfig config) {
        Shape us = in.u().getShape();
        long b = us.get(0);
        long d = us.get(1);
        long h = us.get(2);
        long w = us.get(3);
        long k = CrossScanInputs.K;
        long n = in.a().getShape().get(1);
        requireSizes(b, k * d, k, n, h * w);
        if (n > ScanInputs.MAX_D_STATE) {
            throw new IllegalArgumentException(
                    "d_state N must be in 1.." + ScanInputs.MAX_D_STATE + ", got " + n);
        }
        DataType it = in.u().getDataType();
        requireItype("u", it);
        requireType("delta", in.delta(), it);
        requireType("B", in.b(), it);
        requireType("C", in.c(), it);
        requireType("A", in.a(), DataType.FLOAT32);
        Shape per = new Shape(k * d);
        if (in.d() != null) {
            requireType("D", in.d(), DataType.FLOAT32);
            requireShape("D", in.d(), per);
        }
        if (in.deltaBias() != null) {
            requireType("delta_bias", in.deltaBias(), DataType.FLOAT32);
            requireShape("delta_bias", in.deltaBias(), per);
        }
        NDArray[] all = {in.u(), in.delta(), in.a(), in.b(), in.c(), in.d(), in.deltaBias()};
        String[] names = {"u", "delta", "A", "B", "C", "D", "delta_bias"};
        Device device = in.u().getDevice();
        for (int i = 0; i < all.length; i++) {
            if (all[i] != null) {
                requireContiguous(names[i], all[i]);
                if (!all[i].getDevice().equals(device)) {
                    throw new IllegalArgumentException(
                            names[i] + " is on " + all[i].getDevice() + " but u is on " + device);
                }
            }
        }
        requireGpu(device);
        ScanShape s = new ScanShape((int) b, (int) (k * d), (int) k, (int) n, (int) (h * w));
        CudaDevice dev = cuda(device);
        LaunchConfigs.check(ScanOp.CROSS_FORWARD, config, s, dev.maxSharedBytes());

        NDManager owner = in.u().getManager();
        NDArray y = owner.zeros(new Shape(b, d, h * w), DataType.FLOAT32, device);
        ScanParams p = pointers(in.u(), in.delta(), in.a(), in.b(), in.c(), in.d(), in.deltaBias());
        sizes(p, s, it, in.deltaSoftplus())
                .set(Int.OTYPE, code(DataType.FLOAT32))
                .set(Int.CROSS, crossCode(in.mode()))
                .set(Int.HEIGHT, (int) h)
                .set(Int.WIDTH, (int) w);
        runForward(dev, p, config, s, DevicePointers.address(y), 0, owner, device, true);
        return y;
    }

    // ---- plans -------------------------------------------------------------------------------

    private static void runForward(
            CudaDevice dev,
            ScanParams base,
            LaunchConfig cfg,
            ScanShape s,
            long y,
            long last,
            NDManager owner,
            Device device,
            boolean cross) {
        int n = s.dState();
        int l = s.length();
        int spans = cfg.spans(l);
        // saved chunk states (base's CKPT) are written by the final pass only, in the thread-per-
        // row layout by its own kernel (ss_fwdc: the stores would cost ss_fwd registers)
        long saveTo = base.get(Ptr.CKPT);
        String finalKernel =
                cross ? "ss_fwdx_" : saveTo != 0 && !cfg.warpPerRow() ? "ss_fwdc_" : "ss_fwd_";
        CudaDevice.Kernel fwd = dev.kernel(finalKernel + cfg.kernelSuffix(n));
        CudaDevice.Kernel localKernel =
                cross ? fwd : dev.kernel(stateKernel(cfg, n)); // local pass of spans
        int block = cfg.blockThreads(n);
        int smem = cfg.sharedBytes(cross ? LaunchConfig.Kind.FWD_TILED : LaunchConfig.Kind.FWD, n);
        int gx = gridX(cfg, s);
        ScanParams p = withGeometry(base.copy(), cfg, l).set(Ptr.CKPT, 0);
        ScanParams fin = p.copy().set(Ptr.CKPT, saveTo).set(Ptr.Y, y);
        if (spans == 1) {
            dev.launch(fwd, gx, 1, block, smem, fin.set(Ptr.LAST, last));
            return;
        }
        // temporaries of the two-level plan: local end states, step sums, start states
        long states = s.rows() * n * spans;
        try (Workspace ws = new Workspace(owner, device, states, s.rows() * spans, states)) {
            ScanParams local =
                    p.copy().set(Ptr.H_END, ws.address(0)).set(Ptr.SUM_DELTA, ws.address(1));
            dev.launch(localKernel, gx, spans, block, smem, local);
            combine(dev, local.copy().set(Ptr.CKPT, ws.address(2)).set(Ptr.LAST, last), s);
            dev.launch(fwd, gx, spans, block, smem, fin.set(Ptr.H0, ws.address(2)));
        }
    }

    /**
     * The forward kernel of the state-only passes (span end states, checkpoints): {@code ss_fwds_*}
     * of the thread-per-row layout, which skips the output sums; the warp-per-row forward serves
     * every mode itself.
     */
    private static String stateKernel(LaunchConfig c, int dState) {
        return (c.warpPerRow() ? "ss_fwd_" : "ss_fwds_") + c.kernelSuffix(dState);
    }

    /**
     * A state-only forward pass of the backward (span end states, checkpoints): its kernel and
     * launch geometry, from {@link #statePassConfig}: one row per thread (fewer registers, more
     * resident warps); the checkpoints depend on the chunk and spans only, not on the rows.
     */
    private record StatePass(CudaDevice.Kernel kernel, int sharedBytes, int grid, int block) {

        static StatePass of(CudaDevice dev, LaunchConfig backward, ScanShape s) {
            LaunchConfig c = statePassConfig(backward);
            int n = s.dState();
            return new StatePass(
                    dev.kernel(stateKernel(c, n)),
                    c.sharedBytes(LaunchConfig.Kind.FWD, n),
                    gridX(c, s),
                    c.blockThreads(n));
        }

        void launch(CudaDevice dev, int spans, ScanParams p) {
            dev.launch(kernel, grid, spans, block, sharedBytes, p);
        }
    }

    /**
     * The configuration of the backward's state-only forward passes: the backward's with one row
     * per thread (its chunk and spans fix where the checkpoints lie), where the chunk holds whole
     * register groups of that variant; otherwise, and in the warp-per-row layout, its own.
     */
    static LaunchConfig statePassConfig(LaunchConfig c) {
        if (c.warpPerRow() || c.nrows() == 1) {
            return c;
        }
        LaunchConfig one =
                new LaunchConfig(c.rowThreads(), 1, c.statesPerThread(), c.chunk(), c.spanChunks());
        return c.chunk() % one.streamGroup() == 0 ? one : c;
    }

    private static void combine(CudaDevice dev, ScanParams p, ScanShape s) {
        long total = s.rows() * s.dState();
        long grid = (total + COMBINE_THREADS - 1) / COMBINE_THREADS;
        if (grid > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("too many (row, state) pairs: " + total);
        }
        dev.launch(dev.kernel("ss_combine"), (int) grid, 1, COMBINE_THREADS, 0, p);
    }

    // ---- validation --------------------------------------------------------------------------

    /**
     * Checks what {@link ScanInputs} leaves to the backend: size limits, element types of B and C,
     * contiguity and the device.
     */
    static ScanShape validate(ScanInputs in) {
        Shape us = in.u().getShape();
        long b = us.get(0);
        long c = us.get(1);
        long l = us.get(2);
        long g = in.b().getShape().get(1);
        long n = in.a().getShape().get(1);
        requireSizes(b, c, g, n, l);
        DataType it = in.u().getDataType();
        requireType("B", in.b(), it);
        requireType("C", in.c(), it);
        NDArray[] all = {in.u(), in.delta(), in.a(), in.b(), in.c(), in.d(), in.deltaBias()};
        String[] names = {"u", "delta", "A", "B", "C", "D", "delta_bias"};
        for (int i = 0; i < all.length; i++) {
            if (all[i] != null) {
                requireContiguous(names[i], all[i]);
            }
        }
        return new ScanShape((int) b, (int) c, (int) g, (int) n, (int) l);
    }

    static void requireSizes(long batch, long channels, long groups, long n, long length) {
        if (length > MAX_LENGTH) {
            throw new IllegalArgumentException(
                    "sequence length " + length + " exceeds the kernels' limit " + MAX_LENGTH);
        }
        if (batch * channels > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(
                    "Bt·C = "
                            + batch * channels
                            + " rows exceed the kernels' limit "
                            + Integer.MAX_VALUE);
        }
        if (batch * groups * n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(
                    "Bt·G·N = " + batch * groups * n + " exceeds " + Integer.MAX_VALUE);
        }
    }

    private static void requireItype(String name, DataType t) {
        if (t != DataType.FLOAT32 && t != DataType.FLOAT16 && t != DataType.BFLOAT16) {
            throw new IllegalArgumentException(
                    name + " must be float32, float16 or bfloat16, got " + t);
        }
    }

    private static void requireType(String name, NDArray x, DataType expected) {
        if (x.getDataType() != expected) {
            throw new IllegalArgumentException(
                    name + " must be " + expected + ", got " + x.getDataType());
        }
    }

    private static void requireShape(String name, NDArray x, Shape expected) {
        if (!x.getShape().equals(expected)) {
            throw new IllegalArgumentException(
                    name + " must be " + expected + ", got " + x.getShape());
        }
    }

    static void requireContiguous(String name, NDArray x) {
        if (!DevicePointers.isContiguous(x)) {
            throw new IllegalArgumentException(
                    name
                            + " "
                            + x.getShape()
                            + " must be contiguous (dense, row-major) for the CUDA kernels");
        }
    }

    private static void requireChunkStates(NDArray x, Shape expected, Device device) {
        if (x.isReleased()) {
            throw new IllegalArgumentException(
                    "the saved chunk states were closed before the backward");
        }
        if (x.getDataType() != DataType.FLOAT32 || !x.getShape().equals(expected)) {
            throw new IllegalArgumentException(
                    "saved chunk states must be float32 "
                            + expected
                            + " for this backward configuration, got "
                            + x.getDataType()
                            + " "
                            + x.getShape());
        }
        requireContiguous("saved chunk states", x);
        if (!x.getDevice().equals(device)) {
            throw new IllegalArgumentException(
                    "saved chunk states are on " + x.getDevice() + " but u is on " + device);
        }
    }

    static void requireGpu(Device device) {
        if (!Device.Type.GPU.equals(device.getDeviceType())) {
            throw new IllegalArgumentException(
                    "the CUDA selective scan runs on GPU tensors; the inputs are on " + device);
        }
    }

    private static CudaDevice cuda(Device device) {
        return CudaKernels.device(device.getDeviceId());
    }

    // ---- parameters --------------------------------------------------------------------------

    static int code(DataType t) {
        switch (t) {
            case FLOAT32:
                return 0;
            case FLOAT16:
                return 1;
            case BFLOAT16:
                return 2;
            default:
                throw new IllegalArgumentException("unsupported element type " + t);
        }
    }

    private static int crossCode(ScanMode mode) {
        switch (mode) {
            case CROSS2D:
                return 1;
            case UNIDI:
                return 2;
            case BIDI:
                return 3;
            default:
                throw new IllegalArgumentException("unsupported scan mode " + mode);
        }
    }

    private static ScanParams baseParams(ScanInputs in, ScanShape s) {
        ScanParams p = pointers(in.u(), in.delta(), in.a(), in.b(), in.c(), in.d(), in.deltaBias());
        boolean vec =
                vectorRows(in.u().getDataType(), s.length(), p.get(Ptr.U))
                        && vectorRows(in.delta().getDataType(), s.length(), p.get(Ptr.DELTA));
        return sizes(p, s, in.u().getDataType(), in.deltaSoftplus()).set(Int.VEC_IN, vec ? 1 : 0);
    }

    /**
     * Whether rows of L float32 values at this address can be read or written 16 bytes at a time.
     */
    private static boolean vectorRows(DataType t, int length, long address) {
        return t == DataType.FLOAT32 && length % 4 == 0 && address % 16 == 0;
    }

    private static ScanParams pointers(
            NDArray u, NDArray delta, NDArray a, NDArray b, NDArray c, NDArray d, NDArray bias) {
        return new ScanParams()
                .set(Ptr.U, DevicePointers.address(u))
                .set(Ptr.DELTA, DevicePointers.address(delta))
                .set(Ptr.A, DevicePointers.address(a))
                .set(Ptr.B, DevicePointers.address(b))
                .set(Ptr.C, DevicePointers.address(c))
                .set(Ptr.D, address(d))
                .set(Ptr.BIAS, address(bias));
    }

    private static ScanParams sizes(ScanParams p, ScanShape s, DataType it, boolean softplus) {
        return p.set(Int.BATCH, s.batch())
                .set(Int.CHANNELS, s.channels())
                .set(Int.LENGTH, s.length())
                .set(Int.DSTATE, s.dState())
                .set(Int.GROUPS, s.groups())
                .set(Int.DIM_PER_GROUP, s.dimPerGroup())
                .set(Int.ITYPE, code(it))
                .set(Int.SOFTPLUS, softplus ? 1 : 0);
    }

    /**
     * Sets the time geometry of a pass launched with configuration {@code c} over a sequence of
     * {@code length} steps: the chunk and its log2, the chunks per span, the spans and the chunks.
     *
     * @return {@code p}
     */
    private static ScanParams withGeometry(ScanParams p, LaunchConfig c, int length) {
        return p.set(Int.CHUNK, c.chunk())
                .set(Int.CHUNK_SHIFT, Integer.numberOfTrailingZeros(c.chunk()))
                .set(Int.SPAN_CHUNKS, c.spanChunksFor(length))
                .set(Int.N_SPANS, c.spans(length))
                .set(Int.N_CHUNKS, c.chunks(length));
    }

    private static int gridX(LaunchConfig c, ScanShape s) {
        int tiles = (s.dimPerGroup() + c.rowsPerBlock() - 1) / c.rowsPerBlock();
        return Math.toIntExact((long) s.batch() * s.groups() * tiles);
    }

    private static long address(NDArray x) {
        return x == null ? 0 : DevicePointers.address(x);
    }
}
