package dev.vmamba.core.scan;

import ai.djl.ndarray.NDArray;

/**
 * What a selective scan returns. Closing it closes every array it holds (their native memory is
 * freed at once instead of with their manager).
 *
 * @param y the outputs {@code (Bt, C, L)}, float32
 * @param lastState the state after the last step {@code (Bt, C, N)}, float32, or null when not
 *     requested
 * @param residuals what the backend kept for the backward of these inputs ({@link
 *     SelectiveScan#forwardForBackward}), or null
 */
public record ScanOutput(NDArray y, NDArray lastState, ScanResiduals residuals)
        implements AutoCloseable {

    /**
     * An output without residuals.
     *
     * @param y the outputs
     * @param lastState the last state or null
     */
    public ScanOutput(NDArray y, NDArray lastState) {
        this(y, lastState, null);
    }

    /** Closes y, the last state and the residuals, where present. */
    @Override
    public void close() {
        y.close();
        if (lastState != null) {
            lastState.close();
        }
        if (residuals != null) {
            residuals.close();
        }
    }
}
