package dev.vmamba.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.vmamba.core.scan.ScanBackend;
import dev.vmamba.core.scan.SelectiveScans;
import org.junit.jupiter.api.Test;

/** Availability reporting of the loader and the service provider; runs anywhere. */
class CudaKernelsTest {

    @Test
    void aJarWithoutTheFatbinSaysSo() {
        assertFalse(CudaKernels.isBuilt("dev/vmamba/kernels/missing.fatbin"));
        assertEquals(
                "CUDA kernels not built into this jar",
                CudaKernels.unavailableReason("dev/vmamba/kernels/missing.fatbin"));
    }

    @Test
    void buildInfoDescribesTheFatbin() {
        if (CudaKernels.isBuilt()) {
            assertTrue(CudaKernels.buildInfo().contains("sm_90"), CudaKernels.buildInfo());
        } else {
            assertEquals(CudaKernels.NOT_BUILT, CudaKernels.buildInfo());
        }
    }

    @Test
    void providerIsRegisteredAndAgreesWithTheLoader() {
        CudaSelectiveScanProvider p = new CudaSelectiveScanProvider();
        assertEquals(ScanBackend.CUDA, p.backend());
        assertEquals(CudaKernels.isAvailable(), p.isAvailable());
        assertEquals(CudaKernels.unavailableReason(), p.unavailableReason());
        // core finds it through ServiceLoader
        assertEquals(CudaKernels.isAvailable(), SelectiveScans.isAvailable(ScanBackend.CUDA));
        assertEquals(
                CudaKernels.unavailableReason(),
                SelectiveScans.unavailableReason(ScanBackend.CUDA));
        if (!p.isAvailable()) {
            assertFalse(p.unavailableReason().isEmpty());
            UnsupportedOperationException e =
                    assertThrows(UnsupportedOperationException.class, p::create);
            assertTrue(e.getMessage().contains(p.unavailableReason()), e.getMessage());
        }
    }

    @Test
    void cudaScanNeverClaimsTheCpu() {
        assertFalse(new CudaSelectiveScan().supports(Device.cpu()));
    }
}
