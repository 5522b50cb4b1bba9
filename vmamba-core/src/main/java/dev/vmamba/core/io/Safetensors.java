package dev.vmamba.core.io;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads and writes the safetensors format (an 8-byte little-endian header length, a JSON header
 * with each tensor's dtype, shape and byte range, then raw little-endian data). Every field is
 * checked against the file before any allocation, so truncated or hostile files give a {@link
 * MalformedModelException} naming the problem, never an out-of-memory error or a crash.
 *
 * <p>bfloat16 tensors are read as float32 (exactly: a bfloat16 is the upper half of a float32) and
 * int16 tensors as int32, because DJL's PyTorch engine aborts the process when asked to create
 * arrays of those two types.
 */
public final class Safetensors {

    /** Largest header accepted (the format's reference implementation uses 100 MB). */
    static final long MAX_HEADER = 100L << 20;

    private static final Map<String, DataType> DTYPES = new LinkedHashMap<>();

    static {
        DTYPES.put("F64", DataType.FLOAT64);
        DTYPES.put("F32", DataType.FLOAT32);
        DTYPES.put("F16", DataType.FLOAT16);
        DTYPES.put("BF16", DataType.BFLOAT16);
        DTYPES.put("I64", DataType.INT64);
        DTYPES.put("I32", DataType.INT32);
        DTYPES.put("I16", DataType.INT16);
        DTYPES.put("I8", DataType.INT8);
        DTYPES.put("U8", DataType.UINT8);
        DTYPES.put("BOOL", DataType.BOOLEAN);
    }

    private Safetensors() {}

    /**
     * Reads the header of a file.
     *
     * @param file the file
     * @return tensor descriptions in file order, and the {@code __metadata__} strings under {@code
     *     metadata()}
     * @throws IOException if the file cannot be read
     * @throws MalformedModelException if the header is malformed or inconsistent with the file
     */
    public static Header readHeader(Path file) throws IOException, MalformedModelException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return readHeader(ch, file.toString());
        }
    }

    /**
     * Reads every tensor of a file into {@code manager} (on its device).
     *
     * @param file the file
     * @param manager owner of the created arrays
     * @return the tensors by name, in file order
     * @throws IOException if the file cannot be read
     * @throws MalformedModelException if the file is malformed or truncated
     */
    public static Map<String, NDArray> read(Path file, NDManager manager)
            throws IOException, MalformedModelException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Header header = readHeader(ch, file.toString());
            Map<String, NDArray> out = new LinkedHashMap<>();
            for (TensorInfo t : header.tensors()) {
                out.put(t.name(), readTensor(ch, header, t, manager, file.toString()));
            }
            return out;
        }
    }

    private static NDArray readTensor(
            FileChannel ch, Header header, TensorInfo t, NDManager manager, String where)
            throws IOException, MalformedModelException {
        long size = t.byteSize();
        if (size > Integer.MAX_VALUE - 8) {
            throw new MalformedModelException(
                    where
                            + ": tensor '"
                            + t.name()
                            + "' has "
                            + size
                            + " bytes; tensors over 2 GiB are not supported");
        }
        ByteBuffer buf = ByteBuffer.allocateDirect((int) size).order(ByteOrder.LITTLE_ENDIAN);
        long pos = header.dataStart() + t.begin();
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos + buf.position());
            if (n < 0) {
                throw new MalformedModelException(
                        where + ": truncated: tensor '" + t.name() + "' ends past the end of file");
            }
        }
        buf.flip();
        if (t.dataType() == DataType.BFLOAT16) {
            return manager.create(bf16ToFloat32(buf), t.shape(), DataType.FLOAT32);
        }
        if (t.dataType() == DataType.INT16) {
            return manager.create(int16ToInt32(buf), t.shape(), DataType.INT32);
        }
        return manager.create(buf, t.shape(), t.dataType());
    }

    /**
     * Widens int16 values to int32 (the engine aborts on int16 arrays as on bfloat16 ones).
     *
     * @param i16 little-endian int16 values
     * @return a direct buffer of int32 values in native order
     */
    public static ByteBuffer int16ToInt32(ByteBuffer i16) {
        ByteBuffer src = i16.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int n = src.remaining() / 2;
        ByteBuffer out = ByteBuffer.allocateDirect(n * 4).order(ByteOrder.nativeOrder());
        for (int i = 0; i < n; i++) {
            out.putInt(src.getShort());
        }
        out.flip();
        return out;
    }

    /**
     * Widens bfloat16 values (the upper half of a float32's bits) to float32, exactly. DJL 0.36's
     * PyTorch engine aborts the process when it is handed a bfloat16 tensor, so bfloat16 data never
     * reaches the engine as such.
     *
     * @param bf16 little-endian bfloat16 values
     * @return a direct buffer of float32 values in native order
     */
    public static ByteBuffer bf16ToFloat32(ByteBuffer bf16) {
        ByteBuffer src = bf16.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int n = src.remaining() / 2;
        ByteBuffer out = ByteBuffer.allocateDirect(n * 4).order(ByteOrder.nativeOrder());
        for (int i = 0; i < n; i++) {
            out.putInt((src.getShort() & 0xFFFF) << 16);
        }
        out.flip();
        return out;
    }

    private static Header readHeader(FileChannel ch, String where)
            throws IOException, MalformedModelException {
        long fileSize = ch.size();
        if (fileSize < 8) {
            throw new MalformedModelException(
                    where + ": not a safetensors file (" + fileSize + " bytes, no header length)");
        }
        ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, lenBuf, 0, where);
        long headerLen = lenBuf.getLong(0);
        if (headerLen < 2 || headerLen > MAX_HEADER || headerLen > fileSize - 8) {
            throw new MalformedModelException(
                    where
                            + ": header length "
                            + Long.toUnsignedString(headerLen)
                            + " is impossible for a file of "
                            + fileSize
                            + " bytes (truncated or not a safetensors file)");
        }
        ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
        readFully(ch, hb, 8, where);
        String json = new String(hb.array(), StandardCharsets.UTF_8);
        JsonObject root;
        try {
            JsonElement e = JsonParser.parseString(json);
            if (!e.isJsonObject()) {
                throw new MalformedModelException(where + ": header is not a JSON object");
            }
            root = e.getAsJsonObject();
        } catch (JsonParseException | IllegalStateException e) {
            throw new MalformedModelException(
                    where + ": header is not valid JSON: " + e.getMessage(), e);
        }
        long dataStart = 8 + headerLen;
        long dataLen = fileSize - dataStart;
        List<TensorInfo> tensors = new ArrayList<>();
        Map<String, String> metadata = new TreeMap<>();
        for (Map.Entry<String, JsonElement> e : root.entrySet()) {
            if (e.getKey().equals("__metadata__")) {
                if (!e.getValue().isJsonObject()) {
                    throw new MalformedModelException(where + ": __metadata__ is not an object");
                }
                for (Map.Entry<String, JsonElement> m : e.getValue().getAsJsonObject().entrySet()) {
                    metadata.put(
                            m.getKey(),
                            m.getValue().isJsonPrimitive()
                                    ? m.getValue().getAsString()
                                    : m.getValue().toString());
                }
                continue;
            }
            tensors.add(parseEntry(e.getKey(), e.getValue(), dataLen, where));
        }
        tensors.sort((a, b) -> Long.compare(a.begin(), b.begin()));
        return new Header(
                Collections.unmodifiableList(tensors),
                Collections.unmodifiableMap(metadata),
                dataStart);
    }

    private static TensorInfo parseEntry(String name, JsonElement value, long dataLen, String where)
            throws MalformedModelException {
        String ctx = where + ": tensor '" + name + "'";
        if (!value.isJsonObject()) {
            throw new MalformedModelException(ctx + " is not described by an object");
        }
        JsonObject o = value.getAsJsonObject();
        JsonElement dt = o.get("dtype");
        JsonElement sh = o.get("shape");
        JsonElement off = o.get("data_offsets");
        if (dt == null || sh == null || off == null || !sh.isJsonArray() || !off.isJsonArray()) {
            throw new MalformedModelException(ctx + " lacks dtype, shape or data_offsets");
        }
        DataType type = DTYPES.get(dt.getAsString());
        if (type == null) {
            throw new MalformedModelException(
                    ctx
                            + " has unsupported dtype '"
                            + dt.getAsString()
                            + "' (supported: "
                            + DTYPES.keySet()
                            + ")");
        }
        JsonArray dims = sh.getAsJsonArray();
        long[] shape = new long[dims.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            long d = asLong(dims.get(i), ctx + " shape");
            if (d < 0 || d > Integer.MAX_VALUE) {
                throw new MalformedModelException(ctx + " has an invalid dimension " + d);
            }
            shape[i] = d;
            try {
                numel = Math.multiplyExact(numel, d);
            } catch (ArithmeticException ex) {
                throw new MalformedModelException(ctx + " has an impossibly large shape", ex);
            }
        }
        JsonArray offs = off.getAsJsonArray();
        if (offs.size() != 2) {
            throw new MalformedModelException(ctx + " data_offsets must be [begin, end]");
        }
        long begin = asLong(offs.get(0), ctx + " data_offsets");
        long end = asLong(offs.get(1), ctx + " data_offsets");
        if (begin < 0 || end < begin) {
            throw new MalformedModelException(
                    ctx + " has invalid data_offsets [" + begin + ", " + end + "]");
        }
        if (end > dataLen) {
            throw new MalformedModelException(
                    ctx
                            + " ends at byte "
                            + end
                            + " but the data section has only "
                            + dataLen
                            + " bytes (file truncated?)");
        }
        long expected = numel * type.getNumOfBytes();
        if (end - begin != expected) {
            throw new MalformedModelException(
                    ctx
                            + " has "
                            + (end - begin)
                            + " bytes but shape "
                            + new Shape(shape)
                            + " of "
                            + dt.getAsString()
                            + " needs "
                            + expected);
        }
        return new TensorInfo(name, type, new Shape(shape), begin, end);
    }

    private static long asLong(JsonElement e, String ctx) throws MalformedModelException {
        try {
            return e.getAsJsonPrimitive().getAsBigDecimal().longValueExact();
        } catch (RuntimeException ex) {
            throw new MalformedModelException(ctx + " holds a non-integer: " + e);
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos, String where)
            throws IOException, MalformedModelException {
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos + buf.position());
            if (n < 0) {
                throw new MalformedModelException(where + ": unexpected end of file");
            }
        }
    }

    /**
     * Writes tensors (any dtype the format supports) with optional string metadata. Tensors are
     * written contiguously in map order.
     *
     * @param file the file to create or replace
     * @param tensors tensors by name
     * @param metadata {@code __metadata__} strings, or an empty map
     * @throws IOException if writing fails
     */
    public static void write(Path file, Map<String, NDArray> tensors, Map<String, String> metadata)
            throws IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        if (!metadata.isEmpty()) {
            header.put("__metadata__", new TreeMap<>(metadata));
        }
        List<ByteBuffer> data = new ArrayList<>();
        long offset = 0;
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            NDArray a = e.getValue();
            String code = codeOf(a.getDataType(), e.getKey());
            ByteBuffer bytes = a.toByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("dtype", code);
            entry.put("shape", a.getShape().getShape());
            entry.put("data_offsets", new long[] {offset, offset + bytes.remaining()});
            header.put(e.getKey(), entry);
            offset += bytes.remaining();
            data.add(bytes);
        }
        byte[] json = new Gson().toJson(header).getBytes(StandardCharsets.UTF_8);
        int pad = (8 - json.length % 8) % 8;
        ByteBuffer head = ByteBuffer.allocate(8 + json.length + pad).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(json.length + pad).put(json);
        for (int i = 0; i < pad; i++) {
            head.put((byte) ' ');
        }
        head.flip();
        try (FileChannel ch =
                FileChannel.open(
                        file,
                        StandardOpenOption.CREATE,
                        StandardOpenOption.TRUNCATE_EXISTING,
                        StandardOpenOption.WRITE)) {
            writeFully(ch, head);
            for (ByteBuffer b : data) {
                writeFully(ch, b);
            }
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    private static String codeOf(DataType t, String name) {
        for (Map.Entry<String, DataType> e : DTYPES.entrySet()) {
            if (e.getValue() == t) {
                return e.getKey();
            }
        }
        throw new IllegalArgumentException(
                "tensor '" + name + "' has dtype " + t + ", which safetensors cannot store");
    }

    /**
     * A parsed header.
     *
     * @param tensors tensor descriptions ordered by offset
     * @param metadata the {@code __metadata__} strings
     * @param dataStart absolute file offset of the data section
     */
    public record Header(List<TensorInfo> tensors, Map<String, String> metadata, long dataStart) {}
}
