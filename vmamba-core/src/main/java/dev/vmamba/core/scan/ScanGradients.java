package dev.vmamba.core.scan;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;

/**
 * Gradients of a loss with respect to the scan arguments (spec §5.3), shaped like the arguments.
 * The last state receives no gradient. Absent arguments ({@code D}, {@code delta_bias}) have null
 * gradients. Closing the record closes every gradient array (their native memory is freed at once
 * instead of with their manager).
 *
 * @param du {@code (Bt, C, L)}
 * @param dDelta {@code (Bt, C, L)}
 * @param dA {@code (C, N)}
 * @param dB {@code (Bt, G, N, L)}
 * @param dC {@code (Bt, G, N, L)}
 * @param dD {@code (C)} or null
 * @param dDeltaBias {@code (C)} or null
 */
public record ScanGradients(
        NDArray du,
        NDArray dDelta,
        NDArray dA,
        NDArray dB,
        NDArray dC,
        NDArray dD,
        NDArray dDeltaBias)
        implements AutoCloseable {

    /**
     * The gradients present, in component order: du, dDelta, dA, dB, dC, then dD and dDeltaBias
     * when the arguments had them -- e.g. to hand them all to another manager.
     *
     * @return the non-null gradients
     */
    public List<NDArray> arrays() {
        List<NDArray> out = new ArrayList<>(7);
        for (NDArray x : new NDArray[] {du, dDelta, dA, dB, dC, dD, dDeltaBias}) {
            if (x != null) {
                out.add(x);
            }
        }
        return out;
    }

    /** Closes every gradient array. */
    @Override
    public void close() {
        arrays().forEach(NDArray::close);
    }
}
