package dev.vmamba.kernels;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.vmamba.core.scan.CrossScanInputs;
import dev.vmamba.core.scan.ScanInputs;
import dev.vmamba.core.scan.ScanMode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The facade refuses bad arguments with {@link IllegalArgumentException} before anything is
 * launched. These checks come before the device check, so they run on CPU arrays anywhere.
 */
class ValidationTest {

    private static final LaunchConfig CFG = new LaunchConfig(64, 1, 16, 16, 0);
    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    private static ScanInputs inputs(NDManager m, DataType bcType) {
        int b = 2;
        int c = 8;
        int n = 16;
        int l = 10;
        return new ScanInputs(
                m.randomNormal(new Shape(b, c, l)),
                m.randomNormal(new Shape(b, c, l)),
                m.randomUniform(-2f, -0.5f, new Shape(c, n)),
                m.randomNormal(new Shape(b, 4, n, l)).toType(bcType, false),
                m.randomNormal(new Shape(b, 4, n, l)).toType(bcType, false),
                m.randomNormal(new Shape(c)),
                m.randomNormal(new Shape(c)),
                true);
    }

    private static void expect(String fragment, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(fragment), "message: " + e.getMessage());
    }

    @Test
    void cpuArraysAreRefusedWithTheReason() {
        try (NDManager m = manager.newSubManager()) {
            ScanInputs in = inputs(m, DataType.FLOAT32);
            expect(
                    "runs on GPU tensors",
                    () -> SelectiveScanKernels.forward(in, false, DataType.FLOAT32, CFG));
            expect(
                    "runs on GPU tensors",
                    () -> SelectiveScanKernels.backward(in, in.u().zerosLike(), CFG));
        }
    }

    @Test
    void projectionsMustShareTheInputType() {
        try (NDManager m = manager.newSubManager()) {
            ScanInputs in = inputs(m, DataType.FLOAT16);
            expect(
                    "B must be float32",
                    () -> SelectiveScanKernels.forward(in, false, DataType.FLOAT32, CFG));
        }
    }

    @Test
    void nonContiguousInputsAreRefused() {
        try (NDManager m = manager.newSubManager()) {
            ScanInputs ok = inputs(m, DataType.FLOAT32);
            NDArray strided = m.randomNormal(new Shape(2, 10, 8)).transpose(0, 2, 1);
            ScanInputs in =
                    new ScanInputs(
                            strided,
                            ok.delta(),
                            ok.a(),
                            ok.b(),
                            ok.c(),
                            ok.d(),
                            ok.deltaBias(),
                            true);
            expect(
                    "u (2, 8, 10) must be contiguous",
                    () -> SelectiveScanKernels.forward(in, false, DataType.FLOAT32, CFG));
        }
    }

    @Test
    void outputTypeAndGradientShapeAreChecked() {
        try (NDManager m = manager.newSubManager()) {
            ScanInputs in = inputs(m, DataType.FLOAT32);
            expect(
                    "output type must be float32",
                    () -> SelectiveScanKernels.forward(in, false, DataType.FLOAT16, CFG));
            expect(
                    "dy must have u's shape",
                    () -> SelectiveScanKernels.backward(in, m.zeros(new Shape(2, 8, 9)), CFG));
            expect(
                    "dy must be float32",
                    () ->
                            SelectiveScanKernels.backward(
                                    in, m.zeros(new Shape(2, 8, 10), DataType.FLOAT64), CFG));
        }
    }

    @Test
    void fusedCrossScanChecksSkipWeightsAndTypes() {
        try (NDManager m = manager.newSubManager()) {
            int b = 1;
            int d = 3;
            int n = 4;
            int l = 12;
            NDArray u = m.randomNormal(new Shape(b, d, 3, 4));
            NDArray delta = m.randomNormal(new Shape(b, 4, d, l));
            NDArray a = m.randomUniform(-2f, -0.5f, new Shape(4 * d, n));
            NDArray bs = m.randomNormal(new Shape(b, 4, n, l));
            NDArray cs = m.randomNormal(new Shape(b, 4, n, l));
            CrossScanInputs wrongD =
                    new CrossScanInputs(
                            u,
                            delta,
                            a,
                            bs,
                            cs,
                            m.ones(new Shape(d)),
                            null,
                            true,
                            ScanMode.CROSS2D);
            expect("D must be (12)", () -> SelectiveScanKernels.crossScanMerge(wrongD, CFG));
            CrossScanInputs wrongType =
                    new CrossScanInputs(
                            u,
                            delta.toType(DataType.FLOAT16, false),
                            a,
                            bs,
                            cs,
                            null,
                            null,
                            true,
                            ScanMode.CROSS2D);
            expect(
                    "delta must be float32",
                    () -> SelectiveScanKernels.crossScanMerge(wrongType, CFG));
            CrossScanInputs onCpu =
                    new CrossScanInputs(u, delta, a, bs, cs, null, null, true, ScanMode.UNIDI);
            expect("runs on GPU tensors", () -> SelectiveScanKernels.crossScanMerge(onCpu, CFG));
        }
    }

    @Test
    void sizeLimits() {
        expect(
                "exceeds the kernels' limit",
                () -> SelectiveScanKernels.requireSizes(1, 4, 4, 16, 1L << 31));
        expect(
                "rows exceed",
                () -> SelectiveScanKernels.requireSizes(1 << 16, 1 << 16, 4, 16, 100));
        expect("Bt·G·N", () -> SelectiveScanKernels.requireSizes(1 << 20, 4, 4, 1024, 100));
    }
}
