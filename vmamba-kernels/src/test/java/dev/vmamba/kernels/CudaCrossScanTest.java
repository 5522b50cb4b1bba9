package dev.vmamba.kernels;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.vmamba.core.scan.CrossScanInputs;
import dev.vmamba.core.scan.NDArraySelectiveScan;
import dev.vmamba.core.scan.ScanMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fused cross-scan kernel against the unfused SS2D core (materialised directions, scan,
 * cross-merge) of the NDArray reference and of the CUDA plain scan, for every scan mode, H ≠ W, a
 * single row, and the span-split plan.
 */
@Tag("gpu")
class CudaCrossScanTest {

    private static Device gpu;
    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        gpu = GpuSupport.gpu();
        manager = NDManager.newBaseManager(gpu);
    }

    @AfterAll
    static void tearDown() {
        if (manager != null) {
            manager.close();
        }
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        int[][] shapes = {{2, 5, 3, 7, 4}, {1, 8, 8, 8, 16}, {1, 3, 1, 6, 1}, {3, 16, 14, 14, 16}};
        for (int[] s : shapes) {
            for (ScanMode mode : ScanMode.values()) {
                out.add(Arguments.of(s[0], s[1], s[2], s[3], s[4], mode));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "B={0} D={1} {2}x{3} N={4} {5}")
    @MethodSource("cases")
    void fusedMatchesUnfused(int b, int d, int h, int w, int n, ScanMode mode) {
        try (NDManager m = manager.newSubManager()) {
            Random r = new Random(b * 1000L + d * 10L + h + w + n);
            int l = h * w;
            CrossScanInputs in =
                    new CrossScanInputs(
                            GpuSupport.normal(m, r, new Shape(b, d, h, w), 1f, 0f),
                            GpuSupport.normal(m, r, new Shape(b, 4, d, l), 0.5f, -1f),
                            GpuSupport.normal(m, r, new Shape(4 * d, n), 0.3f, 0f)
                                    .abs()
                                    .add(0.2f)
                                    .neg(),
                            GpuSupport.normal(m, r, new Shape(b, 4, n, l), 1f, 0f),
                            GpuSupport.normal(m, r, new Shape(b, 4, n, l), 1f, 0f),
                            GpuSupport.normal(m, r, new Shape(4 * d), 1f, 0f),
                            GpuSupport.normal(m, r, new Shape(4 * d), 0.3f, 0f),
                            true,
                            mode);
            NDArray ref = new NDArraySelectiveScan().crossScanMerge(in);
            NDArray fused =
                    new CudaSelectiveScan(ScanTuning.AUTO.withFusedCrossScan(true))
                            .crossScanMerge(in);
            GpuSupport.assertClose("fused vs NDArray", fused, ref, 2e-4);
            NDArray split =
                    new CudaSelectiveScan(
                                    ScanTuning.HEURISTIC
                                            .withChunk(4)
                                            .withSpanChunks(1)
                                            .withFusedCrossScan(true))
                            .crossScanMerge(in);
            GpuSupport.assertClose("fused, spans vs NDArray", split, ref, 2e-4);
            NDArray unfused = new CudaSelectiveScan(ScanTuning.AUTO).crossScanMerge(in);
            GpuSupport.assertClose("unfused CUDA vs NDArray", unfused, ref, 2e-4);
        }
    }
}
