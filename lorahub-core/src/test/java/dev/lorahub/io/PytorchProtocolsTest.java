package dev.lorahub.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lorahub.LoraModule;
import dev.lorahub.testing.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The pickles fixtures re-pickled at protocols 3, 4 and 5 by CPython's own pickle module
 * ({@code pickles/protocols/repickle.py}, which re-pickles every source at protocol 2 byte for byte,
 * so nothing is lost on the way). torch's weights-only unpickler (torch 2.10) accepts the opcodes
 * of protocol 2 and no other, with any {@code PROTO} number: a protocol 3 state dict uses no other
 * opcode and loads; protocols 4 and 5 start with {@code FRAME} and are refused, by torch and here.
 */
class PytorchProtocolsTest {
    private static final String LLAMA_ADAPTER =
            "hf-tiny/llama/adapters/adapter_0/adapter_model.safetensors";

    /** Name in protocols/pN/, the protocol 2 original, its safetensors twin when float32. */
    static Stream<Arguments> sources() {
        String v = "pickles/variants/llama_adapter_0_";
        return Stream.of(
                Arguments.of("llama_adapter_0", "pickles/llama/adapter_0/adapter_model.bin", LLAMA_ADAPTER),
                Arguments.of("t5_adapter_0", "pickles/t5/adapter_0/adapter_model.bin",
                        "hf-tiny/t5/adapters/adapter_0/adapter_model.safetensors"),
                Arguments.of("zip_shared_storage", v + "zip_shared_storage/adapter_model.bin", LLAMA_ADAPTER),
                Arguments.of("zip_bf16", v + "zip_bf16/adapter_model.bin", ""),
                Arguments.of("zip_archive_prefix", v + "zip_archive_prefix/adapter_model.bin", LLAMA_ADAPTER),
                Arguments.of("legacy_fp32", v + "legacy_fp32/adapter_model.bin", LLAMA_ADAPTER),
                Arguments.of("legacy_fp16", v + "legacy_fp16/adapter_model.bin", ""),
                Arguments.of("legacy_shared_storage", v + "legacy_shared_storage/adapter_model.bin", LLAMA_ADAPTER));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sources")
    void protocol_3_pickles_read_as_their_protocol_2_originals_bit_for_bit(
            String name, String original, String safetensors) throws IOException {
        try (PytorchReader p3 = PytorchReader.open(TestData.require("pickles/protocols/p3/" + name + ".bin"));
                PytorchReader p2 = PytorchReader.open(TestData.require(original))) {
            assertThat(p3.format()).isEqualTo(p2.format());
            assertThat(p3.entries()).isEqualTo(p2.entries());
            assertThat(p3.entries()).hasSizeGreaterThanOrEqualTo(8);
            for (TensorEntry e : p3.entries()) {
                assertThat(bits(p3.readFloat32(e.name()))).as(name + " " + e.name())
                        .isEqualTo(bits(p2.readFloat32(e.name())));
                assertThat(p3.sharingStorage(e.name())).as(e.name())
                        .isEqualTo(p2.sharingStorage(e.name()));
            }
            if (!safetensors.isEmpty()) {
                try (SafetensorsReader s = SafetensorsReader.open(TestData.require(safetensors))) {
                    assertThat(s.tensors()).hasSize(p3.entries().size());
                    for (TensorInfo t : s.tensors()) {
                        assertThat(bits(p3.readFloat32(t.name()))).as(name + " " + t.name())
                                .isEqualTo(bits(s.readFloat32(t.name())));
                    }
                }
            }
        }
    }

    static Stream<Arguments> refusedProtocols() {
        return Stream.of(4, 5).flatMap(p -> sources().map(a -> Arguments.of(p, a.get()[0])));
    }

    @ParameterizedTest(name = "protocol {0} {1}")
    @MethodSource("refusedProtocols")
    void protocol_4_and_5_pickles_are_refused_at_their_frame_opcode_as_torch_refuses_them(
            int protocol, String name) {
        Path file = TestData.require("pickles/protocols/p" + protocol + "/" + name + ".bin");
        // the opcode after PROTO: byte 2 of the legacy file's magic-number pickle, or of data.pkl,
        // whose bytes torch's writer aligns to byte 64
        assertThatThrownBy(() -> PytorchReader.open(file))
                .isInstanceOf(AdapterFormatException.class)
                .hasMessageStartingWith(file + ": ")
                .hasMessageContaining("opcode FRAME (0x95, pickle protocol 4) is not allowed:"
                        + " torch.load(weights_only=True) refuses it too")
                .hasMessageEndingWith(" at byte " + (name.startsWith("legacy") ? 2 : 66))
                .hasMessageNotContaining("\n");
    }

    @Test
    void an_adapter_folder_with_a_protocol_4_pickle_is_refused_by_lora_module_load(
            @TempDir Path dir) throws IOException {
        Files.copy(
                TestData.require("pickles/llama/adapter_0/adapter_config.json"),
                dir.resolve("adapter_config.json"));
        Files.copy(
                TestData.require("pickles/protocols/p4/llama_adapter_0.bin"),
                dir.resolve("adapter_model.bin"));
        assertThatThrownBy(() -> LoraModule.load(dir))
                .isInstanceOf(AdapterFormatException.class)
                .hasMessageStartingWith(dir.resolve("adapter_model.bin") + ": data.pkl: opcode FRAME (0x95");
        Files.copy(
                TestData.require("pickles/protocols/p3/llama_adapter_0.bin"),
                dir.resolve("adapter_model.bin"),
                StandardCopyOption.REPLACE_EXISTING);
        assertThat(LoraModule.load(dir).layers().keySet())
                .hasSize(4)
                .isEqualTo(LoraModule.load(TestData.require("pickles/llama/adapter_0")).layers().keySet());
    }

    /**
     * CPython 3.11's opcode table, printed by {@code python3 -c "import pickletools; [print(ord(o.code),
     * o.name, o.proto) for o in pickletools.opcodes]"}: code, name, protocol that introduced it.
     */
    private static final String PICKLETOOLS =
            "73 INT 0;74 BININT 1;75 BININT1 1;77 BININT2 1;76 LONG 0;138 LONG1 2;139 LONG4 2;"
                    + "83 STRING 0;84 BINSTRING 1;85 SHORT_BINSTRING 1;66 BINBYTES 3;67 SHORT_BINBYTES 3;"
                    + "142 BINBYTES8 4;150 BYTEARRAY8 5;151 NEXT_BUFFER 5;152 READONLY_BUFFER 5;78 NONE 0;"
                    + "136 NEWTRUE 2;137 NEWFALSE 2;86 UNICODE 0;140 SHORT_BINUNICODE 4;88 BINUNICODE 1;"
                    + "141 BINUNICODE8 4;70 FLOAT 0;71 BINFLOAT 1;93 EMPTY_LIST 1;97 APPEND 0;101 APPENDS 1;"
                    + "108 LIST 0;41 EMPTY_TUPLE 1;116 TUPLE 0;133 TUPLE1 2;134 TUPLE2 2;135 TUPLE3 2;"
                    + "125 EMPTY_DICT 1;100 DICT 0;115 SETITEM 0;117 SETITEMS 1;143 EMPTY_SET 4;"
                    + "144 ADDITEMS 4;145 FROZENSET 4;48 POP 0;50 DUP 0;40 MARK 0;49 POP_MARK 1;103 GET 0;"
                    + "104 BINGET 1;106 LONG_BINGET 1;112 PUT 0;113 BINPUT 1;114 LONG_BINPUT 1;"
                    + "148 MEMOIZE 4;130 EXT1 2;131 EXT2 2;132 EXT4 2;99 GLOBAL 0;147 STACK_GLOBAL 4;"
                    + "82 REDUCE 0;98 BUILD 0;105 INST 0;111 OBJ 1;129 NEWOBJ 2;146 NEWOBJ_EX 4;"
                    + "128 PROTO 2;46 STOP 0;149 FRAME 4;80 PERSID 0;81 BINPERSID 1";

    @Test
    void refused_opcodes_are_named_as_cpython_names_them() {
        List<String> rows = List.of(PICKLETOOLS.split(";"));
        assertThat(rows).hasSize(68);
        boolean[] seen = new boolean[256];
        for (String row : rows) {
            String[] f = row.split(" ");
            int code = Integer.parseInt(f[0]);
            seen[code] = true;
            assertThat(TorchUnpickler.opcodeName(code)).as(row).isEqualTo(f[1]);
            assertThat(TorchUnpickler.opcodeProtocol(code)).as(row).isEqualTo(Integer.parseInt(f[2]));
        }
        for (int b = 0; b < 256; b++) {
            if (!seen[b]) {
                assertThat(TorchUnpickler.opcodeName(b)).as("byte " + b).isEqualTo("unknown");
            }
        }
    }

    private static int[] bits(float[] v) {
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Float.floatToRawIntBits(v[i]);
        }
        return out;
    }
}
