package dev.vmamba.core.scan;

/**
 * A Java implementation of the scan recurrence over a block of consecutive channels that share one
 * B/C group. Kernels keep each channel's N states in locals or vector registers and walk the
 * sequence once.
 */
interface ScanKernel {

    /**
     * @return how many channels one call processes at once (1 for scalar kernels); the facade gives
     *     vector kernels blocks of exactly this width
     */
    int lanes();

    /**
     * @return a short name for logs and benchmarks
     */
    String name();

    /**
     * Scans channels {@code [c0, c0 + width)} of batch row {@code bIndex}.
     *
     * @param p the problem
     * @param bIndex batch row
     * @param c0 first channel
     * @param width number of channels (all in the group of {@code c0})
     */
    void run(ScanProblem p, int bIndex, int c0, int width);
}
