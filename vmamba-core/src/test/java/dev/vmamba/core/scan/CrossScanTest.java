package dev.vmamba.core.scan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import dev.vmamba.core.testing.Fixtures;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Cross-scan and cross-merge against the official outputs, and their algebraic properties. */
class CrossScanTest {

    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    static Stream<String> cases() {
        return Fixtures.caseIds("cross_scan").stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesOfficialExactly(String id) {
        JsonObject c = Fixtures.caseById(id);
        JsonObject p = c.getAsJsonObject("params");
        int h = p.get("height").getAsInt();
        int w = p.get("width").getAsInt();
        try (NDManager m = manager.newSubManager()) {
            Map<String, NDArray> t = Fixtures.load(c.get("file").getAsString(), m);
            Fixtures.assertWithinManifest(
                    c, "scan", CrossScan.scan(t.get("x"), ScanMode.CROSS2D), t.get("scan"));
            Fixtures.assertWithinManifest(
                    c,
                    "scan_channel_last",
                    CrossScan.scanChannelLast(t.get("x_channel_last"), ScanMode.CROSS2D),
                    t.get("scan_channel_last"));
            Fixtures.assertWithinManifest(
                    c,
                    "merge",
                    CrossMerge.merge(t.get("ys"), h, w, ScanMode.CROSS2D),
                    t.get("merge"));
            Fixtures.assertWithinManifest(
                    c,
                    "merge_channel_last",
                    CrossMerge.mergeChannelLast(t.get("ys_channel_last"), h, w, ScanMode.CROSS2D),
                    t.get("merge_channel_last"));
            assertIndexMap(t.get("index_cross2d"), CrossScan.indexMap(h, w, ScanMode.CROSS2D));
            assertIndexMap(t.get("index_unidi"), CrossScan.indexMap(h, w, ScanMode.UNIDI));
            assertIndexMap(t.get("index_bidi"), CrossScan.indexMap(h, w, ScanMode.BIDI));
        }
    }

    private static void assertIndexMap(NDArray expected, long[][] actual) {
        long[] e = expected.toLongArray();
        int l = actual[0].length;
        for (int k = 0; k < 4; k++) {
            long[] row = new long[l];
            System.arraycopy(e, k * l, row, 0, l);
            assertArrayEquals(row, actual[k], "direction " + k);
        }
    }

    static Stream<long[]> shapes() {
        Random r = new Random(7);
        return Stream.generate(
                        () ->
                                new long[] {
                                    1 + r.nextInt(2),
                                    1 + r.nextInt(4),
                                    1 + r.nextInt(9),
                                    1 + r.nextInt(9)
                                })
                .limit(12);
    }

    /** ⟨scan(x), y⟩ = ⟨x, merge(y)⟩ for random x, y: merge is the adjoint of scan. */
    @ParameterizedTest
    @EnumSource(ScanMode.class)
    void mergeIsTheAdjointOfScan(ScanMode mode) {
        shapes().forEach(
                        s -> {
                            try (NDManager m = manager.newSubManager()) {
                                Shape xs = new Shape(s[0], s[1], s[2], s[3]);
                                NDArray x = m.randomNormal(0, 1, xs, DataType.FLOAT64);
                                NDArray y =
                                        m.randomNormal(
                                                0,
                                                1,
                                                new Shape(s[0], 4, s[1], s[2] * s[3]),
                                                DataType.FLOAT64);
                                double lhs = CrossScan.scan(x, mode).mul(y).sum().getDouble();
                                NDArray merged = CrossMerge.merge(y, s[2], s[3], mode);
                                double rhs =
                                        x.reshape(s[0], s[1], s[2] * s[3])
                                                .mul(merged)
                                                .sum()
                                                .getDouble();
                                assertEquals(lhs, rhs, 1e-9 * (1 + Math.abs(lhs)), mode + " " + xs);
                            }
                        });
    }

    /** Scan then gather by the index map reproduces every direction. */
    @ParameterizedTest
    @EnumSource(ScanMode.class)
    void scanFollowsTheIndexMap(ScanMode mode) {
        try (NDManager m = manager.newSubManager()) {
            int h = 3;
            int w = 5;
            NDArray x = m.randomNormal(new Shape(2, 3, h, w));
            float[] xs = CrossScan.scan(x, mode).toFloatArray();
            float[] flat = x.toFloatArray();
            long[][] idx = CrossScan.indexMap(h, w, mode);
            int l = h * w;
            for (int b = 0; b < 2; b++) {
                for (int k = 0; k < 4; k++) {
                    for (int c = 0; c < 3; c++) {
                        for (int t = 0; t < l; t++) {
                            float expected = flat[(b * 3 + c) * l + (int) idx[k][t]];
                            assertEquals(expected, xs[((b * 4 + k) * 3 + c) * l + t], 0f);
                        }
                    }
                }
            }
        }
    }

    /** Per-direction scan of four copies of one map equals the shared scan. */
    @ParameterizedTest
    @EnumSource(ScanMode.class)
    void scanEachOfCopiesEqualsScan(ScanMode mode) {
        try (NDManager m = manager.newSubManager()) {
            NDArray x = m.randomNormal(new Shape(2, 3, 4, 6));
            NDArray copies = x.expandDims(1).repeat(1, 4);
            assertEquals(
                    0f,
                    CrossScan.scanEach(copies, mode)
                            .sub(CrossScan.scan(x, mode))
                            .abs()
                            .max()
                            .getFloat());
        }
    }

    @Test
    void rejectsWrongRanks() {
        try (NDManager m = manager.newSubManager()) {
            assertThrows(
                    IllegalArgumentException.class,
                    () -> CrossScan.scan(m.zeros(new Shape(2, 3, 4)), ScanMode.CROSS2D));
            assertThrows(
                    IllegalArgumentException.class,
                    () -> CrossMerge.merge(m.zeros(new Shape(1, 4, 2, 5)), 2, 3, ScanMode.CROSS2D));
        }
    }
}
