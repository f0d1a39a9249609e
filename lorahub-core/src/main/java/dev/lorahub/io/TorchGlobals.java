package dev.lorahub.io;

import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The globals {@code torch.load(weights_only=True)} accepts, as {@code _get_allowed_globals()} and
 * {@code _tensor_rebuild_functions()} of torch's {@code _weights_only_unpickler.py} list them, with
 * its Python 2 name mapping ({@code _read_global_instruction}: {@code __builtin__} becomes {@code
 * builtins}) and its blocklist of modules ({@code sys}, {@code os}, {@code posix}, {@code nt}).
 * Every other global is refused. An allowed global is only a name here: nothing is imported or
 * called; the unpickler models the few that build state dicts and refuses the rest by name.
 */
final class TorchGlobals {
    private TorchGlobals() {}

    /** Modules torch refuses even when a user allowlists one of their functions. */
    static final Set<String> BLOCKED_MODULES = Set.of("sys", "os", "posix", "nt");

    /** Legacy storage classes and the element type of their storages. */
    static final Map<String, DType> STORAGE_TYPES =
            Map.of(
                    "torch.DoubleStorage", DType.F64,
                    "torch.FloatStorage", DType.F32,
                    "torch.HalfStorage", DType.F16,
                    "torch.BFloat16Storage", DType.BF16,
                    "torch.LongStorage", DType.I64,
                    "torch.IntStorage", DType.I32,
                    "torch.ShortStorage", DType.I16,
                    "torch.CharStorage", DType.I8,
                    "torch.ByteStorage", DType.U8,
                    "torch.BoolStorage", DType.BOOL);

    /** Untyped (byte) storages, whose tensors carry their dtype in {@code _rebuild_tensor_v3}. */
    static final Set<String> UNTYPED_STORAGES =
            Set.of("torch.UntypedStorage", "torch.storage.UntypedStorage");

    /** {@code str(dtype)} of the dtypes lorahub has an element type for. */
    static final Map<String, DType> DTYPES = new HashMap<>();

    private static final Set<String> ALLOWED = new LinkedHashSet<>();

    private static final Map<String, String> IMPORT_MAPPING =
            Map.ofEntries(
                    Map.entry("__builtin__", "builtins"),
                    Map.entry("copy_reg", "copyreg"),
                    Map.entry("Queue", "queue"),
                    Map.entry("repr", "reprlib"),
                    Map.entry("_abcoll", "collections.abc"),
                    Map.entry("UserDict", "collections"),
                    Map.entry("UserList", "collections"),
                    Map.entry("UserString", "collections"),
                    Map.entry("whichdb", "dbm"),
                    Map.entry("StringIO", "io"),
                    Map.entry("cStringIO", "io"));

    private static final Map<String, String> NAME_MAPPING =
            Map.ofEntries(
                    Map.entry("__builtin__ xrange", "builtins range"),
                    Map.entry("__builtin__ reduce", "functools reduce"),
                    Map.entry("__builtin__ intern", "sys intern"),
                    Map.entry("__builtin__ unichr", "builtins chr"),
                    Map.entry("__builtin__ unicode", "builtins str"),
                    Map.entry("__builtin__ long", "builtins int"),
                    Map.entry("itertools izip", "builtins zip"),
                    Map.entry("itertools imap", "builtins map"),
                    Map.entry("itertools ifilter", "builtins filter"),
                    Map.entry("itertools ifilterfalse", "itertools filterfalse"),
                    Map.entry("itertools izip_longest", "itertools zip_longest"),
                    Map.entry("UserDict IterableUserDict", "collections UserDict"),
                    Map.entry("UserList UserList", "collections UserList"),
                    Map.entry("UserString UserString", "collections UserString"),
                    Map.entry("__builtin__ basestring", "builtins str"),
                    Map.entry("exceptions StandardError", "builtins Exception"),
                    Map.entry("UserDict UserDict", "collections UserDict"));

    static {
        ALLOWED.addAll(
                List.of(
                        "collections.OrderedDict",
                        "collections.Counter",
                        "torch.nn.parameter.Parameter",
                        "torch.serialization._get_layout",
                        "torch.Size",
                        "torch.Tensor",
                        "torch.device",
                        "_codecs.encode",
                        "builtins.bytearray",
                        "builtins.set",
                        "builtins.complex"));
        Map<String, DType> dtypes =
                Map.ofEntries(
                        Map.entry("torch.float64", DType.F64),
                        Map.entry("torch.float32", DType.F32),
                        Map.entry("torch.float16", DType.F16),
                        Map.entry("torch.bfloat16", DType.BF16),
                        Map.entry("torch.int64", DType.I64),
                        Map.entry("torch.int32", DType.I32),
                        Map.entry("torch.int16", DType.I16),
                        Map.entry("torch.int8", DType.I8),
                        Map.entry("torch.uint8", DType.U8),
                        Map.entry("torch.uint16", DType.U16),
                        Map.entry("torch.uint32", DType.U32),
                        Map.entry("torch.uint64", DType.U64),
                        Map.entry("torch.bool", DType.BOOL),
                        Map.entry("torch.float8_e4m3fn", DType.F8_E4M3),
                        Map.entry("torch.float8_e5m2", DType.F8_E5M2));
        DTYPES.putAll(dtypes);
        ALLOWED.addAll(dtypes.keySet());
        // dtypes torch allows that have no lorahub element type: accepted as names, refused in use
        for (String d :
                List.of(
                        "complex32", "complex64", "complex128", "qint8", "quint8", "qint32",
                        "quint4x2", "quint2x4", "float8_e4m3fnuz", "float8_e5m2fnuz",
                        "float8_e8m0fnu", "float4_e2m1fn_x2", "bits1x8", "bits2x4", "bits4x2",
                        "bits8", "bits16")) {
            ALLOWED.add("torch." + d);
        }
        for (int x = 1; x < 8; x++) {
            ALLOWED.add("torch.uint" + x);
            ALLOWED.add("torch.int" + x);
        }
        List<String> kinds =
                List.of(
                        "Double", "Float", "Half", "BFloat16", "Long", "Int", "Short", "Char",
                        "Byte", "Bool");
        for (String k : kinds) {
            ALLOWED.add("torch." + k + "Tensor");
            ALLOWED.add("torch.cuda." + k + "Tensor");
        }
        ALLOWED.addAll(STORAGE_TYPES.keySet());
        ALLOWED.addAll(UNTYPED_STORAGES);
        ALLOWED.add("torch.storage.TypedStorage");
        ALLOWED.add("torch.TypedStorage");
        for (String k :
                List.of(
                        "ComplexDouble", "ComplexFloat", "QUInt8", "QInt8", "QInt32", "QUInt4x2",
                        "QUInt2x4")) {
            ALLOWED.add("torch." + k + "Storage");
        }
        for (String q :
                List.of(
                        "per_tensor_affine",
                        "per_tensor_symmetric",
                        "per_channel_affine",
                        "per_channel_symmetric",
                        "per_channel_affine_float_qparams")) {
            ALLOWED.add("torch." + q);
        }
        for (String f :
                List.of(
                        "_rebuild_parameter",
                        "_rebuild_parameter_with_state",
                        "_rebuild_qtensor",
                        "_rebuild_tensor",
                        "_rebuild_tensor_v2",
                        "_rebuild_tensor_v3",
                        "_rebuild_sparse_tensor",
                        "_rebuild_meta_tensor_no_storage",
                        "_rebuild_wrapper_subclass",
                        "_rebuild_device_tensor_from_numpy",
                        "_rebuild_device_tensor_from_cpu_tensor")) {
            ALLOWED.add("torch._utils." + f);
        }
        ALLOWED.add("torch._tensor._rebuild_from_type_v2");
    }

    /**
     * Applies torch's Python 2 name mapping to a {@code GLOBAL}'s module and name.
     *
     * @return {@code module.name} after the mapping
     */
    static String[] map(String module, String name) {
        String mapped = NAME_MAPPING.get(module + " " + name);
        if (mapped != null) {
            int space = mapped.indexOf(' ');
            return new String[] {mapped.substring(0, space), mapped.substring(space + 1)};
        }
        return new String[] {IMPORT_MAPPING.getOrDefault(module, module), name};
    }

    /**
     * @param fullName {@code module.name} after {@link #map}
     * @return the allowed global, or empty when torch's weights-only unpickler refuses it
     */
    static Optional<Py.Global> allowed(String fullName) {
        return ALLOWED.contains(fullName) ? Optional.of(new Py.Global(fullName)) : Optional.empty();
    }
}
