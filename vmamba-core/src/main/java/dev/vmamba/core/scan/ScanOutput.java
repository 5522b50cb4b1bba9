package dev.vmamba.core.scan;

import ai.djl.ndarray.NDArray;

/**
 * What a selective scan returns.
 *
 * @param y the outputs {@code (Bt, C, L)}, float32
 * @param lastState the state after the last step {@code (Bt, C, N)}, float32, or null when not
 *     requested
 */
public record ScanOutput(NDArray y, NDArray lastState) {}
