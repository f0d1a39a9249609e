package dev.lorahub.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.lorahub.LoraLayer;
import dev.lorahub.LoraModule;
import dev.lorahub.io.AdapterConfig;
import dev.lorahub.io.PeftAdapters;
import dev.lorahub.io.TensorEntry;
import dev.lorahub.io.TensorFile;
import dev.lorahub.io.WeightsFormat;
import dev.lorahub.io.gguf.GgufFile;
import dev.lorahub.io.gguf.GgufTensor;
import dev.lorahub.io.gguf.LlamaCppAdapters;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code lorahub inspect DIR [--json]}: what a PEFT LoRA adapter folder, or a llama.cpp {@code
 * .gguf} LoRA adapter, holds.
 */
@Command(
        name = "inspect",
        mixinStandardHelpOptions = true,
        description = {
            "Show a PEFT LoRA adapter folder or llama.cpp .gguf adapter: base model, rank,"
                    + " alpha, scaling, targets, tensors, dtypes, parameters, the weights file's"
                    + " format (safetensors, PyTorch pickle or GGUF) and its SHA-256.",
        })
final class InspectCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(
            paramLabel = "DIR",
            description =
                    "Adapter folder (adapter_config.json + adapter_model.safetensors, or a"
                            + " pickled adapter_model.bin), a llama.cpp .gguf adapter file, or a"
                            + " Hugging Face id (org/name or org/name@REV) in the cache.")
    Path dir = Path.of(".");

    @Mixin HubOptions hub = new HubOptions();

    @Option(names = "--json", description = "Print one JSON object instead of text.")
    boolean json;

    @Override
    public Integer call() throws IOException {
        Report report = Report.of(hub.locate(dir, null));
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(
                    new ObjectMapper()
                            .enable(SerializationFeature.INDENT_OUTPUT)
                            .writeValueAsString(report.toJson()));
        } else {
            report.print(out);
        }
        out.flush();
        return 0;
    }

    /**
     * Everything {@code inspect} shows about one adapter folder.
     *
     * @param dir the folder, absolute
     * @param module the loaded adapter
     * @param weightsFile its adapter_model.safetensors (or adapter_model.bin)
     * @param format the format the weights file was read in
     * @param tensors every tensor in the file, in file order
     * @param sha256 lower-case hex SHA-256 of the weights file
     * @param fileBytes size of the weights file
     */
    record Report(
            Path dir,
            LoraModule module,
            Path weightsFile,
            WeightsFormat format,
            List<Tensor> tensors,
            String sha256,
            long fileBytes) {

        /** Loads the folder (or .gguf adapter) and reads the weights file's header and hash. */
        static Report of(Path dir) throws IOException {
            Path abs = dir.toAbsolutePath().normalize();
            if (LlamaCppAdapters.isAdapter(abs)) {
                return ofGguf(abs);
            }
            LoraModule module = LoraModule.load(abs);
            Path weights = PeftAdapters.weightsFile(abs);
            List<Tensor> tensors = new ArrayList<>();
            WeightsFormat format;
            try (TensorFile reader = TensorFile.open(weights)) {
                for (TensorEntry e : reader.entries()) {
                    tensors.add(new Tensor(e.name(), e.dtype().name(), e.numel()));
                }
                format = reader.format();
            }
            // a loaded module always has its weights file to hash
            String sha256 = module.sha256().orElseThrow();
            return new Report(abs, module, weights, format, tensors, sha256, Files.size(weights));
        }

        /**
         * A llama.cpp adapter: its q/k rows are left in the file's order (no head size is needed
         * to show ranks, shapes and alpha; the deltas are not shown).
         */
        private static Report ofGguf(Path file) throws IOException {
            PeftAdapters.Contents c = LlamaCppAdapters.readRowsAsStored(file);
            String name = file.getFileName().toString();
            LoraModule module =
                    new LoraModule(
                            name.substring(0, name.length() - ".gguf".length()),
                            c.config(),
                            c.layers());
            List<Tensor> tensors = new ArrayList<>();
            for (GgufTensor t : GgufFile.open(file).tensors().values()) {
                tensors.add(new Tensor(t.name(), t.type().name(), t.numel()));
            }
            return new Report(
                    file,
                    module,
                    file,
                    c.format(),
                    tensors,
                    c.weightsHash().sha256(),
                    Files.size(file));
        }

        /**
         * @return tensor counts by dtype name, sorted by name
         */
        Map<String, Integer> dtypes() {
            Map<String, Integer> counts = new TreeMap<>();
            tensors.forEach(t -> counts.merge(t.type(), 1, Integer::sum));
            return counts;
        }

        /**
         * @return the number of elements over all tensors of the file
         */
        long parameters() {
            return tensors.stream().mapToLong(Tensor::numel).sum();
        }

        /**
         * @return the layers' ranks, if all equal; else -1
         */
        int uniformRank() {
            List<Integer> ranks =
                    module.layers().values().stream().map(LoraLayer::rank).distinct().toList();
            return ranks.size() == 1 ? ranks.get(0) : -1;
        }

        /**
         * @return the layers' scaling, if all equal; else NaN
         */
        double uniformScaling() {
            List<Double> s =
                    module.layers().values().stream().map(LoraLayer::scaling).distinct().toList();
            return s.size() == 1 ? s.get(0) : Double.NaN;
        }

        Map<String, Object> toJson() {
            AdapterConfig c = module.config();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("adapter", dir.toString());
            m.put("name", module.name());
            m.put("base_model_name_or_path", c.baseModelNameOrPath());
            m.put("peft_type", c.peftType());
            m.put("task_type", c.taskType().orElse(null));
            m.put("r", c.r());
            m.put("lora_alpha", c.loraAlpha());
            m.put("use_rslora", c.useRslora());
            m.put("fan_in_fan_out", c.fanInFanOut());
            m.put("rank_pattern", c.rankPattern());
            m.put("alpha_pattern", c.alphaPattern());
            int rank = uniformRank();
            double scaling = uniformScaling();
            m.put("rank", rank > 0 ? rank : null);
            m.put("scaling", Double.isNaN(scaling) ? null : scaling);
            m.put("target_modules", c.targetModules());
            List<Map<String, Object>> layers =
                    module.layers().values().stream()
                            .map(
                                    l -> {
                                        Map<String, Object> e = new LinkedHashMap<>();
                                        e.put("module", l.modulePath());
                                        e.put("rank", l.rank());
                                        e.put("scaling", l.scaling());
                                        e.put("in_features", l.inFeatures());
                                        e.put("out_features", l.outFeatures());
                                        return e;
                                    })
                            .toList();
            m.put("layers", layers);
            m.put("tensor_count", tensors.size());
            m.put("dtypes", dtypes());
            m.put("parameters", parameters());
            m.put("file", weightsFile.toString());
            m.put("file_bytes", fileBytes);
            m.put("format", format.name().toLowerCase(Locale.ROOT));
            m.put("sha256", sha256);
            return m;
        }

        void print(PrintWriter out) {
            AdapterConfig c = module.config();
            int rank = uniformRank();
            double scaling = uniformScaling();
            row(out, "adapter", dir.toString());
            row(out, "base model", c.baseModelNameOrPath());
            row(out, "task type", c.taskType().orElse("-"));
            row(out, "rank", rank > 0 ? Integer.toString(rank) : "per module (below)");
            if (!c.rankPattern().isEmpty()) {
                row(out, "rank pat.", c.rankPattern().toString());
            }
            row(out, "alpha", num(c.loraAlpha()));
            if (!c.alphaPattern().isEmpty()) {
                row(out, "alpha pat.", c.alphaPattern().toString());
            }
            row(
                    out,
                    "scaling",
                    (Double.isNaN(scaling) ? "per module (below)" : num(scaling))
                            + (c.useRslora() ? "  (rsLoRA: alpha / sqrt(r))" : "  (alpha / r)"));
            row(out, "targets", String.join(", ", c.targetModules()));
            row(out, "layers", Integer.toString(module.layers().size()));
            row(out, "tensors", Integer.toString(tensors.size()));
            StringBuilder dt = new StringBuilder();
            dtypes().forEach(
                            (k, v) ->
                                    dt.append(dt.length() == 0 ? "" : ", ")
                                            .append(k)
                                            .append(" x")
                                            .append(v));
            row(out, "dtypes", dt.toString());
            row(out, "parameters", String.format(Locale.ROOT, "%,d", parameters()));
            row(
                    out,
                    "file",
                    weightsFile.getFileName()
                            + String.format(Locale.ROOT, " (%,d bytes)", fileBytes));
            row(out, "format", format.description());
            row(out, "sha256", sha256);
            if (rank < 0 || Double.isNaN(scaling)) {
                out.println("per module:");
                for (LoraLayer l : module.layers().values()) {
                    out.printf(
                            Locale.ROOT,
                            "  %-60s r=%-4d scaling=%s%n",
                            l.modulePath(),
                            l.rank(),
                            num(l.scaling()));
                }
            }
        }

        private static void row(PrintWriter out, String key, String value) {
            out.printf(Locale.ROOT, "%-11s %s%n", key + ":", value);
        }
    }

    /**
     * One tensor of the weights file.
     *
     * @param name its name
     * @param type its stored type (safetensors dtype or ggml type name)
     * @param numel its element count
     */
    record Tensor(String name, String type, long numel) {}

    /**
     * @return v without a trailing ".0" when it is an integer
     */
    static String num(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15
                ? Long.toString((long) v)
                : Double.toString(v);
    }
}
