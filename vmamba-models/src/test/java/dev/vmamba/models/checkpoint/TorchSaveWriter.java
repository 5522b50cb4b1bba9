package dev.vmamba.models.checkpoint;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * A small PyTorch-free writer of {@code torch.save}-style archives for tests: it emits the pickle
 * opcodes {@code torch.save} emits (protocol 2, persistent ids for storages) and stores the zip
 * entries uncompressed, like PyTorch does. Values are described with the nested classes below.
 */
final class TorchSaveWriter {

    /** A tensor: a view (offset, shape, stride) of a storage. */
    static final class Tensor {
        final Storage storage;
        final long offset;
        final long[] shape;
        final long[] stride;
        boolean parameter;

        Tensor(Storage storage, long offset, long[] shape, long[] stride) {
            this.storage = storage;
            this.offset = offset;
            this.shape = shape;
            this.stride = stride;
        }

        /** Wraps the tensor as {@code torch._utils._rebuild_parameter} does for nn.Parameter. */
        Tensor asParameter() {
            parameter = true;
            return this;
        }
    }

    /** Raw little-endian storage bytes of one element type. */
    static final class Storage {
        final String typeName;
        final int elementSize;
        final byte[] bytes;
        long numelOverride = -1;

        Storage(String typeName, int elementSize, byte[] bytes) {
            this.typeName = typeName;
            this.elementSize = elementSize;
            this.bytes = bytes;
        }

        long numel() {
            return numelOverride >= 0 ? numelOverride : bytes.length / elementSize;
        }
    }

    /** A Python tuple. */
    record Tuple(List<Object> items) {
        static Tuple of(Object... items) {
            return new Tuple(Arrays.asList(items));
        }
    }

    /** {@code collections.OrderedDict}. */
    static final class OrderedDict extends LinkedHashMap<Object, Object> {
        private static final long serialVersionUID = 1L;
    }

    /**
     * An instance of an arbitrary class: {@code module.name(*args)} via REDUCE (or NEWOBJ), then
     * dict items and BUILD state.
     */
    static final class Instance {
        final String module;
        final String name;
        final List<Object> args;
        final boolean newObj;
        final Map<Object, Object> items = new LinkedHashMap<>();
        Object state;

        Instance(String module, String name, boolean newObj, Object... args) {
            this.module = module;
            this.name = name;
            this.newObj = newObj;
            this.args = Arrays.asList(args);
        }
    }

    static Storage floats(float... v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            b.putFloat(f);
        }
        return new Storage("FloatStorage", 4, b.array());
    }

    static Tensor contiguous(Storage s, long... shape) {
        long[] stride = new long[shape.length];
        long st = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            stride[i] = st;
            st *= shape[i];
        }
        return new Tensor(s, 0, shape, stride);
    }

    // ------------------------------------------------------------------ pickle

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final Map<Storage, String> keys = new IdentityHashMap<>();

    /**
     * Pickles a value (protocol 2, as {@code torch.save}).
     *
     * @param root the value
     * @return the pickle bytes and the storages it references, by key
     */
    static Pickled pickle(Object root) {
        TorchSaveWriter w = new TorchSaveWriter();
        w.out.write(0x80);
        w.out.write(2);
        w.value(root);
        w.out.write('.');
        Map<String, Storage> storages = new LinkedHashMap<>();
        w.keys.forEach((s, k) -> storages.put(k, s));
        return new Pickled(w.out.toByteArray(), storages);
    }

    record Pickled(byte[] pickle, Map<String, Storage> storages) {}

    private void value(Object v) {
        if (v == null) {
            out.write('N');
        } else if (v instanceof Boolean) {
            out.write((Boolean) v ? 0x88 : 0x89);
        } else if (v instanceof Integer || v instanceof Long) {
            integer(((Number) v).longValue());
        } else if (v instanceof Double || v instanceof Float) {
            out.write('G');
            long bits = Double.doubleToLongBits(((Number) v).doubleValue());
            for (int i = 7; i >= 0; i--) {
                out.write((int) (bits >>> (8 * i)) & 0xFF);
            }
        } else if (v instanceof String) {
            byte[] b = ((String) v).getBytes(StandardCharsets.UTF_8);
            out.write('X');
            int32(b.length);
            out.writeBytes(b);
        } else if (v instanceof byte[]) {
            byte[] b = (byte[]) v;
            out.write('B');
            int32(b.length);
            out.writeBytes(b);
        } else if (v instanceof Tuple) {
            out.write('(');
            for (Object o : ((Tuple) v).items()) {
                value(o);
            }
            out.write('t');
        } else if (v instanceof List) {
            out.write(']');
            out.write('(');
            for (Object o : (List<?>) v) {
                value(o);
            }
            out.write('e');
        } else if (v instanceof OrderedDict) {
            global("collections", "OrderedDict");
            out.write(')');
            out.write('R');
            items((Map<?, ?>) v);
        } else if (v instanceof Map) {
            out.write('}');
            items((Map<?, ?>) v);
        } else if (v instanceof Tensor) {
            tensor((Tensor) v);
        } else if (v instanceof Instance) {
            Instance i = (Instance) v;
            global(i.module, i.name);
            value(new Tuple(i.args));
            out.write(i.newObj ? 0x81 : 'R');
            if (!i.items.isEmpty()) {
                items(i.items);
            }
            if (i.state != null) {
                value(i.state);
                out.write('b');
            }
        } else {
            throw new IllegalArgumentException("cannot pickle " + v.getClass());
        }
    }

    private void items(Map<?, ?> m) {
        if (m.isEmpty()) {
            return;
        }
        out.write('(');
        for (Map.Entry<?, ?> e : m.entrySet()) {
            value(e.getKey());
            value(e.getValue());
        }
        out.write('u');
    }

    private void tensor(Tensor t) {
        if (t.parameter) {
            global("torch._utils", "_rebuild_parameter");
            out.write('(');
        }
        global("torch._utils", "_rebuild_tensor_v2");
        out.write('(');
        String key = keys.computeIfAbsent(t.storage, s -> Integer.toString(keys.size()));
        out.write('(');
        value("storage");
        global("torch", t.storage.typeName);
        value(key);
        value("cpu");
        integer(t.storage.numel());
        out.write('t');
        out.write('Q');
        integer(t.offset);
        value(new Tuple(box(t.shape)));
        value(new Tuple(box(t.stride)));
        out.write(0x89);
        value(new OrderedDict());
        out.write('t');
        out.write('R');
        if (t.parameter) {
            out.write(0x88);
            value(new OrderedDict());
            out.write('t');
            out.write('R');
        }
    }

    private static List<Object> box(long[] a) {
        List<Object> l = new ArrayList<>();
        for (long x : a) {
            l.add(x);
        }
        return l;
    }

    private void global(String module, String name) {
        out.write('c');
        out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.UTF_8));
    }

    private void integer(long v) {
        if (v >= 0 && v < 256) {
            out.write('K');
            out.write((int) v);
        } else if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
            out.write('J');
            int32((int) v);
        } else {
            out.write(0x8a);
            out.write(8);
            for (int i = 0; i < 8; i++) {
                out.write((int) (v >>> (8 * i)) & 0xFF);
            }
        }
    }

    private void int32(int v) {
        for (int i = 0; i < 4; i++) {
            out.write((v >>> (8 * i)) & 0xFF);
        }
    }

    // ------------------------------------------------------------------ archive

    /**
     * Writes a complete archive.
     *
     * @param file the file
     * @param root the pickled value
     * @param bigEndian whether to store the storages big-endian (byteorder "big")
     */
    static void save(Path file, Object root, boolean bigEndian) throws IOException {
        Pickled p = pickle(root);
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("archive/data.pkl", p.pickle());
        entries.put(
                "archive/byteorder",
                (bigEndian ? "big" : "little").getBytes(StandardCharsets.US_ASCII));
        p.storages()
                .forEach((k, s) -> entries.put("archive/data/" + k, bigEndian ? swap(s) : s.bytes));
        entries.put("archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        Files.write(file, zip(entries));
    }

    static void save(Path file, Object root) throws IOException {
        save(file, root, false);
    }

    private static byte[] swap(Storage s) {
        byte[] b = s.bytes.clone();
        int es = s.elementSize;
        for (int p = 0; p + es <= b.length; p += es) {
            for (int i = 0; i < es / 2; i++) {
                byte t = b[p + i];
                b[p + i] = b[p + es - 1 - i];
                b[p + es - 1 - i] = t;
            }
        }
        return b;
    }

    /** Zips entries uncompressed, in order. */
    static byte[] zip(Map<String, byte[]> entries) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                ZipEntry ze = new ZipEntry(e.getKey());
                ze.setMethod(ZipEntry.STORED);
                ze.setSize(e.getValue().length);
                CRC32 crc = new CRC32();
                crc.update(e.getValue());
                ze.setCrc(crc.getValue());
                z.putNextEntry(ze);
                z.write(e.getValue());
                z.closeEntry();
            }
        }
        return bytes.toByteArray();
    }
}
