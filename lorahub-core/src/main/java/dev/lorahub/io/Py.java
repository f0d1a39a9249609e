package dev.lorahub.io;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The values a restricted PyTorch unpickler ({@link TorchUnpickler}) builds: Python's {@code None},
 * {@code bool} ({@link Boolean}), {@code int} ({@link Long} or {@link BigInteger}), {@code float}
 * ({@link Double}), {@code str} ({@link String}) and the types below. Nothing here is ever executed:
 * a global is a name ({@link Global}), and only the few torch functions the unpickler models turn
 * into values (storages and tensors).
 *
 * <p>Mutable containers (list, dict, set) compare by identity, as Python's unhashable types cannot
 * be dict keys; tuples compare by content with a hash computed once at construction, so no
 * comparison ever recurses into a structure the file could make cyclic.
 */
final class Py {
    private Py() {}

    /** Python's {@code None}. */
    static final Object NONE =
            new Object() {
                @Override
                public String toString() {
                    return "None";
                }
            };

    /** Tuples deeper than this are refused, so that comparing two never overflows the stack. */
    static final int MAX_DEPTH = 100;

    /** An immutable tuple; hashable when all its items are. */
    static final class Tuple {
        final Object[] items;
        final boolean hashable;
        final int depth;
        private final int hash;

        Tuple(Object[] items) {
            this.items = items;
            boolean h = true;
            int d = 0;
            int code = 1;
            for (Object o : items) {
                h &= isHashable(o);
                if (o instanceof Tuple t) {
                    d = Math.max(d, t.depth);
                }
                code = 31 * code + (isHashable(o) ? o.hashCode() : System.identityHashCode(o));
            }
            this.hashable = h;
            this.depth = d + 1;
            this.hash = code;
        }

        int size() {
            return items.length;
        }

        Object get(int i) {
            return items[i];
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Tuple t && t.hash == hash && Arrays.equals(items, t.items);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    /** A list (append-only here). */
    static final class PyList {
        final List<Object> items = new ArrayList<>();
    }

    /** A dict, an {@code OrderedDict} or a {@code Counter}: insertion-ordered, string keys kept. */
    static final class Dict {
        final String type;
        final Map<Object, Object> map = new LinkedHashMap<>();

        Dict(String type) {
            this.type = type;
        }
    }

    /** A set. */
    static final class PySet {
        final Set<Object> items = new LinkedHashSet<>();
    }

    /** Python {@code bytes} / {@code bytearray}. */
    static final class Bytes {
        final byte[] value;

        Bytes(byte[] value) {
            this.value = value;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Bytes b && Arrays.equals(value, b.value);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(value);
        }
    }

    /**
     * A name a {@code GLOBAL} opcode pushed, after torch's Python 2 name mapping; only names on
     * torch's weights-only allowlist ever become one.
     */
    record Global(String name) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** A {@code complex} value. */
    record Complex(double real, double imag) {}

    /**
     * A storage a persistent id named: {@code nbytes} bytes, found in a zip record or after the
     * pickle of a legacy file ({@code dataOffset}, set when known), or a slice of a root storage
     * (legacy views).
     */
    static final class Storage {
        final String key;
        final DType dtype;
        final String typeName;
        final long nbytes;
        Storage root;
        long rootByteOffset;
        long dataOffset = -1;

        Storage(String key, DType dtype, String typeName, long nbytes) {
            this.key = key;
            this.dtype = dtype;
            this.typeName = typeName;
            this.nbytes = nbytes;
        }
    }

    /** A tensor: a strided view of a storage, in elements of {@code dtype}. */
    static final class Tensor {
        final Storage storage;
        final DType dtype;
        final long offset;
        final long[] size;
        final long[] stride;

        Tensor(Storage storage, DType dtype, long offset, long[] size, long[] stride) {
            this.storage = storage;
            this.dtype = dtype;
            this.offset = offset;
            this.size = size;
            this.stride = stride;
        }
    }

    /** Whether Python could use {@code o} as a dict key. */
    static boolean isHashable(Object o) {
        return o == NONE
                || o instanceof String
                || o instanceof Long
                || o instanceof BigInteger
                || o instanceof Double
                || o instanceof Boolean
                || o instanceof Bytes
                || o instanceof Global
                || o instanceof Complex
                || (o instanceof Tuple t && t.hashable);
    }

    /** The Python type name of a value, for messages. */
    static String typeName(Object o) {
        if (o == NONE) {
            return "NoneType";
        } else if (o instanceof Boolean) {
            return "bool";
        } else if (o instanceof Long || o instanceof BigInteger) {
            return "int";
        } else if (o instanceof Double) {
            return "float";
        } else if (o instanceof String) {
            return "str";
        } else if (o instanceof Tuple) {
            return "tuple";
        } else if (o instanceof PyList) {
            return "list";
        } else if (o instanceof Dict d) {
            return d.type;
        } else if (o instanceof PySet) {
            return "set";
        } else if (o instanceof Bytes) {
            return "bytes";
        } else if (o instanceof Global g) {
            return "global " + g.name();
        } else if (o instanceof Complex) {
            return "complex";
        } else if (o instanceof Storage s) {
            return "storage " + s.typeName;
        } else if (o instanceof Tensor) {
            return "tensor";
        }
        return o.getClass().getSimpleName();
    }

    /** A short description of a value for messages: never recursive, never long. */
    static String describe(Object o) {
        if (o instanceof String s) {
            return "'" + (s.length() > 60 ? s.substring(0, 60) + "..." : s) + "'";
        } else if (o instanceof Long || o instanceof BigInteger || o instanceof Boolean) {
            return o.toString();
        } else if (o instanceof Double d) {
            return d.toString();
        } else if (o instanceof Tuple t) {
            return "a tuple of " + t.size();
        }
        return "a " + typeName(o);
    }
}
