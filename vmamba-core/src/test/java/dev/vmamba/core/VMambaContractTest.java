package dev.vmamba.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.vmamba.core.config.ModelFamily;
import dev.vmamba.core.config.VMambaConfig;
import dev.vmamba.core.scan.ScanBackend;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The model's public contract on freshly initialised micro models of each family: shapes, the
 * backbone view, input validation, initialisation and gradients.
 */
class VMambaContractTest {

    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    static VMambaConfig micro(ModelFamily family) {
        return family.base().embedDim(16).depths(1, 1, 2, 1).numClasses(7).build();
    }

    @ParameterizedTest
    @EnumSource(ModelFamily.class)
    void freshModelsProduceFiniteOutputsOfTheDeclaredShapes(ModelFamily family) {
        try (NDManager m = manager.newSubManager()) {
            VMambaConfig c = micro(family);
            VMamba model = VMamba.builder(c).outNorms(1, 3).build();
            assertFalse(model.isInitialized());
            model.initialize(m, DataType.FLOAT32);
            assertTrue(model.isInitialized());
            NDArray x = m.randomNormal(new Shape(2, 3, 40, 56));
            NDArray logits = model.forward(x);
            assertEquals(new Shape(2, 7), logits.getShape());
            assertTrue(Float.isFinite(logits.abs().sum().getFloat()));
            List<NDArray> feats = model.forwardIntermediates(x);
            Shape[] declared =
                    VMamba.builder(c)
                            .backbone()
                            .build()
                            .getOutputShapes(new Shape[] {x.getShape()});
            assertEquals(2, feats.size());
            assertEquals(declared[1], feats.get(0).getShape());
            assertEquals(declared[3], feats.get(1).getShape());
            List<FeatureInfo> info = model.featureInfo();
            assertEquals(List.of(1, 3), List.of(info.get(0).stage(), info.get(1).stage()));
            assertEquals(32, info.get(0).channels());
            assertEquals(8, info.get(0).reduction());
            NDArray head =
                    model.forwardHead(
                            new ParameterStore(m, false),
                            model.forwardFeatures(new ParameterStore(m, false), x, false),
                            false);
            assertEquals(0f, head.sub(logits).abs().max().getFloat(), 1e-5f);
        }
    }

    @Test
    void ssmParametersStartAtTheOfficialInitialisation() {
        try (NDManager m = manager.newSubManager()) {
            VMamba model = VMamba.builder(micro(ModelFamily.V0)).build();
            model.initialize(m, DataType.FLOAT32);
            Map<String, Parameter> sd = model.stateDict();
            float[] aLogs = sd.get("layers.0.blocks.0.op.A_logs").getArray().toFloatArray();
            for (int n = 0; n < 16; n++) {
                assertEquals(Math.log(n + 1), aLogs[16 * 5 + n], 1e-6);
            }
            NDArray bias = sd.get("layers.2.blocks.1.op.dt_projs_bias").getArray();
            NDArray dt = ai.djl.nn.Activation.softPlus(bias);
            assertTrue(dt.min().getFloat() >= 1e-4f - 1e-7f, "softplus(dt bias) >= floor");
            assertTrue(dt.max().getFloat() <= 0.1f + 1e-6f, "softplus(dt bias) <= dt_max");
            assertEquals(1f, sd.get("layers.1.blocks.0.op.Ds").getArray().min().getFloat());
            NDArray w = sd.get("layers.0.blocks.0.op.in_proj.weight").getArray();
            assertEquals(0.02, Math.sqrt(w.pow(2).mean().getFloat()), 0.004);
        }
    }

    @Test
    void gradientsReachEveryParameterWhenTraining() {
        try (NDManager m = manager.newSubManager()) {
            VMamba model =
                    VMamba.builder(micro(ModelFamily.V2V)).scanBackend(ScanBackend.AUTO).build();
            model.initialize(m, DataType.FLOAT32);
            NDArray x = m.randomNormal(new Shape(2, 3, 32, 32));
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray logits = model.forward(new ParameterStore(m, false), x, true);
                gc.backward(logits.pow(2).sum());
            }
            for (Map.Entry<String, Parameter> e : model.stateDict().entrySet()) {
                NDArray g = e.getValue().getArray().getGradient();
                assertNotNull(g, e.getKey());
                assertTrue(Float.isFinite(g.abs().sum().getFloat()), e.getKey());
            }
            float gA =
                    model.stateDict()
                            .get("layers.0.blocks.0.op.A_logs")
                            .getArray()
                            .getGradient()
                            .abs()
                            .sum()
                            .getFloat();
            assertTrue(gA > 0, "the scan's A receives gradient through the NDArray backend");
        }
    }

    @Test
    void badInputsAreRejectedWithClearMessages() {
        try (NDManager m = manager.newSubManager()) {
            VMamba model = VMamba.builder(micro(ModelFamily.V0)).build();
            model.initialize(m, DataType.FLOAT32);
            assertMessage(() -> model.forward(m.ones(new Shape(3, 32, 32))), "3-D array");
            assertMessage(() -> model.forward(m.ones(new Shape(1, 4, 32, 32))), "4 channels");
            assertMessage(
                    () -> model.forward(m.ones(new Shape(1, 3, 2, 32))),
                    "smaller than this model's minimum");
            assertMessage(
                    () ->
                            model.forward(
                                    m.ones(new Shape(1, 3, 32, 32)).toType(DataType.INT32, false)),
                    "dtype int32");
            VMamba backbone = VMamba.builder(micro(ModelFamily.V0)).backbone().build();
            backbone.initialize(m, DataType.FLOAT32);
            IllegalStateException e =
                    assertThrows(
                            IllegalStateException.class,
                            () -> backbone.forward(m.ones(new Shape(1, 3, 32, 32))));
            assertTrue(e.getMessage().contains("without a classifier"), e.getMessage());
            assertThrows(
                    IllegalArgumentException.class,
                    () -> VMamba.builder(micro(ModelFamily.V0)).outNorms(4));
        }
    }

    @Test
    void userInputsSurviveForwardPasses() {
        try (NDManager m = manager.newSubManager()) {
            VMamba model = VMamba.builder(micro(ModelFamily.V2)).build();
            model.initialize(m, DataType.FLOAT32);
            NDArray x = m.randomNormal(new Shape(1, 3, 32, 32));
            NDArray first = model.forward(x);
            NDArray second = model.forward(x);
            assertEquals(0f, first.sub(second).abs().max().getFloat());
            assertEquals(new Shape(1, 3, 32, 32), x.getShape(), "input still usable");
        }
    }

    @Test
    void djlForwardReturnsLogitsOrFeatures() {
        try (NDManager m = manager.newSubManager()) {
            VMamba classifier = VMamba.builder(micro(ModelFamily.V0)).build();
            classifier.initialize(m, DataType.FLOAT32);
            NDArray x = m.randomNormal(new Shape(1, 3, 32, 32));
            NDList out = classifier.forward(new ParameterStore(m, false), new NDList(x), false);
            assertEquals(1, out.size());
            VMamba backbone = VMamba.builder(micro(ModelFamily.V0)).backbone().build();
            backbone.initialize(m, DataType.FLOAT32);
            assertEquals(
                    4, backbone.forward(new ParameterStore(m, false), new NDList(x), false).size());
        }
    }

    private static void assertMessage(Runnable r, String fragment) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(
                e.getMessage().contains(fragment), "'" + fragment + "' not in: " + e.getMessage());
    }
}
