package dev.vmamba.core.scan;

import ai.djl.ndarray.NDArray;

/**
 * Gradients of a loss with respect to the scan arguments (spec §5.3), shaped like the arguments.
 * The last state receives no gradient. Absent arguments ({@code D}, {@code delta_bias}) have null
 * gradients.
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
        NDArray dDeltaBias) {}
