/**
 * The selective-scan operator and the cross-scan around it.
 *
 * <p>{@link dev.vmamba.core.scan.SelectiveScan} is one interface with explicit backends ({@link
 * dev.vmamba.core.scan.ScanBackend}): {@link dev.vmamba.core.scan.NDArraySelectiveScan} (reference,
 * differentiable, any device), {@link dev.vmamba.core.scan.JavaSelectiveScan} (fast CPU) and CUDA
 * kernels plugged in through {@link dev.vmamba.core.scan.SelectiveScanProvider}. {@link
 * dev.vmamba.core.scan.CrossScan} / {@link dev.vmamba.core.scan.CrossMerge} unfold and fold the 2-D
 * map.
 *
 * <p>Glossary: {@code Bt} = batch, {@code C} = channels of the scan = K·d_inner, {@code G} = groups
 * of B/C (K = 4 directions in VMamba), {@code N} = d_state, {@code L} = sequence length = H·W,
 * {@code u} = input, {@code delta} = Δ before bias/softplus, {@code A} = state matrix diagonal
 * (negative), {@code B}/{@code C} = input/output projections, {@code D} = skip.
 */
package dev.vmamba.core.scan;
