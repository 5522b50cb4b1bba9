package dev.vmamba.models.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.vmamba.core.VMamba;
import dev.vmamba.core.config.OfficialConfigReader;
import dev.vmamba.core.testing.Fixtures;
import dev.vmamba.core.weights.StateDictLoader;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Official checkpoints read by the pure-Java {@code .pth} reader reproduce the official outputs:
 * the v2 and v2v micro models from their {@code .pth} and {@code .safetensors} files (logits and
 * the four Backbone features, square and non-square inputs), and the January-2024 v0 checkpoint
 * with legacy key names ({@code model} and {@code model_ema}).
 */
class CheckpointParityTest {

    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    private static VMamba build(String id) throws Exception {
        return VMamba.builder(
                        OfficialConfigReader.read(Fixtures.file("micro-configs/" + id + ".yaml")))
                .outNorms(0, 1, 2, 3)
                .build();
    }

    @ParameterizedTest(name = "{0} from {1}")
    @CsvSource({
        "v2_micro, .pth",
        "v2_micro, .safetensors",
        "v2v_micro, .pth",
        "v2v_micro, .safetensors"
    })
    void officialWeightsReproduceOfficialOutputs(String id, String ext) throws Exception {
        JsonObject c = Fixtures.caseById(id);
        try (NDManager m = manager.newSubManager()) {
            VMamba model = build(id);
            Map<String, NDArray> sd =
                    new LinkedHashMap<>(
                            Checkpoints.readStateDict(Fixtures.file("models/" + id + ext), m));
            assertEquals(c.get("state_dict_keys").getAsInt(), sd.size(), "keys in the file");
            sd.putAll(Fixtures.load("models/" + id + "_backbone_outnorms.safetensors", m));
            StateDictLoader.load(model, sd, m, true);
            Map<String, NDArray> io = Fixtures.load("models/" + id + "_io.safetensors", m);
            for (JsonElement in : c.getAsJsonArray("inputs")) {
                String name = in.getAsString();
                NDArray x = io.get(name);
                Fixtures.assertWithinManifest(
                        c, "logits__" + name, model.forward(x), io.get("logits__" + name));
                List<NDArray> feats = model.forwardIntermediates(x);
                for (int i = 0; i < 4; i++) {
                    String key = "feat" + i + "__" + name;
                    Fixtures.assertWithinManifest(c, key, feats.get(i), io.get(key));
                }
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"v2_micro", "v2v_micro"})
    void pthAndSafetensorsHoldIdenticalTensors(String id) throws Exception {
        try (NDManager m = manager.newSubManager()) {
            Map<String, NDArray> pth =
                    Checkpoints.readStateDict(Fixtures.file("models/" + id + ".pth"), m);
            Map<String, NDArray> st =
                    Checkpoints.readStateDict(Fixtures.file("models/" + id + ".safetensors"), m);
            assertEquals(st.keySet(), pth.keySet());
            for (String k : st.keySet()) {
                assertEquals(st.get(k).getShape(), pth.get(k).getShape(), k);
                assertArrayEquals(st.get(k).toByteArray(), pth.get(k).toByteArray(), k);
            }
        }
    }

    @Test
    void legacyV0CheckpointGivesTheCurrentNamedModelsLogits() throws Exception {
        JsonObject c = Fixtures.caseById("v0_micro");
        Path legacy = Fixtures.file("models/v0_micro_legacy_ckpt.pth");
        try (NDManager m = manager.newSubManager()) {
            Map<String, NDArray> io = Fixtures.load("models/v0_micro_io.safetensors", m);
            Map<String, NDArray> current =
                    Checkpoints.readStateDict(Fixtures.file("models/v0_micro.safetensors"), m);
            StateDict sd = Checkpoints.read(legacy, m, CheckpointWeights.MODEL, null);
            assertTrue(sd.mapping().changedCount() > 0, "legacy names were mapped");
            assertTrue(sd.source().endsWith("['model']"), sd.source());
            // the legacy file holds the current-named model's weights under old names
            assertEquals(current.keySet(), sd.tensors().keySet());
            for (String k : current.keySet()) {
                assertArrayEquals(
                        current.get(k).toByteArray(), sd.tensors().get(k).toByteArray(), k);
            }
            VMamba fromModel =
                    VMamba.builder(
                                    OfficialConfigReader.read(
                                            Fixtures.file("micro-configs/v0_micro.yaml")))
                            .build();
            StateDictLoader.load(fromModel, sd.tensors(), m, true);
            VMamba fromEma = VMamba.builder(fromModel.config()).build();
            Checkpoints.load(fromEma, legacy, m, CheckpointWeights.MODEL_EMA);
            for (JsonElement in : c.getAsJsonArray("inputs")) {
                String name = in.getAsString();
                NDArray x = io.get(name);
                Fixtures.assertWithinManifest(
                        c, "logits__" + name, fromModel.forward(x), io.get("logits__" + name));
                Fixtures.assertClose(
                        "model_ema " + name,
                        fromEma.forward(x),
                        io.get("logits_ema__" + name),
                        1e-6,
                        2e-4);
            }
        }
    }

    @Test
    void emaOfAFileWithoutOneIsRejectedNamingTheEntries() {
        MalformedModelException e =
                assertThrows(
                        MalformedModelException.class,
                        () ->
                                Checkpoints.readStateDict(
                                        Fixtures.file("models/v2_micro.pth"),
                                        manager,
                                        CheckpointWeights.MODEL_EMA));
        assertTrue(e.getMessage().contains("'model_ema'"), e.getMessage());
        assertTrue(e.getMessage().contains("'model' (dict)"), e.getMessage());
    }
}
