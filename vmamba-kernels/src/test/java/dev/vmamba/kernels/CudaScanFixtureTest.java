package dev.vmamba.kernels;

import static org.junit.jupiter.api.Assertions.assertNull;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import dev.vmamba.core.scan.ScanGradients;
import dev.vmamba.core.scan.ScanInputs;
import dev.vmamba.core.scan.ScanOutput;
import dev.vmamba.core.testing.Fixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every golden selective-scan case of the official code, forward (y, last state) and all seven
 * gradients, on the GPU with the CUDA kernels, within the manifest tolerances: autotuned, with each
 * forced {@code nrows}, and with the two-level (span-split) plans forced; both the recomputing
 * backward and the training pair (forward saving the chunk states, backward starting from them).
 */
@Tag("gpu")
class CudaScanFixtureTest {

    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        Device gpu = GpuSupport.gpu();
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
        for (String id : Fixtures.caseIds("selective_scan")) {
            for (String t : List.of("auto", "nrows1", "nrows2", "nrows4", "spans")) {
                out.add(Arguments.of(id, t));
            }
        }
        return out.stream();
    }

    /**
     * The tunings the GPU tests exercise: autotuned, each forced {@code nrows}, and the two-level
     * plans forced (spans of one chunk; 16 steps, 8 for N > 16 whose backward tiles are larger).
     */
    static ScanTuning tuning(String name, int dState) {
        switch (name) {
            case "auto":
                return ScanTuning.AUTO;
            case "spans":
                return ScanTuning.HEURISTIC.withChunk(dState > 16 ? 8 : 16).withSpanChunks(1);
            case "chunk64":
                return ScanTuning.HEURISTIC.withChunk(64);
            default:
                return ScanTuning.HEURISTIC.withNrows(Integer.parseInt(name.substring(5)));
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void forwardAndGradientsMatchOfficial(String id, String tuningName) {
        JsonObject c = Fixtures.caseById(id);
        CudaSelectiveScan scan =
                new CudaSelectiveScan(
                        tuning(tuningName, c.getAsJsonObject("params").get("d_state").getAsInt()));
        try (NDManager m = manager.newSubManager()) {
            Map<String, NDArray> t = Fixtures.load(c.get("file").getAsString(), m);
            ScanInputs in = Fixtures.scanInputs(c, t);
            ScanOutput out = scan.forward(in, true);
            Fixtures.assertWithinManifest(c, "y", out.y(), t.get("y"));
            Fixtures.assertWithinManifest(c, "last_state", out.lastState(), t.get("last_state"));
            ScanOutput noState = scan.forward(in, false);
            assertNull(noState.lastState());
            Fixtures.assertWithinManifest(c, "y", noState.y(), t.get("y"));

            assertGradientsWithinManifest(c, t, in, scan.backward(in, t.get("dy")));

            // training: the forward saves the backward's chunk states, the backward starts there
            ScanOutput saving = scan.forwardForBackward(in, true);
            Fixtures.assertWithinManifest(c, "y", saving.y(), t.get("y"));
            Fixtures.assertWithinManifest(c, "last_state", saving.lastState(), t.get("last_state"));
            assertGradientsWithinManifest(c, t, in, scan.backward(in, t.get("dy"), saving));
        }
    }

    /** All seven gradients against the case's, absent ones absent. */
    private static void assertGradientsWithinManifest(
            JsonObject c, Map<String, NDArray> t, ScanInputs in, ScanGradients g) {
        Fixtures.assertWithinManifest(c, "d_u", g.du(), t.get("d_u"));
        Fixtures.assertWithinManifest(c, "d_delta", g.dDelta(), t.get("d_delta"));
        Fixtures.assertWithinManifest(c, "d_A", g.dA(), t.get("d_A"));
        Fixtures.assertWithinManifest(c, "d_B", g.dB(), t.get("d_B"));
        Fixtures.assertWithinManifest(c, "d_C", g.dC(), t.get("d_C"));
        if (in.d() != null) {
            Fixtures.assertWithinManifest(c, "d_D", g.dD(), t.get("d_D"));
        } else {
            assertNull(g.dD());
        }
        if (in.deltaBias() != null) {
            Fixtures.assertWithinManifest(c, "d_delta_bias", g.dDeltaBias(), t.get("d_delta_bias"));
        } else {
            assertNull(g.dDeltaBias());
        }
    }
}
