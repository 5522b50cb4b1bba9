package dev.vmamba.models.checkpoint;

import ai.djl.MalformedModelException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A restricted interpreter for Python's pickle format (protocols 0 to 5), enough to read the {@code
 * data.pkl} of a {@code torch.save} archive without Python and without ever running code.
 *
 * <p>Values become plain Java objects: {@code None} → {@code null}, {@code bool} → {@link Boolean},
 * {@code int} → {@link Long} (or {@link BigInteger} when it does not fit), {@code float} → {@link
 * Double}, {@code str} → {@link String}, {@code bytes} → {@code byte[]}, {@code list} → a mutable
 * {@link List}, {@code tuple} → an unmodifiable {@link List}, {@code dict} and {@code OrderedDict}
 * → {@link LinkedHashMap}, {@code set} → {@link LinkedHashSet}. Globals listed in the table handed
 * to the constructor are evaluated by Java code; every other global becomes a {@link
 * PickledGlobal}, and calling or instantiating it yields an inert {@link PickledObject}.
 *
 * <p>Every length and index is checked against the input before it is used, and the number of
 * values created is bounded, so a malformed or hostile input ends in a {@link
 * MalformedModelException} naming the byte offset and the problem, never in an endless loop, a
 * stack overflow or an out-of-memory error.
 */
final class Unpickler {

    /** Highest pickle protocol this reader knows (Python 3.8+). */
    static final int HIGHEST_PROTOCOL = 5;

    /** Upper bound on values created while reading one pickle. */
    static final long MAX_VALUES = 20_000_000L;

    /** Deepest tuple nesting accepted inside dict keys and set elements. */
    private static final int MAX_KEY_DEPTH = 64;

    private final byte[] data;
    private final String where;
    private final Map<String, Object> globals;
    private final PersistentLoader persistentLoader;
    private final long maxValues;
    private int pos;
    private long created;
    private final ArrayList<Object> stack = new ArrayList<>();
    private int[] marks = new int[16];
    private int markCount;
    private final Map<Long, Object> memo = new HashMap<>();

    /** Resolves a persistent id (torch uses them for tensor storages). */
    @FunctionalInterface
    interface PersistentLoader {
        /**
         * @param pid the persistent id as read
         * @return the value it stands for
         * @throws MalformedModelException if the id is not valid
         */
        Object load(Object pid) throws MalformedModelException;
    }

    /**
     * @param data the pickle bytes
     * @param where the input's name, for messages
     * @param globals {@code "module.name"} → value pushed for {@code GLOBAL}; values that are
     *     {@link PickleCallable}s are evaluated on {@code REDUCE}/{@code NEWOBJ}
     * @param persistentLoader resolves {@code PERSID}/{@code BINPERSID}, or null to reject them
     */
    Unpickler(
            byte[] data,
            String where,
            Map<String, Object> globals,
            PersistentLoader persistentLoader) {
        this(data, where, globals, persistentLoader, MAX_VALUES);
    }

    /** As above, with an explicit bound on the values created (tests use a small one). */
    Unpickler(
            byte[] data,
            String where,
            Map<String, Object> globals,
            PersistentLoader persistentLoader,
            long maxValues) {
        this.data = data;
        this.where = where;
        this.globals = globals;
        this.persistentLoader = persistentLoader;
        this.maxValues = maxValues;
    }

    /**
     * The globals every pickle may use: containers, {@code _codecs.encode} (protocol-2 bytes) and
     * {@code copyreg} helpers.
     *
     * @return a new modifiable table
     */
    static Map<String, Object> builtinGlobals() {
        Map<String, Object> g = new HashMap<>();
        PickleCallable orderedDict = Unpickler::newDict;
        g.put("collections.OrderedDict", orderedDict);
        g.put("builtins.dict", orderedDict);
        g.put("__builtin__.dict", orderedDict);
        PickleCallable set = args -> newSet(args, false);
        PickleCallable frozenSet = args -> newSet(args, true);
        g.put("builtins.set", set);
        g.put("__builtin__.set", set);
        g.put("builtins.frozenset", frozenSet);
        g.put("__builtin__.frozenset", frozenSet);
        PickleCallable list = Unpickler::newList;
        g.put("builtins.list", list);
        g.put("__builtin__.list", list);
        PickleCallable byteArray = Unpickler::newByteArray;
        g.put("builtins.bytearray", byteArray);
        g.put("__builtin__.bytearray", byteArray);
        g.put("_codecs.encode", (PickleCallable) Unpickler::codecsEncode);
        g.put("copyreg._reconstructor", (PickleCallable) Unpickler::reconstructor);
        g.put("copy_reg._reconstructor", (PickleCallable) Unpickler::reconstructor);
        return g;
    }

    /**
     * Runs the pickle to its {@code STOP}.
     *
     * @return the pickled value
     * @throws MalformedModelException naming the offset and the problem
     */
    Object load() throws MalformedModelException {
        while (true) {
            if (pos >= data.length) {
                throw error("ends without a STOP opcode (truncated?)");
            }
            int opPos = pos;
            int op = data[pos++] & 0xFF;
            try {
                if (op == '.') {
                    if (stack.isEmpty()) {
                        throw error("STOP with an empty stack");
                    }
                    return stack.get(stack.size() - 1);
                }
                step(op);
            } catch (MalformedModelException e) {
                throw e;
            } catch (RuntimeException e) {
                throw new MalformedModelException(
                        where
                                + ": pickle opcode 0x"
                                + Integer.toHexString(op)
                                + " at byte "
                                + opPos
                                + " failed: "
                                + e,
                        e);
            }
        }
    }

    private void step(int op) throws MalformedModelException {
        switch (op) {
            case 0x80: // PROTO
                {
                    int v = u8();
                    if (v > HIGHEST_PROTOCOL) {
                        throw error("unsupported pickle protocol " + v);
                    }
                    return;
                }
            case 0x95: // FRAME
                {
                    long n = i64();
                    if (n < 0 || n > data.length - pos) {
                        throw error("frame of " + n + " bytes runs past the end");
                    }
                    return;
                }
            case '(': // MARK
                pushMark();
                return;
            case '0': // POP
                if (markCount > 0 && marks[markCount - 1] == stack.size()) {
                    markCount--;
                } else {
                    pop();
                }
                return;
            case '1': // POP_MARK
                popMark();
                return;
            case '2': // DUP
                push(peek());
                return;
            case 'N':
                push(null);
                return;
            case 0x88:
                push(Boolean.TRUE);
                return;
            case 0x89:
                push(Boolean.FALSE);
                return;
            case 'I': // INT (text)
                {
                    String s = line();
                    if (s.equals("00")) {
                        push(Boolean.FALSE);
                    } else if (s.equals("01")) {
                        push(Boolean.TRUE);
                    } else {
                        push(parseInt(s));
                    }
                    return;
                }
            case 'J': // BININT
                push((long) i32());
                return;
            case 'K': // BININT1
                push((long) u8());
                return;
            case 'M': // BININT2
                push((long) u16());
                return;
            case 'L': // LONG (text)
                {
                    String s = line();
                    push(parseInt(s.endsWith("L") ? s.substring(0, s.length() - 1) : s));
                    return;
                }
            case 0x8a: // LONG1
                push(littleEndianInt(bytes(u8())));
                return;
            case 0x8b: // LONG4
                {
                    int n = i32();
                    if (n < 0) {
                        throw error("negative LONG4 length " + n);
                    }
                    push(littleEndianInt(bytes(n)));
                    return;
                }
            case 'F': // FLOAT (text)
                push(parseFloat(line()));
                return;
            case 'G': // BINFLOAT (big-endian)
                {
                    long bits = 0;
                    for (byte b : bytes(8)) {
                        bits = (bits << 8) | (b & 0xFF);
                    }
                    push(Double.longBitsToDouble(bits));
                    return;
                }
            case 'S': // STRING (text, quoted)
                push(new String(escapeDecode(unquote(line())), StandardCharsets.UTF_8));
                return;
            case 'T': // BINSTRING
                push(utf8(bytes(length32())));
                return;
            case 'U': // SHORT_BINSTRING
                push(utf8(bytes(u8())));
                return;
            case 'V': // UNICODE (raw-unicode-escape)
                push(rawUnicodeEscape(lineBytes()));
                return;
            case 'X': // BINUNICODE
                push(utf8(bytes(length32())));
                return;
            case 0x8c: // SHORT_BINUNICODE
                push(utf8(bytes(u8())));
                return;
            case 0x8d: // BINUNICODE8
                push(utf8(bytes(length64())));
                return;
            case 'B': // BINBYTES
                push(bytes(length32()));
                return;
            case 'C': // SHORT_BINBYTES
                push(bytes(u8()));
                return;
            case 0x8e: // BINBYTES8
            case 0x96: // BYTEARRAY8
                push(bytes(length64()));
                return;
            case ']': // EMPTY_LIST
                push(new ArrayList<>());
                return;
            case ')': // EMPTY_TUPLE
                push(tuple(List.of()));
                return;
            case '}': // EMPTY_DICT
                push(new LinkedHashMap<>());
                return;
            case 0x8f: // EMPTY_SET
                push(new LinkedHashSet<>());
                return;
            case 'l': // LIST
                push(new ArrayList<>(popMark()));
                return;
            case 't': // TUPLE
                push(tuple(popMark()));
                return;
            case 0x85: // TUPLE1
                push(tuple(Collections.singletonList(pop())));
                return;
            case 0x86: // TUPLE2
                {
                    Object b = pop();
                    Object a = pop();
                    push(tuple(Arrays.asList(a, b)));
                    return;
                }
            case 0x87: // TUPLE3
                {
                    Object c = pop();
                    Object b = pop();
                    Object a = pop();
                    push(tuple(Arrays.asList(a, b, c)));
                    return;
                }
            case 'd': // DICT
                {
                    List<Object> items = popMark();
                    Map<Object, Object> m = new LinkedHashMap<>();
                    putPairs(m, items);
                    push(m);
                    return;
                }
            case 0x91: // FROZENSET
                {
                    Set<Object> s = new LinkedHashSet<>();
                    for (Object o : popMark()) {
                        checkHashable(o, 0);
                        s.add(o);
                    }
                    push(Collections.unmodifiableSet(s));
                    return;
                }
            case 'a': // APPEND
                {
                    Object v = pop();
                    append(peek(), Collections.singletonList(v));
                    return;
                }
            case 'e': // APPENDS
                {
                    List<Object> items = popMark();
                    append(peek(), items);
                    return;
                }
            case 's': // SETITEM
                {
                    Object v = pop();
                    Object k = pop();
                    setItems(peek(), Arrays.asList(k, v));
                    return;
                }
            case 'u': // SETITEMS
                {
                    List<Object> items = popMark();
                    setItems(peek(), items);
                    return;
                }
            case 0x90: // ADDITEMS
                {
                    List<Object> items = popMark();
                    Object target = peek();
                    if (target instanceof PickledObject) {
                        for (Object o : items) {
                            ((PickledObject) target).addItem(o);
                        }
                    } else if (target instanceof LinkedHashSet) {
                        @SuppressWarnings("unchecked")
                        Set<Object> s = (Set<Object>) target;
                        for (Object o : items) {
                            checkHashable(o, 0);
                            s.add(o);
                        }
                    } else {
                        throw error("ADDITEMS on " + typeName(target));
                    }
                    return;
                }
            case 'p': // PUT
                memo.put(parseMemoIndex(line()), peek());
                return;
            case 'q': // BINPUT
                memo.put((long) u8(), peek());
                return;
            case 'r': // LONG_BINPUT
                memo.put(u32(), peek());
                return;
            case 0x94: // MEMOIZE
                memo.put((long) memo.size(), peek());
                return;
            case 'g': // GET
                push(memoGet(parseMemoIndex(line())));
                return;
            case 'h': // BINGET
                push(memoGet(u8()));
                return;
            case 'j': // LONG_BINGET
                push(memoGet(u32()));
                return;
            case 'c': // GLOBAL
                {
                    String module = line();
                    String name = line();
                    push(global(module, name));
                    return;
                }
            case 0x93: // STACK_GLOBAL
                {
                    Object name = pop();
                    Object module = pop();
                    if (!(module instanceof String) || !(name instanceof String)) {
                        throw error("STACK_GLOBAL needs two strings");
                    }
                    push(global((String) module, (String) name));
                    return;
                }
            case 'R': // REDUCE
                {
                    Object args = pop();
                    Object callable = pop();
                    push(call(callable, asArgs(args, "REDUCE")));
                    return;
                }
            case 0x81: // NEWOBJ
                {
                    Object args = pop();
                    Object cls = pop();
                    push(call(cls, asArgs(args, "NEWOBJ")));
                    return;
                }
            case 0x92: // NEWOBJ_EX
                {
                    pop(); // kwargs: ignored (only ever passed to placeholders)
                    Object args = pop();
                    Object cls = pop();
                    push(call(cls, asArgs(args, "NEWOBJ_EX")));
                    return;
                }
            case 'i': // INST
                {
                    String module = line();
                    String name = line();
                    List<Object> args = popMark();
                    push(call(global(module, name), args));
                    return;
                }
            case 'o': // OBJ
                {
                    List<Object> items = popMark();
                    if (items.isEmpty()) {
                        throw error("OBJ without a class");
                    }
                    push(call(items.get(0), items.subList(1, items.size())));
                    return;
                }
            case 'b': // BUILD
                {
                    Object state = pop();
                    Object target = peek();
                    if (target instanceof PickledObject) {
                        ((PickledObject) target).setState(state);
                    }
                    // Other targets (an OrderedDict's _metadata, a tensor's hooks) carry
                    // attributes that do not change the values read; they are dropped.
                    return;
                }
            case 'P': // PERSID
                push(persistent(line()));
                return;
            case 'Q': // BINPERSID
                push(persistent(pop()));
                return;
            case 0x82:
            case 0x83:
            case 0x84:
                throw error("extension-registry opcodes (EXT1/2/4) are not supported");
            case 0x97:
            case 0x98:
                throw error("out-of-band buffers (protocol 5 NEXT_BUFFER) are not supported");
            default:
                throw error(
                        "unknown opcode 0x"
                                + Integer.toHexString(op)
                                + " (corrupt file or not a pickle)");
        }
    }

    // ---------------------------------------------------------------- objects

    private Object global(String module, String name) {
        Object known = globals.get(module + "." + name);
        return known != null ? known : new PickledGlobal(module, name);
    }

    private Object call(Object callable, List<Object> args) throws MalformedModelException {
        if (callable instanceof PickleCallable) {
            return ((PickleCallable) callable).call(args);
        }
        return new PickledObject(describe(callable), args);
    }

    private Object persistent(Object pid) throws MalformedModelException {
        if (persistentLoader == null) {
            throw error("persistent id " + describe(pid) + " but none are expected here");
        }
        return persistentLoader.load(pid);
    }

    private List<Object> asArgs(Object args, String opcode) throws MalformedModelException {
        if (args instanceof List) {
            @SuppressWarnings("unchecked")
            List<Object> l = (List<Object>) args;
            return l;
        }
        if (args == null) {
            // copyreg.__newobj__ / placeholders may pass None for "no arguments"
            return List.of();
        }
        throw error(opcode + " arguments must be a tuple, got " + typeName(args));
    }

    private void append(Object target, List<Object> items) throws MalformedModelException {
        if (target instanceof PickledObject) {
            for (Object o : items) {
                ((PickledObject) target).addItem(o);
            }
        } else if (target instanceof ArrayList) {
            @SuppressWarnings("unchecked")
            List<Object> l = (List<Object>) target;
            l.addAll(items);
        } else {
            throw error("APPEND(S) on " + typeName(target));
        }
    }

    private void setItems(Object target, List<Object> items) throws MalformedModelException {
        if (items.size() % 2 != 0) {
            throw error("SETITEMS with an odd number of values");
        }
        if (target instanceof PickledObject) {
            for (int i = 0; i < items.size(); i += 2) {
                ((PickledObject) target).putItem(items.get(i), items.get(i + 1));
            }
        } else if (target instanceof LinkedHashMap) {
            @SuppressWarnings("unchecked")
            Map<Object, Object> m = (Map<Object, Object>) target;
            putPairs(m, items);
        } else {
            throw error("SETITEM(S) on " + typeName(target));
        }
    }

    private void putPairs(Map<Object, Object> m, List<Object> items)
            throws MalformedModelException {
        if (items.size() % 2 != 0) {
            throw error("a dict needs key/value pairs, got an odd number of values");
        }
        for (int i = 0; i < items.size(); i += 2) {
            checkHashable(items.get(i), 0);
            m.put(items.get(i), items.get(i + 1));
        }
    }

    /** Python rejects unhashable keys; so do we, which also keeps hashing finite. */
    private void checkHashable(Object key, int depth) throws MalformedModelException {
        if (key == null
                || key instanceof String
                || key instanceof Long
                || key instanceof BigInteger
                || key instanceof Double
                || key instanceof Boolean
                || key instanceof PickledObject
                || key instanceof PickledGlobal) {
            return;
        }
        if (key instanceof List && !(key instanceof ArrayList)) {
            if (depth > MAX_KEY_DEPTH) {
                throw error("dict key nested more than " + MAX_KEY_DEPTH + " tuples deep");
            }
            for (Object o : (List<?>) key) {
                checkHashable(o, depth + 1);
            }
            return;
        }
        throw error("unhashable dict key or set element of type " + typeName(key));
    }

    // ---------------------------------------------------------------- stack

    private void push(Object o) throws MalformedModelException {
        if (++created > maxValues) {
            throw error("creates more than " + maxValues + " values; refusing to continue");
        }
        stack.add(o);
    }

    private Object pop() throws MalformedModelException {
        int floor = markCount > 0 ? marks[markCount - 1] : 0;
        if (stack.size() <= floor) {
            throw error("stack underflow");
        }
        return stack.remove(stack.size() - 1);
    }

    private Object peek() throws MalformedModelException {
        int floor = markCount > 0 ? marks[markCount - 1] : 0;
        if (stack.size() <= floor) {
            throw error("stack underflow");
        }
        return stack.get(stack.size() - 1);
    }

    private void pushMark() throws MalformedModelException {
        if (++created > maxValues) {
            throw error("creates more than " + maxValues + " values; refusing to continue");
        }
        if (markCount == marks.length) {
            marks = Arrays.copyOf(marks, marks.length * 2);
        }
        marks[markCount++] = stack.size();
    }

    private List<Object> popMark() throws MalformedModelException {
        if (markCount == 0) {
            throw error("MARK expected but none is open");
        }
        int m = marks[--markCount];
        List<Object> items = new ArrayList<>(stack.subList(m, stack.size()));
        stack.subList(m, stack.size()).clear();
        return items;
    }

    private Object memoGet(long index) throws MalformedModelException {
        if (!memo.containsKey(index)) {
            throw error("memo entry " + index + " is read before it is written");
        }
        return memo.get(index);
    }

    // ---------------------------------------------------------------- raw input

    private int u8() throws MalformedModelException {
        need(1);
        return data[pos++] & 0xFF;
    }

    private int u16() throws MalformedModelException {
        need(2);
        int v = (data[pos] & 0xFF) | (data[pos + 1] & 0xFF) << 8;
        pos += 2;
        return v;
    }

    private int i32() throws MalformedModelException {
        need(4);
        int v =
                (data[pos] & 0xFF)
                        | (data[pos + 1] & 0xFF) << 8
                        | (data[pos + 2] & 0xFF) << 16
                        | (data[pos + 3] & 0xFF) << 24;
        pos += 4;
        return v;
    }

    private long u32() throws MalformedModelException {
        return i32() & 0xFFFFFFFFL;
    }

    private long i64() throws MalformedModelException {
        need(8);
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = (v << 8) | (data[pos + i] & 0xFF);
        }
        pos += 8;
        return v;
    }

    private int length32() throws MalformedModelException {
        long n = u32();
        return checkLength(n);
    }

    private int length64() throws MalformedModelException {
        long n = i64();
        return checkLength(n);
    }

    private int checkLength(long n) throws MalformedModelException {
        if (n < 0 || n > data.length - pos) {
            throw error(
                    "length "
                            + Long.toUnsignedString(n)
                            + " runs past the end of the pickle ("
                            + (data.length - pos)
                            + " bytes left)");
        }
        return (int) n;
    }

    private byte[] bytes(int n) throws MalformedModelException {
        need(n);
        byte[] b = Arrays.copyOfRange(data, pos, pos + n);
        pos += n;
        return b;
    }

    private void need(int n) throws MalformedModelException {
        if (n < 0 || n > data.length - pos) {
            throw error("unexpected end of the pickle (truncated?)");
        }
    }

    private byte[] lineBytes() throws MalformedModelException {
        for (int i = pos; i < data.length; i++) {
            if (data[i] == '\n') {
                byte[] b = Arrays.copyOfRange(data, pos, i);
                pos = i + 1;
                return b;
            }
        }
        throw error("text argument without a line end (truncated?)");
    }

    private String line() throws MalformedModelException {
        return new String(lineBytes(), StandardCharsets.UTF_8);
    }

    // ---------------------------------------------------------------- parsing helpers

    private Object parseInt(String s) throws MalformedModelException {
        try {
            BigInteger v = new BigInteger(s.trim());
            return v.bitLength() < 64 ? (Object) v.longValue() : v;
        } catch (NumberFormatException e) {
            throw error("bad integer literal '" + abbreviate(s) + "'");
        }
    }

    private long parseMemoIndex(String s) throws MalformedModelException {
        Object v = parseInt(s);
        if (!(v instanceof Long) || (Long) v < 0) {
            throw error("bad memo index '" + abbreviate(s) + "'");
        }
        return (Long) v;
    }

    private double parseFloat(String s) throws MalformedModelException {
        String t = s.trim();
        switch (t) {
            case "inf":
                return Double.POSITIVE_INFINITY;
            case "-inf":
                return Double.NEGATIVE_INFINITY;
            case "nan":
                return Double.NaN;
            default:
                try {
                    return Double.parseDouble(t);
                } catch (NumberFormatException e) {
                    throw error("bad float literal '" + abbreviate(s) + "'");
                }
        }
    }

    private static Object littleEndianInt(byte[] b) {
        if (b.length == 0) {
            return 0L;
        }
        byte[] be = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            be[i] = b[b.length - 1 - i];
        }
        BigInteger v = new BigInteger(be);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    private byte[] unquote(String s) throws MalformedModelException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length >= 2 && b[0] == b[b.length - 1] && (b[0] == '\'' || b[0] == '"')) {
            return Arrays.copyOfRange(b, 1, b.length - 1);
        }
        throw error("STRING argument is not quoted");
    }

    private byte[] escapeDecode(byte[] in) throws MalformedModelException {
        byte[] out = new byte[in.length];
        int n = 0;
        for (int i = 0; i < in.length; i++) {
            byte c = in[i];
            if (c != '\\' || i + 1 >= in.length) {
                out[n++] = c;
                continue;
            }
            byte e = in[++i];
            switch (e) {
                case 'n':
                    out[n++] = '\n';
                    break;
                case 't':
                    out[n++] = '\t';
                    break;
                case 'r':
                    out[n++] = '\r';
                    break;
                case '\\':
                case '\'':
                case '"':
                    out[n++] = e;
                    break;
                case 'x':
                    if (i + 2 >= in.length) {
                        throw error("truncated \\x escape in STRING");
                    }
                    out[n++] = (byte) hex(in[i + 1], in[i + 2]);
                    i += 2;
                    break;
                default:
                    out[n++] = '\\';
                    out[n++] = e;
            }
        }
        return Arrays.copyOf(out, n);
    }

    private int hex(byte hi, byte lo) throws MalformedModelException {
        int h = Character.digit(hi, 16);
        int l = Character.digit(lo, 16);
        if (h < 0 || l < 0) {
            throw error("bad hex escape");
        }
        return h * 16 + l;
    }

    private String rawUnicodeEscape(byte[] in) throws MalformedModelException {
        StringBuilder sb = new StringBuilder(in.length);
        for (int i = 0; i < in.length; i++) {
            int c = in[i] & 0xFF;
            if (c == '\\' && i + 1 < in.length && (in[i + 1] == 'u' || in[i + 1] == 'U')) {
                int digits = in[i + 1] == 'u' ? 4 : 8;
                if (i + 1 + digits >= in.length) {
                    throw error("truncated unicode escape");
                }
                int cp = 0;
                for (int k = 0; k < digits; k++) {
                    int d = Character.digit(in[i + 2 + k], 16);
                    if (d < 0) {
                        throw error("bad unicode escape");
                    }
                    cp = cp * 16 + d;
                }
                if (!Character.isValidCodePoint(cp)) {
                    throw error("invalid code point in unicode escape");
                }
                sb.appendCodePoint(cp);
                i += 1 + digits;
            } else {
                sb.append((char) c);
            }
        }
        return sb.toString();
    }

    private static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    private static List<Object> tuple(List<Object> items) {
        return Collections.unmodifiableList(new ArrayList<>(items));
    }

    private MalformedModelException error(String msg) {
        return new MalformedModelException(where + ": pickle byte " + pos + ": " + msg);
    }

    private static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }

    /**
     * A short description of a value's type, safe for any (even cyclic) structure.
     *
     * @param o a value produced by the reader
     * @return e.g. {@code str}, {@code dict}, {@code yacs.config.CfgNode}
     */
    static String typeName(Object o) {
        if (o == null) {
            return "None";
        }
        if (o instanceof String) {
            return "str";
        }
        if (o instanceof Long || o instanceof BigInteger) {
            return "int";
        }
        if (o instanceof Double) {
            return "float";
        }
        if (o instanceof Boolean) {
            return "bool";
        }
        if (o instanceof byte[]) {
            return "bytes";
        }
        if (o instanceof ArrayList) {
            return "list";
        }
        if (o instanceof List) {
            return "tuple";
        }
        if (o instanceof Map) {
            return "dict";
        }
        if (o instanceof Set) {
            return "set";
        }
        if (o instanceof PickledObject) {
            return ((PickledObject) o).className();
        }
        if (o instanceof PickledGlobal) {
            return "global " + o;
        }
        if (o instanceof TensorRef) {
            return "tensor";
        }
        if (o instanceof PickleCallable) {
            return "builtin callable";
        }
        return o.getClass().getSimpleName();
    }

    private static String describe(Object o) {
        if (o instanceof PickledGlobal) {
            return ((PickledGlobal) o).qualifiedName();
        }
        if (o instanceof PickledObject) {
            return ((PickledObject) o).className() + "(...)";
        }
        if (o instanceof String) {
            return "'" + abbreviate((String) o) + "'";
        }
        return typeName(o);
    }

    // ---------------------------------------------------------------- builtin callables

    private static Object newDict(List<Object> args) throws MalformedModelException {
        Map<Object, Object> m = new LinkedHashMap<>();
        if (args.isEmpty()) {
            return m;
        }
        Object src = args.get(0);
        if (src instanceof Map) {
            m.putAll((Map<?, ?>) src);
            return m;
        }
        if (src instanceof List) {
            for (Object pair : (List<?>) src) {
                if (!(pair instanceof List) || ((List<?>) pair).size() != 2) {
                    throw new MalformedModelException("OrderedDict items must be pairs");
                }
                m.put(((List<?>) pair).get(0), ((List<?>) pair).get(1));
            }
            return m;
        }
        throw new MalformedModelException("cannot build a dict from " + typeName(src));
    }

    private static Object newSet(List<Object> args, boolean frozen) throws MalformedModelException {
        Set<Object> s = new LinkedHashSet<>();
        if (!args.isEmpty()) {
            if (!(args.get(0) instanceof List)) {
                throw new MalformedModelException(
                        "cannot build a set from " + typeName(args.get(0)));
            }
            for (Object o : (List<?>) args.get(0)) {
                if (o instanceof ArrayList || o instanceof Map || o instanceof Set) {
                    throw new MalformedModelException(
                            "unhashable set element of type " + typeName(o));
                }
                s.add(o);
            }
        }
        return frozen ? Collections.unmodifiableSet(s) : s;
    }

    private static Object newList(List<Object> args) throws MalformedModelException {
        if (args.isEmpty()) {
            return new ArrayList<>();
        }
        if (args.get(0) instanceof List) {
            return new ArrayList<>((List<?>) args.get(0));
        }
        throw new MalformedModelException("cannot build a list from " + typeName(args.get(0)));
    }

    private static Object newByteArray(List<Object> args) throws MalformedModelException {
        if (args.isEmpty()) {
            return new byte[0];
        }
        if (args.get(0) instanceof byte[]) {
            return args.get(0);
        }
        return codecsEncode(args);
    }

    private static Object codecsEncode(List<Object> args) throws MalformedModelException {
        if (args.isEmpty() || !(args.get(0) instanceof String)) {
            throw new MalformedModelException("_codecs.encode needs a string");
        }
        String s = (String) args.get(0);
        String enc = args.size() > 1 && args.get(1) instanceof String ? (String) args.get(1) : "";
        if (enc.equalsIgnoreCase("latin1") || enc.equalsIgnoreCase("latin-1")) {
            return s.getBytes(StandardCharsets.ISO_8859_1);
        }
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static Object reconstructor(List<Object> args) throws MalformedModelException {
        if (args.isEmpty()) {
            throw new MalformedModelException("copyreg._reconstructor needs a class");
        }
        Object cls = args.get(0);
        if (cls instanceof PickleCallable) {
            return ((PickleCallable) cls).call(List.of());
        }
        return new PickledObject(describe(cls), args.subList(1, args.size()));
    }
}
