package dev.vmamba.kernels;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.vmamba.core.scan.ScanInputs;
import dev.vmamba.core.scan.ScanOutput;
import dev.vmamba.kernels.GpuSupport.Problem;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * On the GPU: bad arguments and impossible configurations are refused before any launch (the device
 * stays usable afterwards), and the scan makes strided inputs dense itself.
 */
@Tag("gpu")
class CudaValidationGpuTest {

    @Test
    void refusesBeforeLaunchingAndStaysUsable() {
        Device gpu = GpuSupport.gpu();
        try (NDManager m = NDManager.newBaseManager(gpu)) {
            Problem p = new Problem(2, 4, 8, 16, 64, true, true, true);
            ScanInputs in = GpuSupport.random(m, p, 3);
            // u's values stored as a dense (Bt, L, C) array, seen as (Bt, C, L): a strided view
            // (flatten() of the transposed view must copy in the transposed order)
            NDArray strided =
                    in.u().transpose(0, 2, 1).flatten().reshape(2, 64, 32).transpose(0, 2, 1);
            ScanInputs bad =
                    new ScanInputs(
                            strided,
                            in.delta(),
                            in.a(),
                            in.b(),
                            in.c(),
                            in.d(),
                            in.deltaBias(),
                            true);
            LaunchConfig cfg = new LaunchConfig(64, 1, 16, 16, 0);
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> SelectiveScanKernels.forward(bad, false, DataType.FLOAT32, cfg));
            assertTrue(e.getMessage().contains("contiguous"), e.getMessage());
            LaunchConfig huge = new LaunchConfig(1024, 1, 16, 256, 0);
            e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> SelectiveScanKernels.backward(in, in.u(), huge));
            assertTrue(e.getMessage().contains("shared memory"), e.getMessage());
            // 1024 threads of two rows and 16 states each need more registers than a block has
            LaunchConfig tooManyThreads = new LaunchConfig(1024, 2, 16, 4, 0);
            e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () ->
                                    SelectiveScanKernels.forward(
                                            in, false, DataType.FLOAT32, tooManyThreads));
            assertTrue(e.getMessage().contains("exceeds its limits"), e.getMessage());

            // still usable, and strided inputs are made dense by the scan itself
            ScanOutput good = new CudaSelectiveScan().forward(in, false);
            ScanOutput fromStrided = new CudaSelectiveScan().forward(bad, false);
            GpuSupport.assertClose("strided input", fromStrided.y(), good.y(), 1e-6);
        }
    }
}
