package dev.vmamba.core.scan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.vmamba.core.testing.Fixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ForkJoinPool;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The scan twins (NDArray reference, Java vector kernel, Java scalar kernel) agree on fresh random
 * inputs over shapes that exercise full vector blocks, leftover channels, N = 1 and 16, L = 1 and
 * lengths around the tile size, the Δ > 20 softplus branch, absent D / bias and no softplus.
 */
class SelectiveScanPropertyTest {

    private static NDManager manager;
    private static final SelectiveScan REFERENCE = new NDArraySelectiveScan();
    private static final SelectiveScan VECTOR = new JavaSelectiveScan();
    private static final SelectiveScan SCALAR = new JavaSelectiveScan(new ForkJoinPool(2), false);

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    /** (batch, groups, channels per group, N, L, softplus, withD, withBias, bigDelta). */
    static Stream<Arguments> shapes() {
        List<Arguments> out = new ArrayList<>();
        out.add(Arguments.of(1, 4, 16, 16, 1, true, true, true, false));
        out.add(Arguments.of(2, 4, 32, 16, 65, true, true, true, false));
        out.add(Arguments.of(1, 4, 17, 4, 64, true, false, true, false));
        out.add(Arguments.of(1, 2, 48, 1, 129, true, true, false, false));
        out.add(Arguments.of(3, 1, 16, 3, 63, false, true, true, false));
        out.add(Arguments.of(1, 4, 16, 16, 200, true, true, true, true));
        out.add(Arguments.of(2, 4, 8, 2, 300, true, true, true, false));
        out.add(Arguments.of(1, 4, 33, 5, 97, true, true, true, false));
        return out.stream();
    }

    static ScanInputs randomInputs(
            NDManager m,
            Random r,
            int batch,
            int groups,
            int perGroup,
            int n,
            int l,
            boolean softplus,
            boolean withD,
            boolean withBias,
            boolean bigDelta) {
        int ch = groups * perGroup;
        NDArray u = m.randomNormal(0, 1, new Shape(batch, ch, l), DataType.FLOAT32);
        // without softplus Δ is used as given and must be positive for a stable recurrence
        NDArray delta =
                bigDelta
                        ? m.randomUniform(-5, 40, new Shape(batch, ch, l))
                        : softplus
                                ? m.randomNormal(
                                        -1.5f, 1f, new Shape(batch, ch, l), DataType.FLOAT32)
                                : m.randomUniform(0.001f, 0.5f, new Shape(batch, ch, l));
        NDArray a = m.randomUniform(0.05f, 8f, new Shape(ch, n)).neg();
        NDArray b = m.randomNormal(0, 1, new Shape(batch, groups, n, l), DataType.FLOAT32);
        NDArray c = m.randomNormal(0, 1, new Shape(batch, groups, n, l), DataType.FLOAT32);
        NDArray d = withD ? m.randomNormal(0, 1, new Shape(ch), DataType.FLOAT32) : null;
        NDArray bias =
                !withBias
                        ? null
                        : softplus || bigDelta
                                ? m.randomNormal(0, 0.5f, new Shape(ch), DataType.FLOAT32)
                                : m.randomUniform(0f, 0.2f, new Shape(ch));
        return new ScanInputs(u, delta, a, b, c, d, bias, softplus || bigDelta);
    }

    @ParameterizedTest(name = "Bt={0} G={1} Dg={2} N={3} L={4}")
    @MethodSource("shapes")
    void javaKernelsMatchTheReference(
            int batch,
            int groups,
            int perGroup,
            int n,
            int l,
            boolean softplus,
            boolean withD,
            boolean withBias,
            boolean bigDelta) {
        try (NDManager m = manager.newSubManager()) {
            ScanInputs in =
                    randomInputs(
                            m,
                            new Random(),
                            batch,
                            groups,
                            perGroup,
                            n,
                            l,
                            softplus,
                            withD,
                            withBias,
                            bigDelta);
            ScanOutput ref = REFERENCE.forward(in, true);
            for (SelectiveScan s : List.of(VECTOR, SCALAR)) {
                ScanOutput o = s.forward(in, true);
                Fixtures.assertClose(
                        s.backend() + "/" + ((JavaSelectiveScan) s).kernelName() + " y",
                        o.y(),
                        ref.y(),
                        1e-5,
                        1e-5);
                Fixtures.assertClose(
                        s.backend() + " last state", o.lastState(), ref.lastState(), 1e-5, 1e-5);
            }
        }
    }

    @ParameterizedTest(name = "Bt={0} G={1} Dg={2} N={3} L={4}")
    @MethodSource("shapes")
    void javaBackwardMatchesAutogradOfTheReference(
            int batch,
            int groups,
            int perGroup,
            int n,
            int l,
            boolean softplus,
            boolean withD,
            boolean withBias,
            boolean bigDelta) {
        try (NDManager m = manager.newSubManager()) {
            ScanInputs in =
                    randomInputs(
                            m,
                            new Random(),
                            batch,
                            groups,
                            perGroup,
                            n,
                            l,
                            softplus,
                            withD,
                            withBias,
                            bigDelta);
            NDArray dy = m.randomNormal(in.u().getShape());
            ScanGradients ref = REFERENCE.backward(in, dy);
            ScanGradients g = VECTOR.backward(in, dy);
            Fixtures.assertClose("du", g.du(), ref.du(), 1e-5, 1e-4);
            Fixtures.assertClose("ddelta", g.dDelta(), ref.dDelta(), 1e-5, 1e-4);
            Fixtures.assertClose("dA", g.dA(), ref.dA(), 1e-5, 1e-4);
            Fixtures.assertClose("dB", g.dB(), ref.dB(), 1e-5, 1e-4);
            Fixtures.assertClose("dC", g.dC(), ref.dC(), 1e-5, 1e-4);
            if (in.d() != null) {
                Fixtures.assertClose("dD", g.dD(), ref.dD(), 1e-5, 1e-4);
            }
            if (in.deltaBias() != null) {
                Fixtures.assertClose("dbias", g.dDeltaBias(), ref.dDeltaBias(), 1e-5, 1e-4);
            }
        }
    }

    @Test
    void trainingForwardWithoutResidualsFallsBackToTheRecomputingBackward() {
        try (NDManager m = manager.newSubManager()) {
            ScanInputs in = randomInputs(m, new Random(), 2, 2, 3, 4, 29, true, true, true, false);
            NDArray dy = m.randomNormal(in.u().getShape());
            ScanOutput plain = VECTOR.forward(in, true);
            ScanOutput training = VECTOR.forwardForBackward(in, true);
            assertNull(training.residuals(), "the Java backend keeps nothing for its backward");
            Fixtures.assertClose("y", training.y(), plain.y(), 0, 0);
            Fixtures.assertClose("last", training.lastState(), plain.lastState(), 0, 0);
            ScanGradients recomputed = VECTOR.backward(in, dy);
            ScanGradients fromForward = VECTOR.backward(in, dy, training);
            for (int i = 0; i < recomputed.arrays().size(); i++) {
                Fixtures.assertClose(
                        "gradient " + i,
                        fromForward.arrays().get(i),
                        recomputed.arrays().get(i),
                        0,
                        0);
            }
        }
    }

    @Test
    void fusedCoreDefaultEqualsManualCrossScanScanMerge() {
        try (NDManager m = manager.newSubManager()) {
            int b = 2;
            int d = 16;
            int h = 5;
            int w = 7;
            int n = 4;
            int l = h * w;
            NDArray u = m.randomNormal(new Shape(b, d, h, w));
            NDArray delta = m.randomNormal(new Shape(b, 4, d, l)).sub(1);
            NDArray a = m.randomUniform(0.1f, 4f, new Shape(4 * d, n)).neg();
            NDArray bs = m.randomNormal(new Shape(b, 4, n, l));
            NDArray cs = m.randomNormal(new Shape(b, 4, n, l));
            NDArray ds = m.randomNormal(new Shape(4 * d));
            NDArray bias = m.randomNormal(new Shape(4 * d));
            for (ScanMode mode : ScanMode.values()) {
                CrossScanInputs in = new CrossScanInputs(u, delta, a, bs, cs, ds, bias, true, mode);
                NDArray fused = VECTOR.crossScanMerge(in);
                // manual: gather each direction by its index map, scan, scatter-add back
                long[][] idx = CrossScan.indexMap(h, w, mode);
                NDArray manual = m.zeros(new Shape(b, d, l));
                float[] acc = manual.toFloatArray();
                ScanOutput out = REFERENCE.forward(in.toScanInputs(), false);
                float[] ys = out.y().toFloatArray();
                for (int bi = 0; bi < b; bi++) {
                    for (int k = 0; k < 4; k++) {
                        for (int c = 0; c < d; c++) {
                            for (int t = 0; t < l; t++) {
                                acc[(bi * d + c) * l + (int) idx[k][t]] +=
                                        ys[((bi * 4 + k) * d + c) * l + t];
                            }
                        }
                    }
                }
                Fixtures.assertClose(
                        mode + " fused core", fused, m.create(acc, new Shape(b, d, l)), 1e-5, 1e-5);
            }
        }
    }

    @Test
    void validationNamesTheArgument() {
        try (NDManager m = manager.newSubManager()) {
            NDArray u = m.ones(new Shape(1, 8, 10));
            NDArray a = m.ones(new Shape(8, 4)).neg();
            NDArray bc = m.ones(new Shape(1, 4, 4, 10));
            assertMessage(
                    "delta",
                    () ->
                            new ScanInputs(
                                    u, m.ones(new Shape(1, 8, 9)), a, bc, bc, null, null, true));
            assertMessage(
                    "A must be",
                    () -> new ScanInputs(u, u, m.ones(new Shape(7, 4)), bc, bc, null, null, true));
            assertMessage(
                    "group count 3",
                    () ->
                            new ScanInputs(
                                    u,
                                    u,
                                    a,
                                    m.ones(new Shape(1, 3, 4, 10)),
                                    m.ones(new Shape(1, 3, 4, 10)),
                                    null,
                                    null,
                                    true));
            assertMessage(
                    "C must have",
                    () ->
                            new ScanInputs(
                                    u, u, a, bc, m.ones(new Shape(1, 4, 4, 9)), null, null, true));
            assertMessage(
                    "D must be",
                    () -> new ScanInputs(u, u, a, bc, bc, m.ones(new Shape(9)), null, true));
            assertMessage(
                    "u must be float32",
                    () ->
                            new ScanInputs(
                                    u.toType(DataType.INT32, false),
                                    u,
                                    a,
                                    bc,
                                    bc,
                                    null,
                                    null,
                                    true));
            assertMessage(
                    "d_state",
                    () ->
                            new ScanInputs(
                                    u,
                                    u,
                                    m.ones(new Shape(8, 300)),
                                    m.ones(new Shape(1, 4, 300, 10)),
                                    m.ones(new Shape(1, 4, 300, 10)),
                                    null,
                                    null,
                                    true));
        }
    }

    @Test
    void javaBackendRefusesNonCpuDevices() {
        assertTrue(VECTOR.supports(Device.cpu()));
        assertEquals(false, VECTOR.supports(Device.gpu()));
    }

    private static void assertMessage(String fragment, Runnable r) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
    }
}
