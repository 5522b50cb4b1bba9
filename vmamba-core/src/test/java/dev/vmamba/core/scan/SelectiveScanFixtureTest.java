package dev.vmamba.core.scan;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import com.google.gson.JsonObject;
import dev.vmamba.core.testing.Fixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ForkJoinPool;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every golden selective-scan case from the official code, on every CPU backend. */
class SelectiveScanFixtureTest {

    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    static Stream<Arguments> forwardCases() {
        List<Arguments> out = new ArrayList<>();
        for (String id : Fixtures.caseIds("selective_scan")) {
            out.add(Arguments.of(id, "ndarray"));
            out.add(Arguments.of(id, "java"));
            out.add(Arguments.of(id, "java-scalar"));
        }
        return out.stream();
    }

    static Stream<String> cases() {
        return Fixtures.caseIds("selective_scan").stream();
    }

    private static SelectiveScan backend(String name) {
        switch (name) {
            case "ndarray":
                return new NDArraySelectiveScan();
            case "java":
                return new JavaSelectiveScan();
            case "java-scalar":
                return new JavaSelectiveScan(ForkJoinPool.commonPool(), false);
            default:
                throw new IllegalArgumentException(name);
        }
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("forwardCases")
    void forwardMatchesOfficial(String id, String backendName) {
        JsonObject c = Fixtures.caseById(id);
        try (NDManager m = manager.newSubManager()) {
            Map<String, NDArray> t = Fixtures.load(c.get("file").getAsString(), m);
            ScanOutput out = backend(backendName).forward(Fixtures.scanInputs(c, t), true);
            Fixtures.assertWithinManifest(c, "y", out.y(), t.get("y"));
            Fixtures.assertWithinManifest(c, "last_state", out.lastState(), t.get("last_state"));
            ScanOutput noState = backend(backendName).forward(Fixtures.scanInputs(c, t), false);
            assertNull(noState.lastState());
            Fixtures.assertWithinManifest(c, "y", noState.y(), t.get("y"));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void ndarrayGradientsMatchOfficialAutograd(String id) {
        JsonObject c = Fixtures.caseById(id);
        JsonObject p = c.getAsJsonObject("params");
        try (NDManager m = manager.newSubManager()) {
            Map<String, NDArray> t = Fixtures.load(c.get("file").getAsString(), m);
            ScanInputs in = Fixtures.scanInputs(c, t);
            List<String> names = new ArrayList<>(List.of("u", "delta", "A", "B", "C"));
            if (p.get("has_D").getAsBoolean()) {
                names.add("D");
            }
            if (p.get("has_delta_bias").getAsBoolean()) {
                names.add("delta_bias");
            }
            for (String n : names) {
                t.get(n).setRequiresGradient(true);
            }
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray y = new NDArraySelectiveScan().forward(in, false).y();
                gc.backward(y.mul(t.get("dy")).sum());
            }
            for (String n : names) {
                NDArray grad = t.get(n).getGradient();
                assertNotNull(grad, n);
                Fixtures.assertWithinManifest(c, "d_" + n, grad, t.get("d_" + n));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void javaAnalyticBackwardMatchesOfficialGradients(String id) {
        JsonObject c = Fixtures.caseById(id);
        JsonObject p = c.getAsJsonObject("params");
        try (NDManager m = manager.newSubManager()) {
            Map<String, NDArray> t = Fixtures.load(c.get("file").getAsString(), m);
            ScanGradients g =
                    new JavaSelectiveScan().backward(Fixtures.scanInputs(c, t), t.get("dy"));
            Fixtures.assertWithinManifest(c, "d_u", g.du(), t.get("d_u"));
            Fixtures.assertWithinManifest(c, "d_delta", g.dDelta(), t.get("d_delta"));
            Fixtures.assertWithinManifest(c, "d_A", g.dA(), t.get("d_A"));
            Fixtures.assertWithinManifest(c, "d_B", g.dB(), t.get("d_B"));
            Fixtures.assertWithinManifest(c, "d_C", g.dC(), t.get("d_C"));
            if (p.get("has_D").getAsBoolean()) {
                Fixtures.assertWithinManifest(c, "d_D", g.dD(), t.get("d_D"));
            } else {
                assertNull(g.dD());
            }
            if (p.get("has_delta_bias").getAsBoolean()) {
                Fixtures.assertWithinManifest(
                        c, "d_delta_bias", g.dDeltaBias(), t.get("d_delta_bias"));
            } else {
                assertNull(g.dDeltaBias());
            }
        }
    }
}
