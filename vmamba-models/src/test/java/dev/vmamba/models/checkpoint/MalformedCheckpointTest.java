package dev.vmamba.models.checkpoint;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import dev.vmamba.core.VMamba;
import dev.vmamba.core.testing.Fixtures;
import dev.vmamba.models.VMambaPreset;
import dev.vmamba.models.checkpoint.TorchSaveWriter.OrderedDict;
import dev.vmamba.models.checkpoint.TorchSaveWriter.Storage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bad-input corpus for weight files: every case ends in a {@link MalformedModelException} (or
 * {@link IllegalArgumentException} for an unknown format) whose message names the problem; none
 * loops, runs out of memory or takes the JVM down.
 */
class MalformedCheckpointTest {

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

    private static void assertMalformed(Executable e, String... fragments) {
        MalformedModelException ex = assertThrows(MalformedModelException.class, e);
        for (String f : fragments) {
            assertTrue(ex.getMessage().contains(f), "'" + f + "' not in: " + ex.getMessage());
        }
    }

    private Path archive(String name, Map<String, byte[]> entries) throws Exception {
        Path f = dir.resolve(name);
        Files.write(f, TorchSaveWriter.zip(entries));
        return f;
    }

    private static Map<String, byte[]> entriesWithPickle(byte[] pickle) {
        Map<String, byte[]> e = new LinkedHashMap<>();
        e.put("archive/data.pkl", pickle);
        e.put("archive/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
        return e;
    }

    private static Map<Object, Object> oneTensor(TorchSaveWriter.Tensor t) {
        Map<Object, Object> sd = new OrderedDict();
        sd.put("w", t);
        return sd;
    }

    @Test
    void truncatedZip() throws Exception {
        byte[] full = Files.readAllBytes(Fixtures.file("models/v2_micro.pth"));
        for (int cut : new int[] {full.length / 2, full.length - 30, 100}) {
            Path f = dir.resolve("cut" + cut + ".pth");
            Files.write(f, Arrays.copyOf(full, cut));
            assertMalformed(() -> Checkpoints.readStateDict(f, manager), f.toString());
        }
    }

    @Test
    void corruptPickleOpcode() throws Exception {
        byte[] good = TorchSaveWriter.pickle(new LinkedHashMap<>(Map.of("epoch", 3L))).pickle();
        byte[] bad = Arrays.copyOf(good, good.length);
        bad[2] = (byte) 0xFF; // the first opcode after PROTO
        Path f = archive("opcode.pth", entriesWithPickle(bad));
        assertMalformed(() -> PyTorchCheckpoint.open(f), "unknown opcode 0xff", "data.pkl");
    }

    @Test
    void truncatedPickle() throws Exception {
        Path src = dir.resolve("src.pth");
        TorchSaveWriter.save(
                src, oneTensor(TorchSaveWriter.contiguous(TorchSaveWriter.floats(1, 2), 2)));
        TorchSaveWriter.Pickled p =
                TorchSaveWriter.pickle(
                        oneTensor(TorchSaveWriter.contiguous(TorchSaveWriter.floats(1, 2), 2)));
        for (int cut : new int[] {1, 10, p.pickle().length - 1}) {
            Map<String, byte[]> e = entriesWithPickle(Arrays.copyOf(p.pickle(), cut));
            e.put("archive/data/0", p.storages().get("0").bytes);
            Path f = archive("trunc" + cut + ".pth", e);
            assertMalformed(() -> PyTorchCheckpoint.open(f), "pickle");
        }
    }

    @Test
    void hostilePickles() throws Exception {
        Map<String, byte[]> cases = new LinkedHashMap<>();
        // BINUNICODE claiming 2 GiB
        cases.put(
                "runs past the end", new byte[] {(byte) 0x80, 2, 'X', -1, -1, -1, 0x7F, 'a', '.'});
        // BINGET of a memo slot never written
        cases.put("read before it is written", new byte[] {(byte) 0x80, 2, 'h', 5, '.'});
        // APPEND on an empty stack
        cases.put("stack underflow", new byte[] {(byte) 0x80, 2, 'a', '.'});
        // SETITEMS on a list
        cases.put(
                "SETITEM(S) on list",
                new byte[] {(byte) 0x80, 2, ']', '(', 'K', 1, 'K', 2, 'u', '.'});
        // unhashable dict key
        cases.put("unhashable", new byte[] {(byte) 0x80, 2, '}', ']', 'K', 1, 's', '.'});
        // protocol from the future
        cases.put("unsupported pickle protocol 9", new byte[] {(byte) 0x80, 9, 'N', '.'});
        // no STOP
        cases.put("without a STOP", new byte[] {(byte) 0x80, 2, 'N'});
        // persistent id that is not a storage
        cases.put("persistent id", new byte[] {(byte) 0x80, 2, 'K', 1, 'Q', '.'});
        for (Map.Entry<String, byte[]> c : cases.entrySet()) {
            Path f = archive("hostile.pth", entriesWithPickle(c.getValue()));
            assertMalformed(() -> PyTorchCheckpoint.open(f), c.getKey());
        }
    }

    @Test
    void valueFloodIsBounded() throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(0x80);
        b.write(2);
        for (int i = 0; i < 10_000; i++) {
            b.write(']');
        }
        b.write('.');
        MalformedModelException e =
                assertThrows(
                        MalformedModelException.class,
                        () ->
                                new Unpickler(
                                                b.toByteArray(),
                                                "flood",
                                                Unpickler.builtinGlobals(),
                                                null,
                                                1000)
                                        .load());
        assertTrue(e.getMessage().contains("more than 1000 values"), e.getMessage());
    }

    @Test
    void absurdStorageSizes() throws Exception {
        Storage huge = TorchSaveWriter.floats(1, 2, 3);
        huge.numelOverride = 1L << 40;
        Path f = dir.resolve("huge.pth");
        TorchSaveWriter.save(f, oneTensor(TorchSaveWriter.contiguous(huge, 3)));
        assertMalformed(() -> PyTorchCheckpoint.open(f), "claims 1099511627776 elements");

        Storage overflow = TorchSaveWriter.floats(1, 2, 3);
        overflow.numelOverride = Long.MAX_VALUE / 2;
        Path g = dir.resolve("overflow.pth");
        TorchSaveWriter.save(g, oneTensor(TorchSaveWriter.contiguous(overflow, 3)));
        assertMalformed(() -> PyTorchCheckpoint.open(g), "impossible size");

        Path h = dir.resolve("view.pth");
        TorchSaveWriter.save(
                h, oneTensor(TorchSaveWriter.contiguous(TorchSaveWriter.floats(1, 2, 3), 10)));
        assertMalformed(() -> PyTorchCheckpoint.open(h), "reads element 9", "only 3");

        Path k = dir.resolve("dims.pth");
        TorchSaveWriter.save(
                k,
                oneTensor(
                        new TorchSaveWriter.Tensor(
                                TorchSaveWriter.floats(1),
                                0,
                                new long[] {1L << 40, 1L << 40},
                                new long[] {0, 0})));
        assertMalformed(() -> PyTorchCheckpoint.open(k), "impossible size");
    }

    @Test
    void missingStorageAndUnsupportedTypes() throws Exception {
        TorchSaveWriter.Pickled p =
                TorchSaveWriter.pickle(
                        oneTensor(TorchSaveWriter.contiguous(TorchSaveWriter.floats(1, 2), 2)));
        Path f = archive("nostorage.pth", entriesWithPickle(p.pickle()));
        assertMalformed(() -> PyTorchCheckpoint.open(f), "storage '0' is missing");

        Storage complex = new Storage("ComplexFloatStorage", 8, new byte[16]);
        Path g = dir.resolve("complex.pth");
        TorchSaveWriter.save(g, oneTensor(TorchSaveWriter.contiguous(complex, 2)));
        assertMalformed(
                () -> PyTorchCheckpoint.open(g),
                "unsupported storage type torch.ComplexFloatStorage");

        Map<String, byte[]> e = entriesWithPickle(p.pickle());
        e.put("archive/data/0", new byte[8]);
        e.put("archive/byteorder", "middle".getBytes(StandardCharsets.US_ASCII));
        Path h = archive("byteorder.pth", e);
        assertMalformed(() -> PyTorchCheckpoint.open(h), "unknown byteorder 'middle'");
    }

    @Test
    void filesThatAreNotCheckpoints() throws Exception {
        Path text = dir.resolve("notes.pth");
        Files.writeString(text, "these are not weights\n");
        assertMalformed(() -> Checkpoints.readStateDict(text, manager), "no zip signature");

        Path legacy = dir.resolve("legacy.pth");
        Files.write(legacy, new byte[] {(byte) 0x80, 2, (byte) 0x8a, 10, 0x6c, (byte) 0xfc});
        assertMalformed(
                () -> Checkpoints.readStateDict(legacy, manager), "legacy PyTorch serialization");

        Path noPickle = archive("other.zip.pth", Map.of("readme.txt", new byte[] {1, 2, 3}));
        assertMalformed(() -> Checkpoints.readStateDict(noPickle, manager), "data.pkl");

        Path unknown = dir.resolve("weights.onnx");
        Files.writeString(unknown, "onnx");
        assertThrows(
                IllegalArgumentException.class, () -> Checkpoints.readStateDict(unknown, manager));

        Path badSafetensors = dir.resolve("bad.safetensors");
        Files.write(badSafetensors, new byte[] {(byte) 0xFF, (byte) 0xFF, 0, 0, 0, 0, 0, 0, '{'});
        assertMalformed(() -> Checkpoints.readStateDict(badSafetensors, manager), "header length");
    }

    @Test
    void checkpointsWithoutUsableWeights() throws Exception {
        Path epochOnly = dir.resolve("epoch.pth");
        TorchSaveWriter.save(epochOnly, new LinkedHashMap<>(Map.of("epoch", 3L)));
        assertMalformed(
                () -> Checkpoints.readStateDict(epochOnly, manager),
                "no weights found",
                "'epoch' (int)");

        Map<Object, Object> model = new OrderedDict();
        model.put("w", TorchSaveWriter.contiguous(TorchSaveWriter.floats(1), 1));
        model.put("config", new TorchSaveWriter.Instance("yacs.config", "CfgNode", false));
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("model", model);
        Path mixed = dir.resolve("mixed.pth");
        TorchSaveWriter.save(mixed, root);
        assertMalformed(
                () -> Checkpoints.readStateDict(mixed, manager),
                "'config' is a yacs.config.CfgNode, not a tensor");

        Map<Object, Object> both = new OrderedDict();
        both.put("head.weight", TorchSaveWriter.contiguous(TorchSaveWriter.floats(1), 1));
        both.put(
                "classifier.head.weight", TorchSaveWriter.contiguous(TorchSaveWriter.floats(2), 1));
        Path collide = dir.resolve("collide.pth");
        TorchSaveWriter.save(collide, both);
        assertMalformed(
                () -> Checkpoints.readStateDict(collide, manager),
                "collide",
                "classifier.head.weight");
    }

    /**
     * A checkpoint for the test preset with one missing, one extra, one mis-shaped and one
     * integer-typed weight: strict loading names all four at once.
     */
    @Test
    void strictLoadingListsEveryMismatch() throws Exception {
        try (NDManager m = manager.newSubManager()) {
            VMamba source = VMamba.builder(VMambaPreset.TEST.config()).build();
            source.initialize(m, DataType.FLOAT32);
            Map<Object, Object> sd = new OrderedDict();
            for (Map.Entry<String, Parameter> e : source.stateDict().entrySet()) {
                NDArray a = e.getValue().getArray();
                long[] shape = a.getShape().getShape();
                Storage s = new Storage("FloatStorage", 4, a.toByteArray());
                switch (e.getKey()) {
                    case "classifier.head.bias":
                        continue; // missing
                    case "classifier.head.weight":
                        shape = new long[] {shape[1], shape[0]}; // mis-shaped
                        break;
                    case "layers.0.blocks.0.norm.weight":
                        ByteBuffer longs =
                                ByteBuffer.allocate((int) a.size() * 8)
                                        .order(ByteOrder.LITTLE_ENDIAN);
                        for (float v : a.toFloatArray()) {
                            longs.putLong((long) v);
                        }
                        s = new Storage("LongStorage", 8, longs.array()); // wrong dtype
                        break;
                    default:
                }
                sd.put(e.getKey(), TorchSaveWriter.contiguous(s, shape));
            }
            sd.put(
                    "layers.0.blocks.0.op.x_proj_bias",
                    TorchSaveWriter.contiguous(TorchSaveWriter.floats(1, 2), 2)); // extra
            Map<String, Object> root = new HashMap<>();
            root.put("model", sd);
            Path f = dir.resolve("mismatch.pth");
            TorchSaveWriter.save(f, root);
            VMamba target = VMamba.builder(VMambaPreset.TEST.config()).build();
            assertMalformed(
                    () -> Checkpoints.load(target, f, m),
                    "missing keys (1)",
                    "classifier.head.bias",
                    "unexpected keys (1)",
                    "layers.0.blocks.0.op.x_proj_bias",
                    "classifier.head.weight: wrong shape",
                    "layers.0.blocks.0.norm.weight: dtype int64 is not floating point",
                    "mismatch.pth['model']");
        }
    }
}
