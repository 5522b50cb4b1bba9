package dev.vmamba.models.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.vmamba.core.testing.Fixtures;
import dev.vmamba.models.checkpoint.TorchSaveWriter.Instance;
import dev.vmamba.models.checkpoint.TorchSaveWriter.OrderedDict;
import dev.vmamba.models.checkpoint.TorchSaveWriter.Storage;
import dev.vmamba.models.checkpoint.TorchSaveWriter.Tensor;
import dev.vmamba.models.checkpoint.TorchSaveWriter.Tuple;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code torch.save} reader on archives written by a PyTorch-free test writer: every tensor
 * element type, views with offsets and strides, big-endian storages, parameters, and checkpoints
 * that carry non-tensor entries (a yacs config, optimizer state, an argparse namespace, scalars and
 * a global that must never be called).
 */
class PyTorchCheckpointTest {

    private static NDManager manager;
    @TempDir Path dir;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    private static Storage storage(String type, int size, ByteBuffer filled) {
        return new Storage(type, size, filled.array());
    }

    private static ByteBuffer le(int bytes) {
        return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    private Map<String, NDArray> readBare(Path file) throws Exception {
        try (PyTorchCheckpoint ckpt = PyTorchCheckpoint.open(file)) {
            CheckpointWeights.Selection sel =
                    CheckpointWeights.MODEL.select(ckpt.root(), file.toString());
            Map<String, NDArray> out = new LinkedHashMap<>();
            for (Map.Entry<String, TensorRef> e : sel.tensors().entrySet()) {
                out.put(e.getKey(), ckpt.toNDArray(e.getValue(), manager));
            }
            return out;
        }
    }

    private static Map<Object, Object> everyDtype() {
        Map<Object, Object> sd = new OrderedDict();
        sd.put("f32", TorchSaveWriter.contiguous(TorchSaveWriter.floats(1.5f, -2.25f, 3e-3f), 3));
        sd.put(
                "f16",
                TorchSaveWriter.contiguous(
                        storage(
                                "HalfStorage",
                                2,
                                le(6).putShort((short) 0x3C00)
                                        .putShort((short) 0xC000)
                                        .putShort((short) 0x3800)),
                        3));
        sd.put(
                "bf16",
                TorchSaveWriter.contiguous(
                        storage(
                                "BFloat16Storage",
                                2,
                                le(6).putShort((short) 0x3F80)
                                        .putShort((short) 0xC000)
                                        .putShort((short) 0x3F00)),
                        3));
        sd.put(
                "f64",
                TorchSaveWriter.contiguous(
                        storage("DoubleStorage", 8, le(16).putDouble(1e-300).putDouble(2.5)), 2));
        sd.put(
                "i64",
                TorchSaveWriter.contiguous(
                        storage("LongStorage", 8, le(16).putLong(-5).putLong(1L << 40)), 2));
        sd.put(
                "i32",
                TorchSaveWriter.contiguous(
                        storage("IntStorage", 4, le(8).putInt(-7).putInt(123456)), 2));
        sd.put(
                "i16",
                TorchSaveWriter.contiguous(
                        storage(
                                "ShortStorage",
                                2,
                                le(4).putShort((short) -300).putShort((short) 9)),
                        2));
        sd.put(
                "i8",
                TorchSaveWriter.contiguous(
                        storage("CharStorage", 1, le(2).put((byte) -128).put((byte) 127)), 2));
        sd.put(
                "u8",
                TorchSaveWriter.contiguous(
                        storage(
                                "ByteStorage",
                                1,
                                le(3).put((byte) 0).put((byte) 200).put((byte) 255)),
                        3));
        sd.put(
                "bool",
                TorchSaveWriter.contiguous(
                        storage("BoolStorage", 1, le(3).put((byte) 1).put((byte) 0).put((byte) 1)),
                        3));
        return sd;
    }

    private static void assertEveryDtype(Map<String, NDArray> t) {
        assertArrayEquals(new float[] {1.5f, -2.25f, 3e-3f}, t.get("f32").toFloatArray());
        assertEquals(DataType.FLOAT16, t.get("f16").getDataType());
        assertArrayEquals(
                new float[] {1f, -2f, 0.5f},
                t.get("f16").toType(DataType.FLOAT32, false).toFloatArray());
        // widened exactly: the engine cannot create bfloat16 / int16 arrays from host memory
        assertEquals(DataType.FLOAT32, t.get("bf16").getDataType());
        assertArrayEquals(new float[] {1f, -2f, 0.5f}, t.get("bf16").toFloatArray());
        assertArrayEquals(new double[] {1e-300, 2.5}, t.get("f64").toDoubleArray());
        assertArrayEquals(new long[] {-5, 1L << 40}, t.get("i64").toLongArray());
        assertArrayEquals(new int[] {-7, 123456}, t.get("i32").toIntArray());
        assertEquals(DataType.INT32, t.get("i16").getDataType());
        assertArrayEquals(new int[] {-300, 9}, t.get("i16").toIntArray());
        assertArrayEquals(new byte[] {-128, 127}, t.get("i8").toByteArray());
        assertArrayEquals(new byte[] {0, (byte) 200, (byte) 255}, t.get("u8").toByteArray());
        assertArrayEquals(new boolean[] {true, false, true}, t.get("bool").toBooleanArray());
    }

    @Test
    void readsEveryElementType() throws Exception {
        Path f = dir.resolve("dtypes.pth");
        TorchSaveWriter.save(f, everyDtype());
        assertEveryDtype(readBare(f));
    }

    @Test
    void readsBfloat16AndInt16Safetensors() throws Exception {
        String header =
                "{\"w\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[0,6]},"
                        + "\"n\":{\"dtype\":\"I16\",\"shape\":[2],\"data_offsets\":[6,10]}}";
        byte[] h = header.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        ByteBuffer b = le(8 + h.length + 10).putLong(h.length).put(h);
        b.putShort((short) 0x3F80).putShort((short) 0xC000).putShort((short) 0x3F00);
        b.putShort((short) -300).putShort((short) 9);
        Path f = dir.resolve("half.safetensors");
        java.nio.file.Files.write(f, b.array());
        Map<String, NDArray> t = Checkpoints.readStateDict(f, manager);
        assertArrayEquals(new float[] {1f, -2f, 0.5f}, t.get("w").toFloatArray());
        assertArrayEquals(new int[] {-300, 9}, t.get("n").toIntArray());
    }

    @Test
    void readsBigEndianArchives() throws Exception {
        Path f = dir.resolve("big.pth");
        TorchSaveWriter.save(f, everyDtype(), true);
        try (PyTorchCheckpoint c = PyTorchCheckpoint.open(f)) {
            assertEquals(ByteOrder.BIG_ENDIAN, c.byteOrder());
        }
        assertEveryDtype(readBare(f));
    }

    @Test
    void readsViewsWithOffsetsStridesAndSharedStorage() throws Exception {
        float[] v = new float[12];
        for (int i = 0; i < v.length; i++) {
            v[i] = i * 1.25f - 3;
        }
        Storage s = TorchSaveWriter.floats(v);
        Map<Object, Object> sd = new OrderedDict();
        sd.put("whole", TorchSaveWriter.contiguous(s, 3, 4));
        sd.put("strided", new Tensor(s, 1, new long[] {2, 3}, new long[] {1, 4}));
        sd.put("row", new Tensor(s, 8, new long[] {4}, new long[] {1}));
        sd.put("empty", new Tensor(s, 0, new long[] {0, 3}, new long[] {3, 1}));
        sd.put("scalar", new Tensor(s, 5, new long[] {}, new long[] {}));
        Path f = dir.resolve("views.pth");
        TorchSaveWriter.save(f, sd);
        Map<String, NDArray> t = readBare(f);
        assertArrayEquals(v, t.get("whole").toFloatArray());
        assertEquals(new Shape(2, 3), t.get("strided").getShape());
        assertArrayEquals(
                new float[] {v[1], v[5], v[9], v[2], v[6], v[10]}, t.get("strided").toFloatArray());
        assertArrayEquals(new float[] {v[8], v[9], v[10], v[11]}, t.get("row").toFloatArray());
        assertEquals(new Shape(0, 3), t.get("empty").getShape());
        assertEquals(new Shape(), t.get("scalar").getShape());
        assertEquals(v[5], t.get("scalar").getFloat());
        try (PyTorchCheckpoint c = PyTorchCheckpoint.open(f)) {
            Map<?, ?> root = (Map<?, ?>) c.root();
            assertTrue(((TensorRef) root.get("whole")).isContiguous());
            assertTrue(!((TensorRef) root.get("strided")).isContiguous());
        }
    }

    @Test
    void trainingCheckpointWithNonTensorEntriesLoadsAndNothingRuns() throws Exception {
        Map<Object, Object> model = new OrderedDict();
        model.put(
                "w",
                TorchSaveWriter.contiguous(TorchSaveWriter.floats(1, 2, 3, 4), 2, 2).asParameter());
        model.put("b", TorchSaveWriter.contiguous(TorchSaveWriter.floats(0.5f), 1));
        Map<Object, Object> ema = new OrderedDict();
        ema.put("w", TorchSaveWriter.contiguous(TorchSaveWriter.floats(5, 6, 7, 8), 2, 2));
        ema.put("b", TorchSaveWriter.contiguous(TorchSaveWriter.floats(-0.5f), 1));

        Map<Object, Object> paramState = new LinkedHashMap<>();
        paramState.put("step", TorchSaveWriter.contiguous(TorchSaveWriter.floats(100), 1));
        paramState.put(
                "exp_avg", TorchSaveWriter.contiguous(TorchSaveWriter.floats(9, 9, 9, 9), 2, 2));
        Map<Object, Object> state = new LinkedHashMap<>();
        state.put(0L, paramState);
        Map<Object, Object> group = new LinkedHashMap<>();
        group.put("lr", 1e-3);
        group.put("betas", Tuple.of(0.9, 0.999));
        group.put("params", new ArrayList<>(List.of(0L, 1L)));
        Map<Object, Object> optimizer = new LinkedHashMap<>();
        optimizer.put("state", state);
        optimizer.put("param_groups", new ArrayList<>(List.of(group)));

        Instance cfgModel = new Instance("yacs.config", "CfgNode", false);
        cfgModel.items.put("NAME", "vssm1_tiny_0230s");
        cfgModel.state = Map.of("_CfgNode__immutable", Boolean.TRUE);
        Instance cfg = new Instance("yacs.config", "CfgNode", false);
        cfg.items.put("MODEL", cfgModel);
        cfg.items.put("SEED", 0L);
        Instance namespace = new Instance("argparse", "Namespace", true);
        namespace.state = Map.of("cfg", "configs/vssm/vmambav2v_tiny_224.yaml", "batch_size", 128L);
        Instance attack = new Instance("os", "system", false, "echo this must never run");
        Instance scalar =
                new Instance(
                        "numpy.core.multiarray",
                        "scalar",
                        false,
                        new Instance("numpy", "dtype", false, "f8", false, true),
                        new byte[] {0, 0, 0, 0, 0, 0, 36, 64});

        Map<String, Object> root = new LinkedHashMap<>();
        root.put("model", model);
        root.put("optimizer", optimizer);
        root.put("lr_scheduler", Map.of("base_lrs", new ArrayList<>(List.of(1e-3))));
        root.put("max_accuracy", 82.6);
        root.put("scaler", Map.of("scale", 65536.0, "_growth_tracker", 7L));
        root.put("epoch", 264L);
        root.put("config", cfg);
        root.put("args", namespace);
        root.put("hook", attack);
        root.put("best", scalar);
        root.put("note", null);
        root.put("model_ema", ema);
        root.put("max_accuray_ema", 82.1);
        Path f = dir.resolve("ckpt_epoch_264.pth");
        TorchSaveWriter.save(f, root);

        Map<String, NDArray> m = Checkpoints.readStateDict(f, manager);
        assertArrayEquals(new float[] {1, 2, 3, 4}, m.get("w").toFloatArray());
        assertEquals(new Shape(2, 2), m.get("w").getShape());
        Map<String, NDArray> e = Checkpoints.readStateDict(f, manager, CheckpointWeights.MODEL_EMA);
        assertArrayEquals(new float[] {5, 6, 7, 8}, e.get("w").toFloatArray());

        try (PyTorchCheckpoint c = PyTorchCheckpoint.open(f)) {
            Map<?, ?> r = (Map<?, ?>) c.root();
            assertEquals(264L, r.get("epoch"));
            assertEquals(82.6, r.get("max_accuracy"));
            PickledObject config = assertInstanceOf(PickledObject.class, r.get("config"));
            assertEquals("yacs.config.CfgNode", config.className());
            PickledObject inner =
                    assertInstanceOf(PickledObject.class, config.dictItems().get("MODEL"));
            assertEquals("vssm1_tiny_0230s", inner.dictItems().get("NAME"));
            PickledObject ns = assertInstanceOf(PickledObject.class, r.get("args"));
            assertEquals("argparse.Namespace", ns.className());
            assertEquals(128L, ((Map<?, ?>) ns.state()).get("batch_size"));
            PickledObject hook = assertInstanceOf(PickledObject.class, r.get("hook"));
            assertEquals("os.system", hook.className());
            assertEquals(List.of("echo this must never run"), hook.args());
            assertEquals(
                    "numpy.core.multiarray.scalar", ((PickledObject) r.get("best")).className());
            Map<?, ?> opt = (Map<?, ?>) r.get("optimizer");
            Map<?, ?> st = (Map<?, ?>) ((Map<?, ?>) opt.get("state")).get(0L);
            NDArray avg = c.toNDArray((TensorRef) st.get("exp_avg"), manager);
            assertArrayEquals(new float[] {9, 9, 9, 9}, avg.toFloatArray());
            Map<?, ?> g = (Map<?, ?>) ((List<?>) opt.get("param_groups")).get(0);
            assertEquals(List.of(0.9, 0.999), g.get("betas"));
            assertEquals(List.of(0L, 1L), g.get("params"));
        }
    }

    @Test
    void everyOfficialSpellingMapsOntoTheCurrentKeys() throws Exception {
        // v2v micro in single-file (2025) spelling, with Linear2d weights saved 4-D and a DDP
        // prefix; v0 micro with single-file v1 downsampling inside an mmdet-style checkpoint
        for (String id : List.of("v2v_micro", "v0_micro")) {
            Map<String, NDArray> current =
                    Checkpoints.readStateDict(
                            Fixtures.file("models/" + id + ".safetensors"), manager);
            Map<Object, Object> respelled = new OrderedDict();
            for (Map.Entry<String, NDArray> e : current.entrySet()) {
                String k = e.getKey();
                long[] shape = e.getValue().getShape().getShape();
                if (k.endsWith("op.x_proj_weight")) {
                    k = k.replace("op.x_proj_weight", "op.x_proj.weight");
                    shape = new long[] {shape[0] * shape[1], shape[2]};
                } else if (k.endsWith("op.dt_projs_weight")) {
                    k = k.replace("op.dt_projs_weight", "op.dt_projs.weight");
                    shape = new long[] {shape[0] * shape[1], shape[2]};
                } else if (k.matches(".*(in_proj|out_proj|fc1|fc2)\\.weight")) {
                    shape = new long[] {shape[0], shape[1], 1, 1};
                }
                k = k.replaceAll("downsample\\.norm\\.", "downsample.1.");
                k = k.replaceAll("downsample\\.reduction\\.", "downsample.2.");
                Storage s = new Storage("FloatStorage", 4, e.getValue().toByteArray());
                respelled.put(
                        (id.startsWith("v0") ? "backbone." : "module.") + k,
                        TorchSaveWriter.contiguous(s, shape).asParameter());
            }
            if (id.startsWith("v0")) {
                respelled.put(
                        "neck.lateral.weight",
                        TorchSaveWriter.contiguous(TorchSaveWriter.floats(1, 2), 2));
            }
            Map<String, Object> root = new LinkedHashMap<>();
            root.put(id.startsWith("v0") ? "state_dict" : "model", respelled);
            Path f = dir.resolve(id + "_respelled.pth");
            TorchSaveWriter.save(f, root);
            StateDict sd = Checkpoints.read(f, manager, CheckpointWeights.MODEL, null);
            assertEquals(current.keySet(), sd.tensors().keySet(), id);
            for (String k : current.keySet()) {
                assertEquals(current.get(k).getShape(), sd.tensors().get(k).getShape(), k);
                assertArrayEquals(
                        current.get(k).toFloatArray(), sd.tensors().get(k).toFloatArray(), k);
            }
            if (id.startsWith("v0")) {
                assertEquals(
                        List.of("neck.lateral.weight"),
                        List.copyOf(sd.mapping().dropped().keySet()));
            }
            assertTrue(sd.mapping().summary().contains("single-file"), sd.mapping().summary());
        }
    }
}
