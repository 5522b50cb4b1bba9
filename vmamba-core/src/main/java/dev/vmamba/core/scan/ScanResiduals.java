package dev.vmamba.core.scan;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * What a backend keeps from a forward call so that the backward of the same inputs need not
 * recompute it -- for the CUDA kernels, the states at the start of every chunk of the backward (the
 * official kernels keep the same kind of chunk states from their forward). Opaque to callers:
 * obtain it from {@link SelectiveScan#forwardForBackward}, hand the whole {@link ScanOutput} to
 * {@link SelectiveScan#backward(ScanInputs, NDArray, ScanOutput)}, and close it (or its manager)
 * when the backward is done.
 */
public interface ScanResiduals extends AutoCloseable {

    /**
     * @return the arrays held, e.g. to hand them to another manager
     */
    List<NDArray> arrays();

    /** Closes every array held. */
    @Override
    default void close() {
        arrays().forEach(NDArray::close);
    }
}
