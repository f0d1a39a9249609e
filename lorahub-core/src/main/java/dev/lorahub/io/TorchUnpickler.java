package dev.lorahub.io;

import java.io.EOFException;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A pickle virtual machine restricted to what {@code torch.load(weights_only=True)} accepts (torch's
 * {@code _weights_only_unpickler.py}): the opcodes below and the globals of {@link TorchGlobals},
 * nothing else. No code from the file ever runs: globals are names, and the only "calls" are the
 * few torch functions modelled here ({@code OrderedDict()}, {@code _rebuild_tensor_v2}, ...), which
 * build plain values. Anything else (another opcode, a global off the allowlist, {@code REDUCE} of
 * an allowed function this library does not model) stops the load with a {@link Refusal} naming the
 * opcode or global and its byte offset.
 *
 * <p>Opcodes accepted, as torch's: {@code PROTO STOP MARK TUPLE TUPLE1 TUPLE2 TUPLE3 NONE NEWFALSE
 * NEWTRUE EMPTY_TUPLE EMPTY_LIST EMPTY_DICT EMPTY_SET BININT BININT1 BININT2 LONG1 BINFLOAT
 * BINUNICODE SHORT_BINSTRING BINGET LONG_BINGET BINPUT LONG_BINPUT APPEND APPENDS SETITEM SETITEMS
 * GLOBAL REDUCE NEWOBJ BUILD BINPERSID} (torch 2.10's {@code _weights_only_unpickler.py} accepts these
 * and no other). {@code PROTO} may name any protocol, as torch only warns: protocol 3 pickles of a
 * state dict use no other opcode and are read; protocols 4 and 5 write {@code FRAME}, {@code
 * MEMOIZE}, {@code SHORT_BINUNICODE} and {@code STACK_GLOBAL}, which torch refuses ("Unsupported
 * operand 149", pytorch issue 118092), and so are refused here, naming the opcode and its protocol.
 */
final class TorchUnpickler {
    /** A load stopped because the file holds something refused or malformed. */
    static final class Refusal extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Refusal(String message) {
            super(message, null, false, false);
        }
    }

    /** Every pickle opcode as CPython's {@code pickletools.opcodes} lists it: name and protocol. */
    private record Opcode(String name, int protocol) {}

    private static final Map<Integer, Opcode> OPCODES = new HashMap<>();

    static {
        Object[][] table = {
            {'I', "INT", 0}, {'J', "BININT", 1}, {'K', "BININT1", 1}, {'M', "BININT2", 1},
            {'L', "LONG", 0}, {0x8a, "LONG1", 2}, {0x8b, "LONG4", 2}, {'S', "STRING", 0},
            {'T', "BINSTRING", 1}, {'U', "SHORT_BINSTRING", 1}, {'B', "BINBYTES", 3},
            {'C', "SHORT_BINBYTES", 3}, {0x8e, "BINBYTES8", 4}, {0x96, "BYTEARRAY8", 5},
            {0x97, "NEXT_BUFFER", 5}, {0x98, "READONLY_BUFFER", 5}, {'N', "NONE", 0},
            {0x88, "NEWTRUE", 2}, {0x89, "NEWFALSE", 2}, {'V', "UNICODE", 0},
            {0x8c, "SHORT_BINUNICODE", 4}, {'X', "BINUNICODE", 1}, {0x8d, "BINUNICODE8", 4},
            {'F', "FLOAT", 0}, {'G', "BINFLOAT", 1}, {']', "EMPTY_LIST", 1}, {'a', "APPEND", 0},
            {'e', "APPENDS", 1}, {'l', "LIST", 0}, {')', "EMPTY_TUPLE", 1}, {'t', "TUPLE", 0},
            {0x85, "TUPLE1", 2}, {0x86, "TUPLE2", 2}, {0x87, "TUPLE3", 2}, {'}', "EMPTY_DICT", 1},
            {'d', "DICT", 0}, {'s', "SETITEM", 0}, {'u', "SETITEMS", 1}, {0x8f, "EMPTY_SET", 4},
            {0x90, "ADDITEMS", 4}, {0x91, "FROZENSET", 4}, {'0', "POP", 0}, {'2', "DUP", 0},
            {'(', "MARK", 0}, {'1', "POP_MARK", 1}, {'g', "GET", 0}, {'h', "BINGET", 1},
            {'j', "LONG_BINGET", 1}, {'p', "PUT", 0}, {'q', "BINPUT", 1}, {'r', "LONG_BINPUT", 1},
            {0x94, "MEMOIZE", 4}, {0x82, "EXT1", 2}, {0x83, "EXT2", 2}, {0x84, "EXT4", 2},
            {'c', "GLOBAL", 0}, {0x93, "STACK_GLOBAL", 4}, {'R', "REDUCE", 0}, {'b', "BUILD", 0},
            {'i', "INST", 0}, {'o', "OBJ", 1}, {0x81, "NEWOBJ", 2}, {0x92, "NEWOBJ_EX", 4},
            {0x80, "PROTO", 2}, {'.', "STOP", 0}, {0x95, "FRAME", 4}, {'P', "PERSID", 0},
            {'Q', "BINPERSID", 1}
        };
        for (Object[] row : table) {
            int code = row[0] instanceof Character c ? c : (Integer) row[0];
            OPCODES.put(code, new Opcode((String) row[1], (Integer) row[2]));
        }
    }

    /** The opcode's name as pickletools gives it, or {@code unknown}. */
    static String opcodeName(int op) {
        Opcode o = OPCODES.get(op);
        return o == null ? "unknown" : o.name();
    }

    /** The pickle protocol that introduced the opcode, or -1 for a byte that is no opcode. */
    static int opcodeProtocol(int op) {
        Opcode o = OPCODES.get(op);
        return o == null ? -1 : o.protocol();
    }

    private final PickleInput in;
    private final Map<String, Py.Storage> storages;
    private final boolean legacy;
    private final Map<Long, Object> memo = new HashMap<>();
    private final List<List<Object>> metastack = new ArrayList<>();
    private List<Object> stack = new ArrayList<>();
    private long opAt;

    /**
     * @param in the pickle bytes
     * @param storages storages by key, shared by the pickles of one file; persistent ids add to it
     * @param legacy whether persistent ids are the legacy format's 6-tuples (with view metadata)
     */
    TorchUnpickler(PickleInput in, Map<String, Py.Storage> storages, boolean legacy) {
        this.in = in;
        this.storages = storages;
        this.legacy = legacy;
    }

    /**
     * Runs the pickle to its {@code STOP}.
     *
     * @return the unpickled value
     * @throws Refusal if anything is refused or malformed (message with the byte offset)
     * @throws IOException if the file cannot be read
     */
    Object load() throws IOException {
        try {
            return run();
        } catch (EOFException e) {
            throw new Refusal("pickle truncated: " + e.getMessage());
        }
    }

    private Object run() throws IOException {
        while (true) {
            opAt = in.position();
            int op = in.readByte();
            switch (op) {
                case 0x80 -> in.readByte(); // PROTO: torch warns when it is not 2
                case '.' -> {
                    return pop();
                }
                case '(' -> {
                    metastack.add(stack);
                    stack = new ArrayList<>();
                }
                case 't' -> push(tuple(popMark().toArray()));
                case 0x85 -> push(tuple(new Object[] {pop()}));
                case 0x86 -> {
                    Object b = pop();
                    Object a = pop();
                    push(tuple(new Object[] {a, b}));
                }
                case 0x87 -> {
                    Object c = pop();
                    Object b = pop();
                    Object a = pop();
                    push(tuple(new Object[] {a, b, c}));
                }
                case 'N' -> push(Py.NONE);
                case 0x88 -> push(Boolean.TRUE);
                case 0x89 -> push(Boolean.FALSE);
                case ')' -> push(tuple(new Object[0]));
                case ']' -> push(new Py.PyList());
                case '}' -> push(new Py.Dict("dict"));
                case 0x8f -> push(new Py.PySet());
                case 'J' -> push((long) (int) in.readLittleEndian(4));
                case 'K' -> push((long) in.readByte());
                case 'M' -> push(in.readLittleEndian(2));
                case 0x8a -> push(decodeLong(in.readBytes(in.readByte())));
                case 'G' -> push(ByteBuffer.wrap(in.readBytes(8)).getDouble());
                case 'X' -> push(utf8(in.readBytes(in.readLittleEndian(4)), "BINUNICODE"));
                case 'U' -> push(utf8(in.readBytes(in.readByte()), "SHORT_BINSTRING"));
                case 'h' -> push(get(in.readByte()));
                case 'j' -> push(get(in.readLittleEndian(4)));
                case 'q' -> memo.put((long) in.readByte(), top());
                case 'r' -> memo.put(in.readLittleEndian(4), top());
                case 'a' -> {
                    Object item = pop();
                    list(top()).items.add(item);
                }
                case 'e' -> {
                    List<Object> items = popMark();
                    list(top()).items.addAll(items);
                }
                case 's' -> {
                    Object v = pop();
                    Object k = pop();
                    dict(top(), "SETITEM").map.put(key(k), v);
                }
                case 'u' -> {
                    List<Object> items = popMark();
                    Py.Dict d = dict(top(), "SETITEMS");
                    if (items.size() % 2 != 0) {
                        throw refuse("SETITEMS with an odd number (" + items.size() + ") of items");
                    }
                    for (int i = 0; i < items.size(); i += 2) {
                        d.map.put(key(items.get(i)), items.get(i + 1));
                    }
                }
                case 'c' -> push(global());
                case 'R' -> {
                    Object args = pop();
                    Object func = pop();
                    push(reduce(func, args));
                }
                case 0x81 -> {
                    Object args = pop();
                    Object cls = pop();
                    push(newObj(cls, args));
                }
                case 'b' -> {
                    Object state = pop();
                    build(top(), state);
                }
                case 'Q' -> push(persistentLoad(pop()));
                default -> throw refuse(refusedOpcode(op));
            }
        }
    }

    private static String refusedOpcode(int op) {
        String which = "opcode " + opcodeName(op) + String.format(" (0x%02x", op);
        if (opcodeProtocol(op) >= 4) {
            return which
                    + ", pickle protocol "
                    + opcodeProtocol(op)
                    + ") is not allowed: torch.load(weights_only=True) refuses it too, so neither"
                    + " reads protocol 4 or 5 pickles (torch.save writes protocol 2 unless given"
                    + " another pickle_protocol)";
        }
        return which + ") is not allowed (torch.load(weights_only=True) refuses it too)";
    }

    private Refusal refuse(String problem) {
        return new Refusal(problem + " at byte " + opAt);
    }

    private void push(Object o) {
        stack.add(o);
    }

    private Object pop() {
        if (stack.isEmpty()) {
            throw refuse("stack underflow");
        }
        return stack.remove(stack.size() - 1);
    }

    private Object top() {
        if (stack.isEmpty()) {
            throw refuse("stack underflow");
        }
        return stack.get(stack.size() - 1);
    }

    private List<Object> popMark() {
        if (metastack.isEmpty()) {
            throw refuse("no MARK before this opcode");
        }
        List<Object> items = stack;
        stack = metastack.remove(metastack.size() - 1);
        return items;
    }

    private Object get(long index) {
        Object o = memo.get(index);
        if (o == null) {
            throw refuse("memo entry " + index + " was never stored");
        }
        return o;
    }

    private Py.Tuple tuple(Object[] items) {
        Py.Tuple t = new Py.Tuple(items);
        if (t.depth > Py.MAX_DEPTH) {
            throw refuse("tuples nested deeper than " + Py.MAX_DEPTH);
        }
        return t;
    }

    private Py.PyList list(Object o) {
        if (o instanceof Py.PyList l) {
            return l;
        }
        throw refuse("can only append to lists, but got " + Py.describe(o));
    }

    private Py.Dict dict(Object o, String op) {
        if (o instanceof Py.Dict d) {
            return d;
        }
        throw refuse(
                "can only "
                        + op
                        + " for dict, collections.OrderedDict, collections.Counter, but got "
                        + Py.describe(o));
    }

    private Object key(Object k) {
        if (!Py.isHashable(k)) {
            throw refuse("unhashable dict key: " + Py.describe(k));
        }
        return k;
    }

    private static Object decodeLong(byte[] le) {
        if (le.length == 0) {
            return 0L;
        }
        byte[] be = new byte[le.length];
        for (int i = 0; i < le.length; i++) {
            be[i] = le[le.length - 1 - i];
        }
        BigInteger v = new BigInteger(be);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    private String utf8(byte[] bytes, String op) {
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw refuse(op + " of " + bytes.length + " bytes is not valid UTF-8");
        }
    }

    private Py.Global global() throws IOException {
        String module = utf8(in.readLine(1024), "GLOBAL");
        String name = utf8(in.readLine(1024), "GLOBAL");
        String[] mapped = TorchGlobals.map(module, name);
        String full = mapped[0] + "." + mapped[1];
        if (TorchGlobals.BLOCKED_MODULES.contains(mapped[0])) {
            throw refuse(
                    "forbidden global '"
                            + full
                            + "': module "
                            + mapped[0]
                            + " is blocked (torch.load(weights_only=True) refuses it too); nothing"
                            + " from the file was run");
        }
        return TorchGlobals.allowed(full)
                .orElseThrow(
                        () ->
                                refuse(
                                        "forbidden global '"
                                                + full
                                                + "': not on torch.load(weights_only=True)'s"
                                                + " allowlist; nothing from the file was run"));
    }

    private Py.Tuple args(Object args, String what, int min, int max) {
        if (!(args instanceof Py.Tuple t)) {
            throw refuse(what + " called with " + Py.describe(args) + " instead of a tuple");
        }
        if (t.size() < min || t.size() > max) {
            throw refuse(
                    what
                            + " called with "
                            + t.size()
                            + " arguments, expected "
                            + (min == max ? String.valueOf(min) : min + " to " + max));
        }
        return t;
    }

    private Object reduce(Object func, Object argsObj) {
        if (!(func instanceof Py.Global g)) {
            throw refuse("REDUCE of " + Py.describe(func) + ", which is not an allowed global");
        }
        String f = g.name();
        switch (f) {
            case "collections.OrderedDict", "collections.Counter" -> {
                Py.Tuple a = args(argsObj, f, 0, 1);
                Py.Dict d = new Py.Dict(f.substring("collections.".length()));
                if (a.size() == 1 && a.get(0) instanceof Py.PyList pairs) {
                    for (Object p : pairs.items) {
                        if (!(p instanceof Py.Tuple kv) || kv.size() != 2) {
                            throw refuse(f + " given " + Py.describe(p) + " instead of a pair");
                        }
                        d.map.put(key(kv.get(0)), kv.get(1));
                    }
                } else if (a.size() == 1 && a.get(0) != Py.NONE) {
                    throw refuse(f + " given " + Py.describe(a.get(0)));
                }
                return d;
            }
            case "builtins.set" -> {
                Py.Tuple a = args(argsObj, f, 0, 1);
                Py.PySet s = new Py.PySet();
                if (a.size() == 1) {
                    Object it = a.get(0);
                    List<Object> items =
                            it instanceof Py.PyList l
                                    ? l.items
                                    : it instanceof Py.Tuple t ? List.of(t.items) : null;
                    if (items == null) {
                        throw refuse("set given " + Py.describe(it));
                    }
                    for (Object o : items) {
                        s.items.add(key(o));
                    }
                }
                return s;
            }
            case "builtins.bytearray" -> {
                Py.Tuple a = args(argsObj, f, 0, 1);
                if (a.size() == 0) {
                    return new Py.Bytes(new byte[0]);
                }
                if (a.get(0) instanceof Py.Bytes b) {
                    return b;
                }
                throw refuse("bytearray given " + Py.describe(a.get(0)));
            }
            case "_codecs.encode" -> {
                Py.Tuple a = args(argsObj, f, 2, 2);
                if (a.get(0) instanceof String s
                        && ("latin1".equals(a.get(1)) || "latin-1".equals(a.get(1)))) {
                    byte[] out = new byte[s.length()];
                    for (int i = 0; i < s.length(); i++) {
                        char c = s.charAt(i);
                        if (c > 0xFF) {
                            throw refuse("_codecs.encode: character U+" + (int) c + " not latin1");
                        }
                        out[i] = (byte) c;
                    }
                    return new Py.Bytes(out);
                }
                throw refuse("_codecs.encode given " + Py.describe(a.get(0)) + ", " + Py.describe(a.get(1)));
            }
            case "builtins.complex" -> {
                Py.Tuple a = args(argsObj, f, 0, 2);
                return new Py.Complex(
                        a.size() > 0 ? number(a.get(0), f) : 0, a.size() > 1 ? number(a.get(1), f) : 0);
            }
            case "torch.Size" -> {
                Py.Tuple a = args(argsObj, f, 0, 1);
                return a.size() == 0 ? tuple(new Object[0]) : a.get(0);
            }
            case "torch.device", "torch.serialization._get_layout" -> {
                Py.Tuple a = args(argsObj, f, 1, 2);
                return a.get(0);
            }
            case "torch._utils._rebuild_tensor" -> {
                Py.Tuple a = args(argsObj, f, 4, 4);
                return tensor(a, null);
            }
            case "torch._utils._rebuild_tensor_v2" -> {
                Py.Tuple a = args(argsObj, f, 6, 7);
                metadata(a, 6);
                return tensor(a, null);
            }
            case "torch._utils._rebuild_tensor_v3" -> {
                Py.Tuple a = args(argsObj, f, 7, 8);
                metadata(a, 7);
                if (!(a.get(6) instanceof Py.Global d)) {
                    throw refuse(f + ": dtype is " + Py.describe(a.get(6)));
                }
                return tensor(a, dtype(d));
            }
            case "torch._utils._rebuild_parameter" -> {
                Py.Tuple a = args(argsObj, f, 3, 3);
                return requireTensor(a.get(0), f);
            }
            case "torch._utils._rebuild_parameter_with_state" -> {
                Py.Tuple a = args(argsObj, f, 4, 4);
                return requireTensor(a.get(0), f);
            }
            case "torch._tensor._rebuild_from_type_v2" -> {
                Py.Tuple a = args(argsObj, f, 3, 4);
                if (!(a.get(1) instanceof Py.Global type)
                        || !(type.name().equals("torch.Tensor")
                                || type.name().equals("torch.nn.parameter.Parameter"))) {
                    throw refuse(f + ": tensor subclass " + Py.describe(a.get(1)) + " is not supported");
                }
                return requireTensor(reduce(a.get(0), a.get(2)), f);
            }
            default -> throw refuse(
                    "global '"
                            + f
                            + "' is allowed by torch.load(weights_only=True), but lorahub does not"
                            + " support it (only dense tensors on typed or untyped storages are)");
        }
    }

    private double number(Object o, String f) {
        if (o instanceof Long l) {
            return l;
        } else if (o instanceof Double d) {
            return d;
        }
        throw refuse(f + " given " + Py.describe(o));
    }

    private Py.Tensor requireTensor(Object o, String f) {
        if (o instanceof Py.Tensor t) {
            return t;
        }
        throw refuse(f + " given " + Py.describe(o) + " instead of a tensor");
    }

    private void metadata(Py.Tuple a, int index) {
        if (a.size() > index) {
            Object m = a.get(index);
            boolean empty = m == Py.NONE || (m instanceof Py.Dict d && d.map.isEmpty());
            if (!empty) {
                throw refuse(
                        "tensor metadata (conj/neg bits) "
                                + Py.describe(m)
                                + " is not supported; only plain tensors are");
            }
        }
    }

    private DType dtype(Py.Global g) {
        DType d = TorchGlobals.DTYPES.get(g.name());
        if (d == null) {
            throw refuse("dtype " + g.name() + " is not supported");
        }
        return d;
    }

    private Py.Tensor tensor(Py.Tuple a, DType dtypeOrNull) {
        if (!(a.get(0) instanceof Py.Storage s)) {
            throw refuse("a tensor over " + Py.describe(a.get(0)) + " instead of a storage");
        }
        long offset = nonNegative(a.get(1), "storage offset");
        long[] size = longs(a.get(2), "size");
        long[] stride = longs(a.get(3), "stride");
        if (size.length != stride.length) {
            throw refuse(
                    "size has " + size.length + " dimensions but stride has " + stride.length);
        }
        DType dtype = dtypeOrNull != null ? dtypeOrNull : s.dtype;
        return new Py.Tensor(s, dtype, offset, size, stride);
    }

    private long nonNegative(Object o, String what) {
        if (o instanceof Long l && l >= 0) {
            return l;
        }
        throw refuse(what + " is " + Py.describe(o) + ", expected an integer >= 0");
    }

    private long[] longs(Object o, String what) {
        if (!(o instanceof Py.Tuple t)) {
            throw refuse(what + " is " + Py.describe(o) + ", expected a tuple of integers");
        }
        long[] out = new long[t.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = nonNegative(t.get(i), what + "[" + i + "]");
        }
        return out;
    }

    private Object newObj(Object cls, Object argsObj) {
        if (!(cls instanceof Py.Global g)) {
            throw refuse("NEWOBJ of " + Py.describe(cls) + ", which is not an allowed class");
        }
        switch (g.name()) {
            case "torch.nn.parameter.Parameter" -> {
                Py.Tuple a = args(argsObj, g.name(), 1, 2);
                return requireTensor(a.get(0), g.name());
            }
            case "collections.OrderedDict", "collections.Counter" -> {
                args(argsObj, g.name(), 0, 0);
                return new Py.Dict(g.name().substring("collections.".length()));
            }
            default -> throw refuse(
                    "NEWOBJ of '"
                            + g.name()
                            + "' is not supported (torch allows it only for nn.Parameter and"
                            + " allowlisted classes)");
        }
    }

    private void build(Object inst, Object state) {
        if (inst instanceof Py.Dict d && !d.type.equals("dict") && state instanceof Py.Dict) {
            return; // OrderedDict attributes (state_dict()'s _metadata): not weights
        }
        throw refuse(
                "BUILD of "
                        + Py.describe(inst)
                        + " with "
                        + Py.describe(state)
                        + " is not supported (only OrderedDict attributes are)");
    }

    private Object persistentLoad(Object pidObj) {
        if (!(pidObj instanceof Py.Tuple pid)) {
            throw refuse("persistent id " + Py.describe(pidObj) + " is not a storage tuple");
        }
        if (pid.size() == 0 || !"storage".equals(ascii(pid.get(0)))) {
            throw refuse(
                    "persistent id "
                            + (pid.size() == 0 ? "()" : Py.describe(pid.get(0)))
                            + " is not 'storage' (only storages are allowed)");
        }
        int expected = legacy ? 6 : 5;
        if (pid.size() != expected) {
            throw refuse(
                    "storage persistent id has "
                            + pid.size()
                            + " items, expected "
                            + expected
                            + (legacy ? " (legacy format)" : " (zip format)"));
        }
        if (!(pid.get(1) instanceof Py.Global type)) {
            throw refuse("storage type is " + Py.describe(pid.get(1)));
        }
        DType dtype = TorchGlobals.STORAGE_TYPES.get(type.name());
        if (dtype == null && TorchGlobals.UNTYPED_STORAGES.contains(type.name())) {
            dtype = DType.U8;
        }
        if (dtype == null) {
            throw refuse("storage type " + type.name() + " is not supported");
        }
        String key = storageKey(pid.get(2));
        if (ascii(pid.get(3)) == null) {
            throw refuse("storage '" + key + "': location is " + Py.describe(pid.get(3)));
        }
        long numel = nonNegative(pid.get(4), "storage '" + key + "' numel");
        if (numel > Long.MAX_VALUE / 8) {
            throw refuse("storage '" + key + "' numel " + numel + " overflows");
        }
        Py.Storage root = storages.get(key);
        if (root == null) {
            root = new Py.Storage(key, dtype, type.name(), numel * dtype.byteSize());
            storages.put(key, root);
        }
        if (!legacy || pid.get(5) == Py.NONE) {
            return root;
        }
        if (!(pid.get(5) instanceof Py.Tuple view) || view.size() != 3) {
            throw refuse("storage '" + key + "': view metadata " + Py.describe(pid.get(5)));
        }
        String viewKey = storageKey(view.get(0));
        long viewOffset = nonNegative(view.get(1), "storage view offset");
        long viewSize = nonNegative(view.get(2), "storage view size");
        Py.Storage v = storages.get(viewKey);
        if (v == null) {
            if (viewOffset > Long.MAX_VALUE / 8 || viewSize > Long.MAX_VALUE / 8) {
                throw refuse("storage view '" + viewKey + "' overflows");
            }
            v = new Py.Storage(viewKey, root.dtype, root.typeName, viewSize * root.dtype.byteSize());
            v.root = root;
            v.rootByteOffset = viewOffset * root.dtype.byteSize();
            storages.put(viewKey, v);
        }
        return v;
    }

    private String storageKey(Object k) {
        if (k instanceof String s) {
            return s;
        } else if (k instanceof Long l) {
            return l.toString();
        }
        throw refuse("storage key is " + Py.describe(k));
    }

    private static String ascii(Object o) {
        if (o instanceof String s) {
            return s;
        } else if (o instanceof Py.Bytes b) {
            return new String(b.value, StandardCharsets.US_ASCII);
        }
        return null;
    }
}
