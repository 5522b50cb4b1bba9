package dev.vmamba.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.vmamba.core.config.OfficialConfigReader;
import dev.vmamba.core.config.VMambaConfig;
import dev.vmamba.core.scan.ScanBackend;
import dev.vmamba.core.testing.Fixtures;
import dev.vmamba.core.weights.StateDictLoader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The micro model of each family (official init, perturbed) built from its official YAML and loaded
 * from its official safetensors, against the official float32 logits and Backbone features on
 * square and non-square inputs, with every CPU scan backend.
 */
class VMambaParityTest {

    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (String id : List.of("v0_micro", "v2_micro", "v2v_micro")) {
            for (ScanBackend b : List.of(ScanBackend.JAVA, ScanBackend.NDARRAY)) {
                out.add(Arguments.of(id, b));
            }
        }
        return out.stream();
    }

    /**
     * Builds a micro model with classifier and output norms and loads the official weights.
     *
     * @param id the fixture case
     * @param m owner of the weights
     * @return the loaded model
     */
    static VMamba loadMicro(String id, NDManager m) throws Exception {
        VMambaConfig config =
                OfficialConfigReader.read(Fixtures.file("micro-configs/" + id + ".yaml"));
        VMamba model = VMamba.builder(config).outNorms(0, 1, 2, 3).build();
        Map<String, NDArray> sd = new LinkedHashMap<>();
        sd.putAll(Fixtures.load("models/" + id + ".safetensors", m));
        sd.putAll(Fixtures.load("models/" + id + "_backbone_outnorms.safetensors", m));
        StateDictLoader.load(model, sd, m, true);
        JsonObject c = Fixtures.caseById(id);
        assertEquals(
                c.get("param_count_backbone").getAsLong()
                        + 2L * config.numFeatures()
                        + (long) config.numFeatures() * config.numClasses()
                        + config.numClasses(),
                model.parameterCount(),
                "parameters of classifier + output norms");
        return model;
    }

    @ParameterizedTest(name = "{0} with {1}")
    @MethodSource("cases")
    void logitsAndFeaturesMatchOfficial(String id, ScanBackend backend) throws Exception {
        JsonObject c = Fixtures.caseById(id);
        try (NDManager m = manager.newSubManager()) {
            VMamba model = loadMicro(id, m);
            model.setScanBackend(backend);
            Map<String, NDArray> io = Fixtures.load("models/" + id + "_io.safetensors", m);
            for (JsonElement in : c.getAsJsonArray("inputs")) {
                String name = in.getAsString();
                NDArray x = io.get(name);
                Fixtures.assertWithinManifest(
                        c, "logits__" + name, model.forward(x), io.get("logits__" + name));
                List<NDArray> feats = model.forwardIntermediates(x);
                assertEquals(4, feats.size());
                for (int i = 0; i < 4; i++) {
                    String key = "feat" + i + "__" + name;
                    Fixtures.assertWithinManifest(c, key, feats.get(i), io.get(key));
                }
            }
        }
    }
}
