package dev.vmamba.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Round trips for every dtype, and every kind of malformed file rejected with a clear message. */
class SafetensorsTest {

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

    @Test
    void roundTripsEveryDtypeAndMetadata() throws Exception {
        Map<String, NDArray> t = new LinkedHashMap<>();
        t.put("f32", manager.randomNormal(new Shape(3, 4)));
        t.put("f64", manager.randomNormal(0, 1, new Shape(5), DataType.FLOAT64));
        t.put("f16", manager.randomNormal(new Shape(2, 2)).toType(DataType.FLOAT16, false));
        t.put("i64", manager.arange(0L, 6L).reshape(2, 3));
        t.put("i32", manager.arange(0, 6, 1, DataType.INT32));
        t.put("u8", manager.arange(0, 9, 1, DataType.UINT8).reshape(3, 3));
        t.put("bool", manager.create(new boolean[] {true, false, true}));
        t.put("scalar", manager.create(3.5f));
        Path f = dir.resolve("all.safetensors");
        Safetensors.write(f, t, Map.of("format", "pt"));
        Safetensors.Header h = Safetensors.readHeader(f);
        assertEquals("pt", h.metadata().get("format"));
        assertEquals(0, h.dataStart() % 8, "header padded to 8 bytes");
        Map<String, NDArray> back = Safetensors.read(f, manager);
        assertEquals(t.keySet(), back.keySet());
        for (String k : t.keySet()) {
            assertEquals(t.get(k).getDataType(), back.get(k).getDataType(), k);
            assertEquals(t.get(k).getShape(), back.get(k).getShape(), k);
            assertArrayEquals(t.get(k).toByteArray(), back.get(k).toByteArray(), k);
        }
    }

    @Test
    void bfloat16IsWidenedToFloat32Exactly() throws Exception {
        String json = "{\"w\":{\"dtype\":\"BF16\",\"shape\":[2,2],\"data_offsets\":[0,8]}}";
        byte[] j = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + j.length + 8).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(j.length).put(j);
        float[] values = {1.0f, -2.5f, 3.140625f, -0.0078125f}; // all exactly representable in bf16
        for (float v : values) {
            b.putShort((short) (Float.floatToRawIntBits(v) >>> 16));
        }
        Path f = dir.resolve("bf16.safetensors");
        Files.write(f, b.array());
        NDArray w = Safetensors.read(f, manager).get("w");
        assertEquals(DataType.FLOAT32, w.getDataType());
        assertEquals(new Shape(2, 2), w.getShape());
        assertArrayEquals(values, w.toFloatArray());
    }

    @Test
    void int16IsWidenedToInt32() throws Exception {
        String json = "{\"i\":{\"dtype\":\"I16\",\"shape\":[3],\"data_offsets\":[0,6]}}";
        byte[] j = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + j.length + 6).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(j.length)
                .put(j)
                .putShort((short) -32768)
                .putShort((short) 7)
                .putShort((short) 32767);
        Path f = dir.resolve("i16.safetensors");
        Files.write(f, b.array());
        NDArray i = Safetensors.read(f, manager).get("i");
        assertEquals(DataType.INT32, i.getDataType());
        assertArrayEquals(new int[] {-32768, 7, 32767}, i.toIntArray());
    }

    @Test
    void rejectsMalformedFiles() throws Exception {
        String ok = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        assertMalformed(raw(ok, 8), null); // sanity: this one is fine
        assertMalformed(new byte[3], "not a safetensors file");
        assertMalformed(withLength(1L << 40, ok, 8), "impossible");
        assertMalformed(withLength(-5, ok, 8), "impossible");
        assertMalformed(raw("{\"a\": [", 0), "not valid JSON");
        assertMalformed(raw("[1, 2]", 0), "not a JSON object");
        assertMalformed(raw(ok, 4), "data section has only 4 bytes");
        assertMalformed(raw(ok.replace("F32", "F8_E4M3"), 8), "unsupported dtype");
        assertMalformed(raw(ok.replace("[0,8]", "[0,12]"), 12), "needs 8");
        assertMalformed(raw(ok.replace("[0,8]", "[8,0]"), 8), "invalid data_offsets");
        assertMalformed(raw(ok.replace("[2]", "[-2]"), 8), "invalid dimension");
        assertMalformed(
                raw(ok.replace("[2]", "[99999999999,99999999999,99999999999]"), 8),
                "invalid dimension");
        assertMalformed(
                raw("{\"a\":{\"dtype\":\"F32\"}}", 0), "lacks dtype, shape or data_offsets");
    }

    private void assertMalformed(byte[] bytes, String fragment) throws Exception {
        Path f = Files.createTempFile(dir, "bad", ".safetensors");
        Files.write(f, bytes);
        if (fragment == null) {
            assertEquals(1, Safetensors.read(f, manager).size());
            return;
        }
        MalformedModelException e =
                assertThrows(MalformedModelException.class, () -> Safetensors.read(f, manager));
        assertTrue(
                e.getMessage().contains(fragment), "'" + fragment + "' not in: " + e.getMessage());
    }

    private static byte[] raw(String json, int dataBytes) {
        byte[] j = json.getBytes(StandardCharsets.UTF_8);
        return withLength(j.length, json, dataBytes);
    }

    private static byte[] withLength(long headerLen, String json, int dataBytes) {
        byte[] j = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + j.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(headerLen).put(j);
        return b.array();
    }
}
