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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The v0 micro model (official init, perturbed) built from its official YAML, loaded from its
 * official safetensors, against the official float32 logits and Backbone features on square and
 * non-square inputs.
 */
class VMambaV0ParityTest {

    private static final String CASE = "v0_micro";
    private static NDManager manager;
    private static VMamba model;
    private static Map<String, NDArray> io;

    @BeforeAll
    static void load() throws Exception {
        manager = NDManager.newBaseManager();
        VMambaConfig config =
                OfficialConfigReader.read(Fixtures.file("micro-configs/v0_micro.yaml"));
        model = VMamba.builder(config).outNorms(0, 1, 2, 3).build();
        Map<String, NDArray> sd = new LinkedHashMap<>();
        sd.putAll(Fixtures.load("models/v0_micro.safetensors", manager));
        sd.putAll(Fixtures.load("models/v0_micro_backbone_outnorms.safetensors", manager));
        StateDictLoader.load(model, sd, manager, true);
        io = Fixtures.load("models/v0_micro_io.safetensors", manager);
        JsonObject c = Fixtures.caseById(CASE);
        assertEquals(c.get("param_count").getAsLong() + outNormParams(config),
                model.parameterCount());
    }

    private static long outNormParams(VMambaConfig c) {
        long n = 0;
        for (int i = 0; i < c.numStages(); i++) {
            n += 2L * c.stageDim(i);
        }
        return n;
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    @ParameterizedTest
    @EnumSource(
            value = ScanBackend.class,
            names = {"JAVA", "NDARRAY"})
    void logitsAndFeaturesMatchOfficial(ScanBackend backend) {
        JsonObject c = Fixtures.caseById(CASE);
        model.setScanBackend(backend);
        for (JsonElement in : c.getAsJsonArray("inputs")) {
            String name = in.getAsString();
            try (NDManager m = manager.newSubManager()) {
                NDArray x = io.get(name).duplicate();
                x.attach(m);
                NDArray logits = model.forward(x);
                Fixtures.assertWithinManifest(c, "logits__" + name, logits, io.get("logits__" + name));
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
