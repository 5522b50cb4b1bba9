package dev.vmamba.kernels;

/** How the threads of a scan kernel map onto channel rows and time steps. */
public enum ScanLayout {
    /**
     * A thread walks a row's time steps in order with its share of the N states in registers (a few
     * neighbouring lanes split a row when N is large). Suits N ≥ 2, where the states give each
     * thread enough independent work per step.
     */
    THREAD_PER_ROW,
    /**
     * A warp per row, its lanes along time: tiles of 128 steps, four per lane, scanned as affine
     * maps with warp shuffles, so every row is read and written with coalesced 16-byte accesses.
     * For N = 1 (the v2/v2v/v3 releases), where one state per thread leaves the thread-per-row
     * kernels bound by scattered row reads. Its chunk is always {@link LaunchConfig#TIME_TILE}.
     */
    WARP_PER_ROW
}
