/**
 * CUDA selective-scan kernels for VMamba, launched through JCuda on DJL PyTorch-engine GPU tensors
 * and plugged into core as the {@code cuda} scan backend.
 *
 * <p>Three tiers: the loader ({@link dev.vmamba.kernels.CudaKernels}, package-private {@code
 * CudaDevice}: fatbin built by nvcc into the jar, primary context shared with libtorch, default
 * stream), package-private raw launch wrappers ({@code CudaDevice.launch}, {@code ScanParams},
 * {@code DevicePointers}) and one validating facade taking NDArrays ({@link
 * dev.vmamba.kernels.SelectiveScanKernels}). {@link dev.vmamba.kernels.CudaSelectiveScan} is the
 * {@link dev.vmamba.core.scan.SelectiveScan} on top; launch configurations are data ({@link
 * dev.vmamba.kernels.LaunchConfig}) chosen by {@link dev.vmamba.kernels.LaunchConfigs} and {@link
 * dev.vmamba.kernels.ScanAutotuner}. No JCuda type appears in a public signature.
 *
 * <p>Glossary: {@code Bt} = batch; {@code C} = channels of the scan = K·d_inner; {@code G} = B/C
 * groups (K = 4 directions); {@code N} = d_state; {@code L} = H·W; {@code nrows} = channel rows per
 * thread (the official kernels' rows per block); {@code statesPerThread} (NT) = states a thread
 * keeps in registers; {@code threadsPerRow} (TPR) = lanes sharing a row when N > NT; {@code chunk}
 * (T) = time steps staged in shared memory at a time; {@code span} = the part of the sequence one
 * block scans in the two-level (split) scan; checkpoint = the state at a chunk start, stored by the
 * forward pass of the backward; λ = the adjoint state of spec §5.3.
 */
package dev.vmamba.kernels;
