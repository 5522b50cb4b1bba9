package dev.vmamba.kernels;

import dev.vmamba.core.scan.ScanBackend;
import dev.vmamba.core.scan.SelectiveScan;
import dev.vmamba.core.scan.SelectiveScanProvider;

/**
 * Registers {@link CudaSelectiveScan} with core as the {@link ScanBackend#CUDA} backend
 * (ServiceLoader, {@code META-INF/services}). Available when the kernels were built into the jar
 * and a CUDA driver with a GPU is present.
 */
public final class CudaSelectiveScanProvider implements SelectiveScanProvider {

    @Override
    public ScanBackend backend() {
        return ScanBackend.CUDA;
    }

    @Override
    public boolean isAvailable() {
        return CudaKernels.isAvailable();
    }

    @Override
    public String unavailableReason() {
        return CudaKernels.unavailableReason();
    }

    @Override
    public SelectiveScan create() {
        if (!isAvailable()) {
            throw new UnsupportedOperationException(
                    "CUDA selective scan unavailable: " + unavailableReason());
        }
        return new CudaSelectiveScan();
    }
}
