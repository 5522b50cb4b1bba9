package dev.vmamba.core.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.vmamba.core.VMamba;
import dev.vmamba.core.config.ModelFamily;
import dev.vmamba.core.config.VMambaConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Strict loading reports every problem at once and changes nothing; lenient loading loads what
 * fits.
 */
class StateDictLoaderTest {

    private static NDManager manager;
    private static VMambaConfig config;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
        config = ModelFamily.V0.base().embedDim(8).depths(1, 1, 1, 1).numClasses(5).build();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    /** A complete random state dict for a fresh model of the config. */
    private static Map<String, NDArray> fullStateDict(VMamba model, NDManager m) {
        Map<String, NDArray> sd = new LinkedHashMap<>();
        model.stateDictShapes().forEach((k, s) -> sd.put(k, m.randomNormal(s)));
        return sd;
    }

    @Test
    void everyProblemIsListedAndNothingChangesInStrictMode() {
        try (NDManager m = manager.newSubManager()) {
            VMamba model = VMamba.builder(config).build();
            model.initialize(m, DataType.FLOAT32);
            Map<String, NDArray> sd = fullStateDict(model, m);
            sd.remove("layers.0.blocks.0.op.A_logs");
            sd.remove("classifier.head.bias");
            sd.put("layers.9.blocks.0.norm.weight", m.ones(new Shape(8)));
            sd.put("layers.1.blocks.0.op.Ds", m.ones(new Shape(3)));
            sd.put("patch_embed.0.bias", m.ones(new Shape(8)).toType(DataType.INT64, false));
            float[] before =
                    model.stateDict().get("patch_embed.0.weight").getArray().toFloatArray();
            MalformedModelException e =
                    assertThrows(
                            MalformedModelException.class,
                            () -> StateDictLoader.load(model, sd, m, true));
            String msg = e.getMessage();
            for (String s :
                    new String[] {
                        "missing keys (2)",
                        "layers.0.blocks.0.op.A_logs",
                        "classifier.head.bias",
                        "unexpected keys (1)",
                        "layers.9.blocks.0.norm.weight",
                        "mis-shaped or non-float keys (2)",
                        "layers.1.blocks.0.op.Ds: wrong shape (model (128), checkpoint (3))",
                        "patch_embed.0.bias: dtype int64 is not floating point"
                    }) {
                assertTrue(msg.contains(s), "'" + s + "' not in:\n" + msg);
            }
            float[] after = model.stateDict().get("patch_embed.0.weight").getArray().toFloatArray();
            assertEquals(before[0], after[0], "strict failure must not change the model");
        }
    }

    @Test
    void lenientLoadingLoadsWhatFitsAndReports() throws Exception {
        try (NDManager m = manager.newSubManager()) {
            VMamba model = VMamba.builder(config).build();
            model.initialize(m, DataType.FLOAT32);
            Map<String, NDArray> sd = fullStateDict(model, m);
            sd.remove("classifier.head.weight");
            sd.put("extra", m.ones(new Shape(1)));
            LoadReport r = StateDictLoader.load(model, sd, m, false);
            assertFalse(r.isClean());
            assertEquals(1, r.missing().size());
            assertEquals(1, r.unexpected().size());
            assertEquals(sd.size() - 1, r.loaded().size());
            NDArray loaded = model.stateDict().get("patch_embed.0.weight").getArray();
            assertEquals(0f, loaded.sub(sd.get("patch_embed.0.weight")).abs().max().getFloat());
        }
    }

    @Test
    void loadingIntoAFreshModelConvertsHalfPrecisionAndCountsMatch() throws Exception {
        try (NDManager m = manager.newSubManager()) {
            VMamba model = VMamba.builder(config).build();
            Map<String, NDArray> sd = new LinkedHashMap<>();
            fullStateDict(model, m).forEach((k, v) -> sd.put(k, v.toType(DataType.FLOAT16, false)));
            LoadReport r = StateDictLoader.load(model, sd, m, true);
            assertTrue(r.isClean());
            assertTrue(model.isInitialized());
            assertEquals(
                    DataType.FLOAT32,
                    model.stateDict().get("classifier.head.weight").getArray().getDataType());
            long n = 0;
            for (NDArray a : sd.values()) {
                n += a.size();
            }
            assertEquals(model.parameterCount(), n);
        }
    }
}
