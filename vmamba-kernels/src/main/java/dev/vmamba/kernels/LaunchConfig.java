package dev.vmamba.kernels;

/**
 * How the scan kernels are launched, as data (chosen by {@link LaunchConfigs} and {@link
 * ScanAutotuner}, or forced by the caller through {@link ScanTuning}).
 *
 * <p>A thread walks time sequentially over {@code nrows} channel rows and {@code statesPerThread}
 * of their N states (the items it keeps in registers); when N is larger, {@code threadsPerRow(N)}
 * neighbouring lanes share a row. A block holds {@code rowThreads} such threads per row slice, i.e.
 * {@code rowThreads · nrows} channel rows of one B/C group, and stages {@code chunk} time steps at
 * a time in shared memory. With {@code spanChunks > 0} the sequence is cut into spans of that many
 * chunks that are scanned in parallel and chained (two-level scan, for few rows and long
 * sequences); {@code 0} scans each row in one pass.
 *
 * @param rowThreads threads per row slice of a block (block size = rowThreads · threadsPerRow)
 * @param nrows channel rows per thread (1, 2 or 4), the analogue of the official {@code nrows}
 * @param statesPerThread states per thread (1, 2, 4, 8 or 16)
 * @param chunk time steps staged per tile (a power of two, 4..256)
 *     <p>With {@link ScanLayout#WARP_PER_ROW} (N = 1) a warp owns a row instead of a thread: a
 *     block of {@code rowThreads} threads holds {@code rowThreads / 32} warps of {@code nrows} rows
 *     each, the chunk is the warp's tile of {@link #TIME_TILE} steps, and {@code statesPerThread}
 *     is 1.
 * @param rowThreads threads per row slice of a block (block size = rowThreads · threadsPerRow)
 * @param nrows channel rows per thread (1, 2 or 4), the analogue of the official {@code nrows};
 *     rows per warp in the warp-per-row layout
 * @param statesPerThread states per thread (1, 2, 4, 8 or 16)
 * @param chunk time steps staged per tile (a power of two, 4..256)
 * @param spanChunks chunks per span of the two-level scan, or 0 for a single pass
 * @param layout how threads map onto rows and time
 */
public record LaunchConfig(
        int rowThreads,
        int nrows,
        int statesPerThread,
        int chunk,
        int spanChunks,
        ScanLayout layout) {

    /** Steps per warp tile of the warp-per-row layout (32 lanes × 4 steps). */
    public static final int TIME_TILE = 128;

    /**
     * A thread-per-row configuration.
     *
     * @param rowThreads threads per row slice of a block
     * @param nrows channel rows per thread
     * @param statesPerThread states per thread
     * @param chunk time steps per tile
     * @param spanChunks chunks per span, or 0 for a single pass
     */
    public LaunchConfig(int rowThreads, int nrows, int statesPerThread, int chunk, int spanChunks) {
        this(rowThreads, nrows, statesPerThread, chunk, spanChunks, ScanLayout.THREAD_PER_ROW);
    }

    /**
     * A warp-per-row configuration (N = 1).
     *
     * @param rowThreads threads per block (a multiple of 32)
     * @param nrows rows per warp (1, 2 or 4)
     * @param spanChunks tiles per span, or 0 for a single pass
     * @return the configuration
     */
    public static LaunchConfig warpPerRow(int rowThreads, int nrows, int spanChunks) {
        return new LaunchConfig(
                rowThreads, nrows, 1, TIME_TILE, spanChunks, ScanLayout.WARP_PER_ROW);
    }

    /** Validates the values each field can take; fit to a shape is checked by {@link #check}. */
    public LaunchConfig {
        if (layout == null) {
            throw new IllegalArgumentException("layout must not be null");
        }
        if (rowThreads < 1 || rowThreads > 1024) {
            throw new IllegalArgumentException("rowThreads must be in 1..1024, got " + rowThreads);
        }
        if (nrows != 1 && nrows != 2 && nrows != 4) {
            throw new IllegalArgumentException("nrows must be 1, 2 or 4, got " + nrows);
        }
        if (Integer.bitCount(statesPerThread) != 1 || statesPerThread > 16) {
            throw new IllegalArgumentException(
                    "statesPerThread must be 1, 2, 4, 8 or 16, got " + statesPerThread);
        }
        if (Integer.bitCount(chunk) != 1 || chunk < 4 || chunk > 256) {
            throw new IllegalArgumentException(
                    "chunk must be a power of two in 4..256, got " + chunk);
        }
        if (spanChunks < 0) {
            throw new IllegalArgumentException("spanChunks must be >= 0, got " + spanChunks);
        }
        if (layout == ScanLayout.WARP_PER_ROW
                && (statesPerThread != 1 || chunk != TIME_TILE || rowThreads % 32 != 0)) {
            throw new IllegalArgumentException(
                    "the warp-per-row layout needs statesPerThread 1, chunk "
                            + TIME_TILE
                            + " and rowThreads a multiple of 32, got "
                            + statesPerThread
                            + ", "
                            + chunk
                            + ", "
                            + rowThreads);
        }
    }

    /** Whether a warp (not a thread) owns each row. */
    public boolean warpPerRow() {
        return layout == ScanLayout.WARP_PER_ROW;
    }

    /** Which kernel of a plan (they differ in shared memory). */
    enum Kind {
        /** Streaming forward ({@code ss_fwd}): only B and C in shared memory. */
        FWD,
        /** Forward of the fused cross-scan ({@code ss_fwdx}): u and delta tiles too. */
        FWD_TILED,
        BWD_LOCAL,
        BWD
    }

    /**
     * Time steps the streaming forward keeps per register group (the chunk must be a multiple): 16
     * for fewer than 4 state slots per thread (states times rows; memory-bound, more loads in
     * flight), 8 below 16, else 4. Mirrors {@code stream_group} in {@code selective_scan.cu}.
     *
     * @return steps per group
     */
    public int streamGroup() {
        int slots = statesPerThread * nrows;
        return slots >= 16 ? 4 : slots >= 4 ? 8 : 16;
    }

    /** Chunk of the backward's compiled-in launch geometry (see {@link #fixedBackward}). */
    static final int FIXED_BWD_CHUNK = 8;

    /** Block size of the backward's compiled-in launch geometry (see {@link #fixedBackward}). */
    static final int FIXED_BWD_THREADS = 128;

    /**
     * Whether the backward ({@code ss_bwd}) runs this configuration in its copy compiled for a
     * fixed launch geometry: 16 padded states over 2 or 4 lanes with at most 8 state slots per
     * thread (the autotuner's usual N = 16 choices), chunks of {@value #FIXED_BWD_CHUNK} steps and
     * {@value #FIXED_BWD_THREADS} threads per block. That copy runs its per-chunk loops with fixed
     * trip counts and constant offsets (5 – 7 % faster on an H100, docs/BENCHMARKS.md); every other
     * configuration takes the general copy. Mirrors {@code BwdFixed} in {@code selective_scan.cu}.
     *
     * @param dState N
     * @return whether the backward takes the fixed-geometry copy
     */
    public boolean fixedBackward(int dState) {
        if (warpPerRow()) {
            return false;
        }
        int tpr = threadsPerRow(dState);
        return statesPerThread * tpr == 16
                && (tpr == 2 || tpr == 4)
                && nrows * statesPerThread <= 8
                && chunk == FIXED_BWD_CHUNK
                && blockThreads(dState) == FIXED_BWD_THREADS;
    }

    /**
     * Lanes per channel row for a state size.
     *
     * @param dState N
     * @return {@code max(1, nextPow2(N) / statesPerThread)}
     */
    public int threadsPerRow(int dState) {
        if (warpPerRow()) {
            return 1; // rowThreads already counts the block's threads
        }
        return Math.max(1, nextPow2(dState) / statesPerThread);
    }

    /**
     * @param dState N
     * @return threads per block
     */
    public int blockThreads(int dState) {
        return rowThreads * threadsPerRow(dState);
    }

    /**
     * @return channel rows per block
     */
    public int rowsPerBlock() {
        return warpPerRow() ? rowThreads / 32 * nrows : rowThreads * nrows;
    }

    /**
     * @param length L
     * @return chunks per sequence
     */
    public int chunks(int length) {
        return (length + chunk - 1) / chunk;
    }

    /**
     * @param length L
     * @return chunks per span (all of them for a single pass)
     */
    public int spanChunksFor(int length) {
        int n = chunks(length);
        return spanChunks <= 0 || spanChunks >= n ? n : spanChunks;
    }

    /**
     * @param length L
     * @return spans per sequence (1 for a single pass)
     */
    public int spans(int length) {
        int n = chunks(length);
        int s = spanChunksFor(length);
        return (n + s - 1) / s;
    }

    /** Name suffix of the kernels of this configuration, {@code <NT>_<nrows>_<TPR>}. */
    String kernelSuffix(int dState) {
        if (warpPerRow()) {
            return "t_" + nrows;
        }
        return statesPerThread + "_" + nrows + "_" + threadsPerRow(dState);
    }

    /** Shared memory up to which the warp-per-row backward keeps its checkpoints on chip. */
    static final int OWN_CHECKPOINT_BYTES = 48 * 1024;

    /**
     * Whether the warp-per-row backward computes its chunk checkpoints itself, in shared memory
     * (one launch, no checkpoint array), rather than reading them from a forward pass: when they
     * fit in {@link #OWN_CHECKPOINT_BYTES}.
     *
     * @param length L
     * @return true for the single-launch backward
     */
    public boolean warpOwnCheckpoints(int length) {
        return warpPerRow() && warpBackwardBytes(length, true) <= OWN_CHECKPOINT_BYTES;
    }

    private long warpBackwardBytes(int length, boolean own) {
        long warps = rowThreads / 32;
        long partials = 2 * warps * 2 * TIME_TILE; // two alternating buffers
        long ckpts = own ? warps * nrows * spanChunksFor(Math.max(length, 1)) : 0;
        return 4 * (partials + ckpts);
    }

    /**
     * Dynamic shared memory of one kernel without the length-dependent part (the checkpoints of the
     * single-launch warp-per-row backward), see {@link #sharedBytes(Kind, int, int)}.
     */
    int sharedBytes(Kind kind, int dState) {
        return sharedBytes(kind, dState, 0);
    }

    /**
     * Dynamic shared memory of one kernel, mirroring the layout in {@code selective_scan.cu}.
     *
     * @param kind the kernel
     * @param dState N
     * @param length L (only the warp-per-row backward depends on it), or 0
     * @return bytes
     */
    int sharedBytes(Kind kind, int dState, int length) {
        if (warpPerRow()) {
            // only the backward uses shared memory: two (warps, 2, tile) dB/dC partials, then its
            // own checkpoints; the layout has no fused cross-scan kernel
            return kind == Kind.BWD
                    ? (int) warpBackwardBytes(length, length > 0 && warpOwnCheckpoints(length))
                    : kind == Kind.FWD_TILED ? Integer.MAX_VALUE : 0;
        }
        int tpr = threadsPerRow(dState);
        int np = statesPerThread * tpr;
        int ns = statesPerThread % 4 == 0 ? np + 4 : np + 1;
        int tp = chunk + 1;
        int threads = rowThreads * tpr;
        long row = align4((long) rowsPerBlock() * tp);
        long bc = align4((long) chunk * ns);
        long floats;
        switch (kind) {
            case FWD: // two buffers of {B, C}
                floats = 4 * bc;
                break;
            case FWD_TILED: // two buffers of {u, delta, B, C}
                floats = 2 * (2 * row + 2 * bc);
                break;
            case BWD_LOCAL: // two buffers of {delta, dy, C}
                floats = 2 * (2 * row + bc);
                break;
            default: // one set of u, delta, dy tiles (rows of chunk steps), two buffers of {B,
                // C}, the chunk's records {Δ, dy, u, dΔ/dz} per row and step, its states (chunk
                // slots per thread; slot t then holds step t's dB/dC partials), its summed
                // dB/dC, one more slot per thread (the next chunk's checkpoint, requested ahead)
                floats =
                        3 * align4((long) rowsPerBlock() * chunk)
                                + 4 * bc
                                + 4 * row
                                + (long) (chunk + 1) * nrows * statesPerThread * threads
                                + align4(2L * np * chunk);
        }
        long bytes = floats * 4;
        return bytes > Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) bytes;
    }

    /**
     * Checks that this configuration can run a problem: kernel variant compiled, block size a
     * multiple of 32 up to 1024, grid within limits.
     *
     * @param dState N
     * @param batch Bt
     * @param groups G
     * @param dimPerGroup channels per group
     * @param length L
     * @throws IllegalArgumentException with the reason otherwise
     */
    public void check(int dState, int batch, int groups, int dimPerGroup, int length) {
        if (warpPerRow() && dState != 1) {
            throw new IllegalArgumentException(
                    "the warp-per-row layout scans one state per row (N = 1), got N = " + dState);
        }
        int tpr = threadsPerRow(dState);
        if (!warpPerRow() && !LaunchConfigs.hasKernel(statesPerThread, nrows, tpr)) {
            throw new IllegalArgumentException(
                    "no kernel for "
                            + statesPerThread
                            + " states per thread, nrows "
                            + nrows
                            + ", "
                            + tpr
                            + " threads per row (N = "
                            + dState
                            + "); compiled variants: "
                            + LaunchConfigs.kernelVariants());
        }
        int threads = blockThreads(dState);
        if (threads % 32 != 0 || threads > 1024) {
            throw new IllegalArgumentException(
                    "block of "
                            + threads
                            + " threads (rowThreads "
                            + rowThreads
                            + " × "
                            + tpr
                            + " per row) must be a multiple of 32 up to 1024");
        }
        long tiles = (dimPerGroup + rowsPerBlock() - 1) / rowsPerBlock();
        long gridX = (long) batch * groups * tiles;
        if (gridX > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("grid of " + gridX + " blocks is too large");
        }
        if (spans(length) > 65535) {
            throw new IllegalArgumentException(
                    spans(length) + " spans exceed the grid limit 65535; use longer spans");
        }
    }

    static int nextPow2(int n) {
        return n <= 1 ? 1 : Integer.highestOneBit(n - 1) << 1;
    }

    private static long align4(long n) {
        return (n + 3) & ~3L;
    }

    @Override
    public String toString() {
        return "LaunchConfig["
                + (warpPerRow() ? "warp per row, " : "")
                + "rowThreads="
                + rowThreads
                + ", nrows="
                + nrows
                + ", statesPerThread="
                + statesPerThread
                + ", chunk="
                + chunk
                + ", spanChunks="
                + (spanChunks == 0 ? "all" : Integer.toString(spanChunks))
                + "]";
    }
}
