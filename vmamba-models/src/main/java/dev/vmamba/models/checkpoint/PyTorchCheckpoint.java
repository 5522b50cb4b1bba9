package dev.vmamba.models.checkpoint;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * A PyTorch checkpoint file as written by {@code torch.save} (PyTorch 1.6 and later): a zip archive
 * with {@code <name>/data.pkl} (the pickled object), {@code <name>/data/<key>} (one raw storage per
 * key) and {@code <name>/byteorder}.
 *
 * <p>The pickle is read by a restricted interpreter that never runs code: tensors become {@link
 * TensorRef}s (read on demand with {@link #toNDArray}), plain containers become Java collections,
 * and anything else (a pickled yacs {@code CfgNode} config, optimizer or AMP scaler state, an
 * {@code argparse.Namespace}, ...) becomes an inert {@link PickledObject}. Every size and offset is
 * checked against the archive before it is used; malformed, truncated or hostile files give a
 * {@link MalformedModelException} naming the problem.
 *
 * <pre>{@code
 * try (PyTorchCheckpoint ckpt = PyTorchCheckpoint.open(path)) {
 *     Map<?, ?> root = (Map<?, ?>) ckpt.root();          // {'model': ..., 'optimizer': ...}
 *     TensorRef t = (TensorRef) ((Map<?, ?>) root.get("model")).get("classifier.head.weight");
 *     NDArray w = ckpt.toNDArray(t, manager);
 * }
 * }</pre>
 */
public final class PyTorchCheckpoint implements AutoCloseable {

    /** Largest {@code data.pkl} accepted (official checkpoints need a few MB). */
    static final long MAX_PICKLE_BYTES = 64L << 20;

    /** Largest single tensor read (DJL arrays are created from one buffer). */
    static final long MAX_TENSOR_BYTES = Integer.MAX_VALUE - 8;

    private final Path file;
    private final ZipFile zip;
    private final String prefix;
    private final ByteOrder byteOrder;
    private final boolean torchScript;
    private final Map<String, ZipEntry> storages = new HashMap<>();
    private final Object root;

    private PyTorchCheckpoint(Path file, ZipFile zip) throws IOException, MalformedModelException {
        this.file = file;
        this.zip = zip;
        List<String> pickles = new ArrayList<>();
        boolean script = false;
        for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements(); ) {
            String name = en.nextElement().getName();
            int slash = name.indexOf('/');
            if (slash > 0 && name.substring(slash + 1).equals("data.pkl")) {
                pickles.add(name);
            }
            if (slash > 0 && name.substring(slash + 1).equals("constants.pkl")) {
                script = true;
            }
        }
        if (pickles.size() != 1) {
            throw new MalformedModelException(
                    where()
                            + ": not a torch.save archive: expected one '<name>/data.pkl' entry,"
                            + " found "
                            + pickles);
        }
        this.torchScript = script;
        this.prefix = pickles.get(0).substring(0, pickles.get(0).indexOf('/') + 1);
        this.byteOrder = readByteOrder();
        byte[] pickle = readPickle(zip.getEntry(pickles.get(0)));
        Map<String, Object> globals = Unpickler.builtinGlobals();
        for (TorchStorageType t : TorchStorageType.values()) {
            globals.put("torch." + t.className(), t);
        }
        globals.put("torch.storage.UntypedStorage", TorchStorageType.UNTYPED);
        globals.put("torch._utils._rebuild_tensor_v2", (PickleCallable) this::rebuildTensor);
        globals.put("torch._utils._rebuild_tensor", (PickleCallable) this::rebuildTensor);
        globals.put("torch._utils._rebuild_parameter", (PickleCallable) this::rebuildParameter);
        globals.put(
                "torch._utils._rebuild_parameter_with_state",
                (PickleCallable) this::rebuildParameter);
        globals.put("torch._tensor._rebuild_from_type_v2", (PickleCallable) this::rebuildFromType);
        this.root =
                new Unpickler(pickle, where() + " (data.pkl)", globals, this::loadStorage).load();
    }

    /**
     * Opens and parses a checkpoint file. Tensor data is not read yet.
     *
     * @param file the {@code .pth} / {@code .pt} / {@code .bin} file
     * @return the open checkpoint (close it to release the file)
     * @throws IOException if the file cannot be read
     * @throws MalformedModelException if it is not a valid {@code torch.save} archive
     */
    public static PyTorchCheckpoint open(Path file) throws IOException, MalformedModelException {
        checkNotLegacy(file);
        ZipFile zip;
        try {
            zip = new ZipFile(file.toFile());
        } catch (ZipException e) {
            throw new MalformedModelException(
                    file
                            + ": not a PyTorch checkpoint: the zip archive is unreadable ("
                            + e.getMessage()
                            + "; truncated or not a torch.save file?)",
                    e);
        }
        try {
            return new PyTorchCheckpoint(file, zip);
        } catch (IOException | MalformedModelException | RuntimeException e) {
            zip.close();
            if (e instanceof ZipException) {
                throw new MalformedModelException(
                        file + ": corrupt zip archive: " + e.getMessage(), e);
            }
            throw e;
        }
    }

    private static void checkNotLegacy(Path file) throws IOException, MalformedModelException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer head = ByteBuffer.allocate(262);
            while (head.hasRemaining() && ch.read(head) > 0) {
                // fill what the file has
            }
            int n = head.position();
            byte[] b = head.array();
            if (n >= 2 && (b[0] & 0xFF) == 0x80 && b[1] == 2) {
                throw new MalformedModelException(
                        file
                                + ": legacy PyTorch serialization (before 1.6, a raw pickle) is"
                                + " not supported; re-save it with a current torch.save");
            }
            if (n >= 262 && new String(b, 257, 5, StandardCharsets.US_ASCII).equals("ustar")) {
                throw new MalformedModelException(
                        file
                                + ": legacy PyTorch tar serialization is not supported; re-save"
                                + " it with a current torch.save");
            }
            if (n < 4 || b[0] != 'P' || b[1] != 'K') {
                throw new MalformedModelException(
                        file + ": not a PyTorch checkpoint (no zip signature at the start)");
            }
        }
    }

    /**
     * @return the unpickled top-level object (usually a {@link Map})
     */
    public Object root() {
        return root;
    }

    /**
     * @return the archive's top folder name (torch uses the file's stem)
     */
    public String archiveName() {
        return prefix.substring(0, prefix.length() - 1);
    }

    /**
     * @return the byte order of the stored tensors
     */
    public ByteOrder byteOrder() {
        return byteOrder;
    }

    /**
     * @return whether the archive is a TorchScript module ({@code torch.jit.save}) rather than a
     *     checkpoint
     */
    public boolean isTorchScript() {
        return torchScript;
    }

    /**
     * @return the file
     */
    public Path file() {
        return file;
    }

    /**
     * Reads a tensor's data.
     *
     * @param tensor a tensor of this checkpoint
     * @param manager owner of the new array
     * @return the tensor, with the storage's element type ({@code bfloat16} widened exactly to
     *     {@code float32} and {@code int16} to {@code int32}: the engine cannot create those from
     *     host memory)
     * @throws IOException if reading fails
     * @throws MalformedModelException if the storage's data is shorter than its header claims
     */
    public NDArray toNDArray(TensorRef tensor, NDManager manager)
            throws IOException, MalformedModelException {
        ZipEntry entry = storages.get(tensor.storageKey());
        if (entry == null) {
            throw new IllegalArgumentException(
                    "tensor " + tensor + " does not belong to " + file.getFileName());
        }
        int es = tensor.storageType().elementSize();
        long numel = tensor.numel();
        long[] shape = tensor.rawShape();
        long[] stride = tensor.rawStride();
        ByteBuffer out = manager.allocateDirect((int) (numel * es)).order(ByteOrder.LITTLE_ENDIAN);
        if (numel > 0) {
            long first = tensor.storageOffset();
            long last = first;
            for (int i = 0; i < shape.length; i++) {
                last += (shape[i] - 1) * stride[i];
            }
            long spanBytes = (last - first + 1) * es;
            if (spanBytes > MAX_TENSOR_BYTES) {
                throw new MalformedModelException(
                        where()
                                + ": tensor "
                                + tensor
                                + " spans "
                                + spanBytes
                                + " bytes of its storage; over 2 GiB is not supported");
            }
            byte[] span = readRange(entry, first * es, (int) spanBytes, tensor);
            if (tensor.isContiguous()) {
                out.put(span, 0, (int) (numel * es));
            } else {
                gather(span, shape, stride, es, out);
            }
            if (byteOrder == ByteOrder.BIG_ENDIAN && es > 1) {
                swap(out, es);
            }
        }
        out.rewind();
        return HostArrays.create(out, tensor.shape(), tensor.dataType(), manager);
    }

    @Override
    public void close() throws IOException {
        zip.close();
    }

    // ------------------------------------------------------------------ archive parts

    private String where() {
        return String.valueOf(file);
    }

    private ByteOrder readByteOrder() throws IOException, MalformedModelException {
        ZipEntry e = zip.getEntry(prefix + "byteorder");
        if (e == null) {
            return ByteOrder.LITTLE_ENDIAN; // archives written before the record existed
        }
        if (e.getSize() > 16) {
            throw new MalformedModelException(where() + ": byteorder record is " + e.getSize());
        }
        String s;
        try (InputStream in = zip.getInputStream(e)) {
            s = new String(in.readNBytes(16), StandardCharsets.US_ASCII).trim();
        }
        switch (s) {
            case "little":
                return ByteOrder.LITTLE_ENDIAN;
            case "big":
                return ByteOrder.BIG_ENDIAN;
            default:
                throw new MalformedModelException(
                        where() + ": unknown byteorder '" + s + "' (expected little or big)");
        }
    }

    private byte[] readPickle(ZipEntry e) throws IOException, MalformedModelException {
        long size = e.getSize();
        if (size < 0 || size > MAX_PICKLE_BYTES) {
            throw new MalformedModelException(
                    where()
                            + ": data.pkl has "
                            + (size < 0 ? "an unknown size" : size + " bytes")
                            + "; at most "
                            + MAX_PICKLE_BYTES
                            + " are accepted");
        }
        byte[] b;
        try (InputStream in = zip.getInputStream(e)) {
            b = in.readNBytes((int) size);
        }
        if (b.length != size) {
            throw new MalformedModelException(
                    where() + ": data.pkl is truncated (" + b.length + " of " + size + " bytes)");
        }
        return b;
    }

    private byte[] readRange(ZipEntry entry, long start, int length, TensorRef t)
            throws IOException, MalformedModelException {
        try (InputStream in = zip.getInputStream(entry)) {
            long skipped = 0;
            while (skipped < start) {
                long s = in.skip(start - skipped);
                if (s <= 0) {
                    if (in.read() < 0) {
                        break;
                    }
                    s = 1;
                }
                skipped += s;
            }
            byte[] b = in.readNBytes(length);
            if (skipped < start || b.length != length) {
                throw new MalformedModelException(
                        where()
                                + ": storage '"
                                + t.storageKey()
                                + "' is truncated: tensor "
                                + t
                                + " needs bytes "
                                + start
                                + ".."
                                + (start + length)
                                + " of it");
            }
            return b;
        } catch (ZipException e) {
            throw new MalformedModelException(
                    where() + ": storage '" + t.storageKey() + "' is corrupt: " + e.getMessage(),
                    e);
        }
    }

    private static void gather(byte[] span, long[] shape, long[] stride, int es, ByteBuffer out) {
        int dims = shape.length;
        long[] idx = new long[dims];
        long numel = 1;
        for (long d : shape) {
            numel *= d;
        }
        for (long n = 0; n < numel; n++) {
            long off = 0;
            for (int i = 0; i < dims; i++) {
                off += idx[i] * stride[i];
            }
            out.put(span, (int) (off * es), es);
            for (int i = dims - 1; i >= 0; i--) {
                if (++idx[i] < shape[i]) {
                    break;
                }
                idx[i] = 0;
            }
        }
    }

    private static void swap(ByteBuffer b, int es) {
        byte[] tmp = new byte[es];
        for (int p = 0; p + es <= b.limit(); p += es) {
            b.get(p, tmp);
            for (int i = 0; i < es; i++) {
                b.put(p + i, tmp[es - 1 - i]);
            }
        }
    }

    // ------------------------------------------------------------------ pickle hooks

    /** A storage named by a persistent id: its type, key and element count, checked. */
    private record Storage(String key, TorchStorageType type, long numel) {}

    private Object loadStorage(Object pid) throws MalformedModelException {
        if (!(pid instanceof List) || ((List<?>) pid).size() != 5) {
            throw new MalformedModelException(
                    where()
                            + ": unexpected persistent id (expected ('storage', type, key,"
                            + " location, numel)), got a "
                            + Unpickler.typeName(pid));
        }
        List<?> p = (List<?>) pid;
        if (!"storage".equals(p.get(0))) {
            throw new MalformedModelException(
                    where() + ": unexpected persistent id kind " + Unpickler.typeName(p.get(0)));
        }
        if (!(p.get(1) instanceof TorchStorageType)) {
            throw new MalformedModelException(
                    where()
                            + ": unsupported storage type "
                            + p.get(1)
                            + " (supported: float32, float16, bfloat16, float64, int64, int32,"
                            + " int16, int8, uint8, bool)");
        }
        TorchStorageType type = (TorchStorageType) p.get(1);
        if (!(p.get(2) instanceof String) || !(p.get(4) instanceof Long)) {
            throw new MalformedModelException(where() + ": malformed storage persistent id");
        }
        String key = (String) p.get(2);
        long numel = (Long) p.get(4);
        if (numel < 0) {
            throw new MalformedModelException(
                    where() + ": storage '" + key + "' has a negative size " + numel);
        }
        ZipEntry entry = zip.getEntry(prefix + "data/" + key);
        if (entry == null) {
            throw new MalformedModelException(
                    where()
                            + ": storage '"
                            + key
                            + "' is missing from the archive (data/"
                            + key
                            + ")");
        }
        long bytes;
        try {
            bytes = Math.multiplyExact(numel, (long) type.elementSize());
        } catch (ArithmeticException e) {
            throw new MalformedModelException(
                    where() + ": storage '" + key + "' claims an impossible size " + numel, e);
        }
        if (entry.getSize() != bytes) {
            throw new MalformedModelException(
                    where()
                            + ": storage '"
                            + key
                            + "' claims "
                            + numel
                            + " elements of "
                            + type.dataType()
                            + " ("
                            + bytes
                            + " bytes) but its entry holds "
                            + entry.getSize()
                            + " bytes");
        }
        storages.put(key, entry);
        return new Storage(key, type, numel);
    }

    private Object rebuildTensor(List<Object> args) throws MalformedModelException {
        if (args.size() < 4) {
            throw new MalformedModelException(
                    where() + ": _rebuild_tensor needs (storage, offset, size, stride)");
        }
        if (!(args.get(0) instanceof Storage)) {
            throw new MalformedModelException(
                    where()
                            + ": _rebuild_tensor on a "
                            + Unpickler.typeName(args.get(0))
                            + " instead of a storage");
        }
        Storage s = (Storage) args.get(0);
        long offset = asLong(args.get(1), "storage offset");
        long[] shape = asLongs(args.get(2), "size");
        long[] stride = asLongs(args.get(3), "stride");
        if (shape.length != stride.length) {
            throw new MalformedModelException(
                    where()
                            + ": tensor size has "
                            + shape.length
                            + " dimensions but stride has "
                            + stride.length);
        }
        if (offset < 0) {
            throw new MalformedModelException(where() + ": negative storage offset " + offset);
        }
        long numel = 1;
        long last = offset;
        try {
            for (int i = 0; i < shape.length; i++) {
                if (shape[i] < 0 || stride[i] < 0) {
                    throw new MalformedModelException(
                            where() + ": negative size or stride in a tensor of storage " + s.key);
                }
                numel = Math.multiplyExact(numel, shape[i]);
                if (shape[i] > 0) {
                    last = Math.addExact(last, Math.multiplyExact(shape[i] - 1, stride[i]));
                }
            }
            if (Math.multiplyExact(numel, (long) s.type.elementSize()) > MAX_TENSOR_BYTES) {
                throw new MalformedModelException(
                        where()
                                + ": a tensor of storage '"
                                + s.key
                                + "' has "
                                + numel
                                + " elements; tensors over 2 GiB are not supported");
            }
        } catch (ArithmeticException e) {
            throw new MalformedModelException(
                    where() + ": a tensor of storage '" + s.key + "' has an impossible size", e);
        }
        if (numel > 0 && last >= s.numel) {
            throw new MalformedModelException(
                    where()
                            + ": a tensor reads element "
                            + last
                            + " of storage '"
                            + s.key
                            + "', which has only "
                            + s.numel);
        }
        return new TensorRef(s.key, s.type, offset, shape, stride);
    }

    private Object rebuildParameter(List<Object> args) throws MalformedModelException {
        if (args.isEmpty()) {
            throw new MalformedModelException(where() + ": _rebuild_parameter without data");
        }
        return args.get(0);
    }

    private Object rebuildFromType(List<Object> args) throws MalformedModelException {
        if (args.size() < 3 || !(args.get(2) instanceof List)) {
            throw new MalformedModelException(where() + ": malformed _rebuild_from_type_v2");
        }
        Object func = args.get(0);
        @SuppressWarnings("unchecked")
        List<Object> inner = (List<Object>) args.get(2);
        if (func instanceof PickleCallable) {
            return ((PickleCallable) func).call(inner);
        }
        return new PickledObject(Unpickler.typeName(func), inner);
    }

    private long asLong(Object o, String what) throws MalformedModelException {
        if (o instanceof Long) {
            return (Long) o;
        }
        throw new MalformedModelException(
                where() + ": tensor " + what + " is a " + Unpickler.typeName(o) + ", not an int");
    }

    private long[] asLongs(Object o, String what) throws MalformedModelException {
        if (!(o instanceof List)) {
            throw new MalformedModelException(
                    where() + ": tensor " + what + " is a " + Unpickler.typeName(o));
        }
        List<?> l = (List<?>) o;
        if (l.size() > 32) {
            throw new MalformedModelException(
                    where() + ": tensor " + what + " has " + l.size() + " dimensions");
        }
        long[] out = new long[l.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = asLong(l.get(i), what);
        }
        return out;
    }
}
