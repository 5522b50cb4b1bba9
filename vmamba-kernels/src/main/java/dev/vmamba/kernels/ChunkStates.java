package dev.vmamba.kernels;

import ai.djl.ndarray.NDArray;
import dev.vmamba.core.scan.ScanInputs;
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
 * @param inputs the arguments of the forward call, or null when unknown: the backward of {@link
 *     CudaSelectiveScan} accepts the states only for these very arrays
 */
public record ChunkStates(NDArray states, LaunchConfig backwardConfig, ScanInputs inputs)
        implements ScanResiduals {

    @Override
    public List<NDArray> arrays() {
        return List.of(states);
    }

    /**
     * Whether these states were saved for these arguments: the same arrays (identity, not values)
     * and the same softplus flag.
     *
     * @param in the arguments of a backward call
     * @return true if {@link #inputs} is unknown or holds the same arrays
     */
    public boolean savedFor(ScanInputs in) {
        if (inputs == null || inputs == in) {
            return true;
        }
        return inputs.u() == in.u()
                && inputs.delta() == in.delta()
                && inputs.a() == in.a()
                && inputs.b() == in.b()
                && inputs.c() == in.c()
                && inputs.d() == in.d()
                && inputs.deltaBias() == in.deltaBias()
                && inputs.deltaSoftplus() == in.deltaSoftplus();
    }
}
