package dev.vmamba.kernels;

import ai.djl.ndarray.NDArray;
import dev.vmamba.core.scan.ScanResiduals;
import java.util.List;

/**
 * The residuals of the CUDA forward for training: the state entering every chunk of the backward
 * ({@code (Bt, C, chunks, N)} float32), written by the forward kernel from its registers, and the
 * backward launch configuration whose chunks they start. With them the backward skips its
 * state-only forward passes (the official kernels likewise keep chunk states from their forward).
 *
 * @param states {@code (Bt, C, chunks, N)} float32, on the inputs' device
 * @param backwardConfig the backward configuration the chunks belong to
 */
public record ChunkStates(NDArray states, LaunchConfig backwardConfig) implements ScanResiduals {

    @Override
    public List<NDArray> arrays() {
        return List.of(states);
    }
}
