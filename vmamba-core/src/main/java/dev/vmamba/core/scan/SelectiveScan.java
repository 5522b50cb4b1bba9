package dev.vmamba.core.scan;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;

/**
 * The selective-scan operator of Mamba/VMamba (spec §5): for every batch row {@code b} and channel
 * {@code c} (group {@code g}),
 *
 * <pre>
 * Δₜ = softplus(deltaₜ + bias)          (or without softplus)
 * hₜ = exp(Δₜ·A) ⊙ hₜ₋₁ + Δₜ·uₜ·Bₜ      (h₋₁ = 0, N states)
 * yₜ = ⟨Cₜ, hₜ⟩ + D·uₜ
 * </pre>
 *
 * <p>Implementations: {@link NDArraySelectiveScan} (reference, differentiable), {@link
 * JavaSelectiveScan} (fast CPU) and the CUDA kernels of {@code vmamba-kernels}, all with this
 * signature so that tests compare twins and benchmarks time them.
 */
public interface SelectiveScan {

    /**
     * @return which backend this is
     */
    ScanBackend backend();

    /**
     * Whether this implementation can run on a device.
     *
     * @param device the device of the inputs
     * @return true if {@link #forward} accepts inputs there
     */
    boolean supports(Device device);

    /**
     * Runs the scan.
     *
     * @param inputs the validated arguments
     * @param returnLastState whether to return the final state as well
     * @return {@code y (Bt, C, L)} float32 and optionally the last state {@code (Bt, C, N)}
     * @throws IllegalArgumentException if the inputs are on a device this backend cannot use
     */
    ScanOutput forward(ScanInputs inputs, boolean returnLastState);

    /**
     * Gradients of {@code Σ y·dy} with respect to every argument, computed analytically (spec
     * §5.3). Backends that rely on DJL autograd instead do not implement it.
     *
     * @param inputs the arguments of the forward call
     * @param dy the upstream gradient {@code (Bt, C, L)}
     * @return the gradients
     * @throws UnsupportedOperationException if this backend has no explicit backward
     */
    default ScanGradients backward(ScanInputs inputs, NDArray dy) {
        throw new UnsupportedOperationException(
                backend()
                        + " selective scan has no explicit backward; use DJL autograd with the"
                        + " NDARRAY backend");
    }

    /**
     * Runs the scan for training: as {@link #forward}, and the result may also carry {@link
     * ScanResiduals} -- what this backend's backward would otherwise recompute (the CUDA kernels
     * keep the states at the start of every chunk of their backward). The default keeps nothing.
     *
     * @param inputs the validated arguments
     * @param returnLastState whether to return the final state as well
     * @return y, optionally the last state, and the residuals or null
     * @throws IllegalArgumentException if the inputs are on a device this backend cannot use
     */
    default ScanOutput forwardForBackward(ScanInputs inputs, boolean returnLastState) {
        return forward(inputs, returnLastState);
    }

    /**
     * Gradients as {@link #backward(ScanInputs, NDArray)}, starting from what {@link
     * #forwardForBackward} of the same inputs kept. Without residuals (or with ones this backend
     * cannot use) it recomputes as the two-argument form does.
     *
     * @param inputs the arguments of the forward call
     * @param dy the upstream gradient {@code (Bt, C, L)}
     * @param forward the output of {@link #forwardForBackward} for these inputs
     * @return the gradients
     * @throws IllegalArgumentException if the residuals do not fit these inputs
     * @throws UnsupportedOperationException if this backend has no explicit backward
     */
    default ScanGradients backward(ScanInputs inputs, NDArray dy, ScanOutput forward) {
        return backward(inputs, dy);
    }

    /**
     * The SS2D core: cross-scan, selective scan over the four directions, cross-merge. The default
     * materialises the four directions ({@link CrossScanInputs#toScanInputs()}), runs {@link
     * #forward} and merges; backends with a fused kernel override it. Both must agree.
     *
     * @param inputs activations and per-direction projections, in pixel order
     * @return the merged output {@code (B, D, L)} in pixel order, float32
     */
    default NDArray crossScanMerge(CrossScanInputs inputs) {
        NDArray ys = forward(inputs.toScanInputs(), false).y();
        long bt = inputs.batch();
        long d = inputs.dim();
        long h = inputs.height();
        long w = inputs.width();
        return CrossMerge.merge(ys.reshape(bt, CrossScanInputs.K, d, h * w), h, w, inputs.mode());
    }
}
