package dev.vmamba.kernels;

/**
 * What the caller fixes about the launch configuration of {@link CudaSelectiveScan}; everything
 * left free is chosen per shape, by timing candidates ({@link ScanAutotuner}, cached per device)
 * or, with {@code autotune} off, by the heuristic table of {@link LaunchConfigs}.
 *
 * @param autotune time the candidates on first use of a shape (otherwise take the heuristic)
 * @param rowThreads forced {@link LaunchConfig#rowThreads()}, or 0 for free
 * @param nrows forced channel rows per thread (1, 2, 4), or 0 for free
 * @param statesPerThread forced states per thread (1, 2, 4, 8, 16), or 0 for free
 * @param chunk forced chunk length (power of two, 4..256), or 0 for free
 * @param spanChunks forced chunks per span ({@code 0} = single pass), or -1 for free
 * @param fusedCrossScan whether {@code crossScanMerge} uses the fused kernel (otherwise it
 *     materialises the four directions around the plain scan, the interface default)
 * @param layout forced thread layout, or null for free
 */
public record ScanTuning(
        boolean autotune,
        int rowThreads,
        int nrows,
        int statesPerThread,
        int chunk,
        int spanChunks,
        boolean fusedCrossScan,
        ScanLayout layout) {

    /**
     * Everything chosen per shape by the autotuner; the unfused SS2D core (the fused cross-scan
     * measured slower on an H100, see docs/BENCHMARKS.md).
     */
    public static final ScanTuning AUTO = new ScanTuning(true, 0, 0, 0, 0, -1, false, null);

    /** Everything chosen per shape by the heuristic table, nothing timed. */
    public static final ScanTuning HEURISTIC = AUTO.withAutotune(false);

    /** Validates the forced values. */
    public ScanTuning {
        if (rowThreads < 0 || rowThreads > 1024) {
            throw new IllegalArgumentException("rowThreads must be 0 (free) or 1..1024");
        }
        if (nrows != 0 && nrows != 1 && nrows != 2 && nrows != 4) {
            throw new IllegalArgumentException("nrows must be 0 (free), 1, 2 or 4, got " + nrows);
        }
        if (statesPerThread != 0
                && (Integer.bitCount(statesPerThread) != 1 || statesPerThread > 16)) {
            throw new IllegalArgumentException(
                    "statesPerThread must be 0 (free), 1, 2, 4, 8 or 16, got " + statesPerThread);
        }
        if (chunk != 0 && (Integer.bitCount(chunk) != 1 || chunk < 4 || chunk > 256)) {
            throw new IllegalArgumentException(
                    "chunk must be 0 (free) or a power of two in 4..256, got " + chunk);
        }
        if (spanChunks < -1) {
            throw new IllegalArgumentException(
                    "spanChunks must be -1 (free), 0 (single pass) or positive");
        }
    }

    /**
     * A tuning that fixes every field.
     *
     * @param c the configuration to use for every shape it fits
     * @return the tuning
     */
    public static ScanTuning fixed(LaunchConfig c) {
        return new ScanTuning(
                false,
                c.rowThreads(),
                c.nrows(),
                c.statesPerThread(),
                c.chunk(),
                c.spanChunks(),
                false,
                c.layout());
    }

    /**
     * @param on whether to time candidates
     * @return a copy
     */
    public ScanTuning withAutotune(boolean on) {
        return new ScanTuning(
                on, rowThreads, nrows, statesPerThread, chunk, spanChunks, fusedCrossScan, layout);
    }

    /**
     * @param n channel rows per thread (1, 2, 4), or 0 for free
     * @return a copy
     */
    public ScanTuning withNrows(int n) {
        return new ScanTuning(
                autotune,
                rowThreads,
                n,
                statesPerThread,
                chunk,
                spanChunks,
                fusedCrossScan,
                layout);
    }

    /**
     * @param t chunk length, or 0 for free
     * @return a copy
     */
    public ScanTuning withChunk(int t) {
        return new ScanTuning(
                autotune,
                rowThreads,
                nrows,
                statesPerThread,
                t,
                spanChunks,
                fusedCrossScan,
                layout);
    }

    /**
     * @param s chunks per span (0 = single pass), or -1 for free
     * @return a copy
     */
    public ScanTuning withSpanChunks(int s) {
        return new ScanTuning(
                autotune, rowThreads, nrows, statesPerThread, chunk, s, fusedCrossScan, layout);
    }

    /**
     * @param n states per thread, or 0 for free
     * @return a copy
     */
    public ScanTuning withStatesPerThread(int n) {
        return new ScanTuning(
                autotune, rowThreads, nrows, n, chunk, spanChunks, fusedCrossScan, layout);
    }

    /**
     * @param n threads per row slice of a block, or 0 for free
     * @return a copy
     */
    public ScanTuning withRowThreads(int n) {
        return new ScanTuning(
                autotune, n, nrows, statesPerThread, chunk, spanChunks, fusedCrossScan, layout);
    }

    /**
     * @param on whether {@code crossScanMerge} uses the fused kernel
     * @return a copy
     */
    public ScanTuning withFusedCrossScan(boolean on) {
        return new ScanTuning(
                autotune, rowThreads, nrows, statesPerThread, chunk, spanChunks, on, layout);
    }

    /**
     * @param l the thread layout, or null for free
     * @return a copy
     */
    public ScanTuning withLayout(ScanLayout l) {
        return new ScanTuning(
                autotune, rowThreads, nrows, statesPerThread, chunk, spanChunks, fusedCrossScan, l);
    }

    /**
     * Whether a configuration respects every forced field.
     *
     * @param c a candidate
     * @return true if allowed
     */
    public boolean allows(LaunchConfig c) {
        return (rowThreads == 0 || c.rowThreads() == rowThreads)
                && (nrows == 0 || c.nrows() == nrows)
                && (statesPerThread == 0 || c.statesPerThread() == statesPerThread)
                && (chunk == 0 || c.chunk() == chunk)
                && (spanChunks == -1 || c.spanChunks() == spanChunks)
                && (layout == null || c.layout() == layout);
    }

    /** Whether every launch field is forced. */
    boolean fullyForced() {
        return rowThreads != 0
                && nrows != 0
                && statesPerThread != 0
                && chunk != 0
                && spanChunks != -1
                && (layout != null
                        || statesPerThread != 1
                        || chunk != LaunchConfig.TIME_TILE); // implies thread per row
    }
}
