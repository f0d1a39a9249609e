package dev.lorahub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lorahub.testing.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * llama.cpp {@code .gguf} adapters wherever the CLI takes PEFT folders ({@code inspect}, {@code
 * score}, {@code merge}, {@code learn --modules}). Truth: the gguf-quants fixture's ggml-written
 * adapter and its PEFT twin ({@code lora/peft}, the same factors: equal logits to 1.5e-15 in the
 * fixture's own check), so every command must give the same numbers and bytes for either; the base
 * model is the fixture's Q4_K file (4 heads, 2 KV heads, head size 64), which gives the head size.
 */
class GgufAdapterCliTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path tmp;

    private static Path gguf() {
        return TestData.require("gguf-quants/lora/tiny-llama-lora-F32.gguf");
    }

    private static Path peft() {
        return TestData.require("gguf-quants/lora/peft");
    }

    private static Path model() {
        return TestData.require("gguf-quants/models/tiny-llama-Q4_K.gguf");
    }

    private Path examples() throws IOException {
        Path f = tmp.resolve("examples.jsonl");
        Files.writeString(
                f,
                "{\"input_ids\":[1,45,77,3,190,23,5,88],\"labels\":[1,45,77,3,190,23,5,88]}\n"
                        + "{\"input_ids\":[1,12,200,31,9,140,411,7]}\n");
        return f;
    }

    @Test
    void inspect_says_gguf_adapter_targets_rank_and_alpha() throws Exception {
        CliRun run = CliRun.of("inspect", gguf().toString(), "--json");
        assertThat(run.exitCode()).as(run.toString()).isZero();
        JsonNode r = JSON.readTree(run.out());
        assertThat(r.get("format").asText()).isEqualTo("gguf");
        assertThat(r.get("name").asText()).isEqualTo("tiny-llama-lora-F32");
        // fixture README: rank 8 on attn_q and attn_v of both blocks, adapter.lora.alpha f32 16
        assertThat(r.get("r").asInt()).isEqualTo(8);
        assertThat(r.get("rank").asInt()).isEqualTo(8);
        assertThat(r.get("lora_alpha").asDouble()).isEqualTo(16.0);
        assertThat(r.get("scaling").asDouble()).isEqualTo(2.0);
        List<String> targets = new ArrayList<>();
        r.get("target_modules").forEach(t -> targets.add(t.asText()));
        assertThat(targets).containsExactlyInAnyOrder("q_proj", "v_proj");
        assertThat(r.get("layers").size()).isEqualTo(4);
        assertThat(r.get("tensor_count").asInt()).isEqualTo(8);
        assertThat(r.get("dtypes").get("F32").asInt()).isEqualTo(8);
        // A [8, 256] for q and v; B [256, 8] for q, [128, 8] for v (2 KV heads of 64), 2 blocks
        assertThat(r.get("parameters").asLong()).isEqualTo(2L * (2048 + 2048 + 2048 + 1024));
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(gguf()));
        assertThat(r.get("sha256").asText()).isEqualTo(HexFormat.of().formatHex(digest));
        assertThat(r.get("file").asText()).isEqualTo(gguf().toAbsolutePath().normalize().toString());

        CliRun text = CliRun.of("inspect", gguf().toString());
        assertThat(text.exitCode()).as(text.toString()).isZero();
        assertThat(text.out())
                .contains("format:     GGUF (llama.cpp LoRA adapter)")
                .contains("targets:    ")
                .contains("rank:       8")
                .contains("alpha:      16");
    }

    private double score(String adapter) throws IOException {
        List<String> args =
                new ArrayList<>(
                        List.of(
                                "score",
                                "--model",
                                model().toString(),
                                "--examples",
                                examples().toString()));
        if (adapter != null) {
            args.add("--adapter");
            args.add(adapter);
        }
        CliRun run = CliRun.of(args.toArray(String[]::new));
        assertThat(run.exitCode()).as(run.toString()).isZero();
        return JSON.readTree(run.out()).get("loss").asDouble();
    }

    @Test
    void score_with_the_gguf_adapter_equals_score_with_its_peft_twin() throws IOException {
        double viaGguf = score(gguf().toString());
        double viaPeft = score(peft().toString());
        // same factors, same model, same arithmetic: the same double
        assertThat(viaGguf).isEqualTo(viaPeft);
        assertThat(viaGguf).isNotEqualTo(score(null));
    }

    @Test
    void merge_takes_gguf_inputs_with_the_head_size_of_model_or_head_dim() throws IOException {
        Path a = tmp.resolve("a");
        CliRun run =
                CliRun.of(
                        "merge", "--strategy", "cat", "--weights", "0.5,-1.25",
                        "--model", model().toString(),
                        "--out", a.toString(), gguf().toString(), peft().toString());
        assertThat(run.exitCode()).as(run.toString()).isZero();
        Path b = tmp.resolve("b");
        run =
                CliRun.of(
                        "merge", "--strategy", "cat", "--weights", "0.5,-1.25",
                        "--head-dim", "64",
                        "--out", b.toString(), gguf().toString(), peft().toString());
        assertThat(run.exitCode()).as(run.toString()).isZero();
        Path c = tmp.resolve("c");
        run =
                CliRun.of(
                        "merge", "--strategy", "cat", "--weights", "0.5,-1.25",
                        "--out", c.toString(), peft().toString(), peft().toString());
        assertThat(run.exitCode()).as(run.toString()).isZero();
        Path weights = Path.of("adapter_model.safetensors");
        assertThat(Files.mismatch(a.resolve(weights), c.resolve(weights))).isEqualTo(-1L);
        assertThat(Files.mismatch(b.resolve(weights), c.resolve(weights))).isEqualTo(-1L);
    }

    @Test
    void a_gguf_input_without_any_head_size_is_refused_in_one_line_naming_it() throws IOException {
        Path out = tmp.resolve("m");
        CliRun run =
                CliRun.of(
                        "merge", "--strategy", "cat", "--weights", "1",
                        "--out", out.toString(), gguf().toString());
        assertThat(run.exitCode()).as(run.toString()).isNotZero();
        assertThat(run.errLines()).hasSize(1);
        assertThat(run.errLines().get(0))
                .contains(gguf().toString())
                .contains("'blk.0.attn_q.weight.lora_b'")
                .contains("--model")
                .contains("--head-dim");
        assertThat(out).doesNotExist();
    }

    private JsonNode learn(String name, String... modules) throws IOException {
        Path out = tmp.resolve(name);
        List<String> args =
                new ArrayList<>(
                        List.of(
                                "learn",
                                "--model",
                                model().toString(),
                                "--examples",
                                examples().toString(),
                                "--budget",
                                "4",
                                "--out",
                                out.toString(),
                                "--modules"));
        args.addAll(List.of(modules));
        CliRun run = CliRun.of(args.toArray(String[]::new));
        assertThat(run.exitCode()).as(run.toString()).isZero();
        return JSON.readTree(out.resolve("weights.json").toFile());
    }

    @Test
    void learn_takes_gguf_modules_and_learns_what_their_peft_twins_give() throws IOException {
        Path folder = Files.createDirectory(tmp.resolve("pool"));
        Files.copy(gguf(), folder.resolve("a.gguf"));
        Path twinCopy = Files.createDirectory(folder.resolve("b"));
        for (String f : List.of("adapter_config.json", "adapter_model.safetensors")) {
            Files.copy(peft().resolve(f), twinCopy.resolve(f));
        }
        JsonNode mixed = learn("mixed", folder.toString());
        assertThat(mixed.fieldNames()).toIterable().containsExactly("a", "b");
        Path second = Files.createDirectory(tmp.resolve("peft2"));
        for (String f : List.of("adapter_config.json", "adapter_model.safetensors")) {
            Files.copy(peft().resolve(f), second.resolve(f));
        }
        JsonNode twins = learn("twins", peft().toString(), second.toString());
        assertThat(mixed.get("a").asDouble()).isEqualTo(twins.get("peft").asDouble());
        assertThat(mixed.get("b").asDouble()).isEqualTo(twins.get("peft2").asDouble());
        Path weights = Path.of("adapter_model.safetensors");
        assertThat(
                        Files.mismatch(
                                tmp.resolve("mixed").resolve(weights),
                                tmp.resolve("twins").resolve(weights)))
                .isEqualTo(-1L);
    }
}
