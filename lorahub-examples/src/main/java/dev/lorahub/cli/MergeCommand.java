package dev.lorahub.cli;

import dev.lorahub.Composer;
import dev.lorahub.LoraLayer;
import dev.lorahub.LoraModule;
import dev.lorahub.MajoritySign;
import dev.lorahub.MergeStrategy;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code lorahub merge --strategy NAME --weights w1,w2,... --out DIR ADAPTER_DIR...}: loads PEFT
 * adapters (or llama.cpp {@code .gguf} adapters), merges them with {@link Composer} and saves the
 * result as a PEFT folder, or with {@code --format gguf} as a llama.cpp adapter file.
 */
@Command(
        name = "merge",
        mixinStandardHelpOptions = true,
        description = {
            "Merge LoRA adapters (PEFT folders or llama.cpp .gguf files) with weights into one"
                    + " PEFT adapter folder (or, with --format gguf, one .gguf adapter).",
            "Strategies: lorahub (A and B summed separately, as LoraHub does), cat (exact, rank"
                    + " sum), linear, svd, ties, dare-linear, dare-ties, magnitude-prune.",
        })
final class MergeCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(
            names = "--strategy",
            required = true,
            paramLabel = "NAME",
            converter = StrategyConverter.class,
            completionCandidates = StrategyConverter.class,
            description = "One of: ${COMPLETION-CANDIDATES}.")
    MergeStrategy strategy = MergeStrategy.LORAHUB;

    @Option(
            names = "--weights",
            required = true,
            split = ",",
            paramLabel = "W",
            description = "One weight per adapter, in the order given (negative allowed).")
    double[] weights = {};

    @Mixin ComposerOptions composition = new ComposerOptions();

    @Option(
            names = "--seed",
            paramLabel = "S",
            description = "Seed of the random masks of dare-linear and dare-ties.")
    Long seed;

    @Option(
            names = "--out",
            required = true,
            paramLabel = "DIR",
            description =
                    "Folder to write (a .gguf file with --format gguf). An existing folder is"
                            + " replaced only if it holds nothing but adapter files; never one of"
                            + " the inputs.")
    Path out = Path.of("merged");

    @Option(
            names = "--format",
            paramLabel = "F",
            description =
                    "peft (a PEFT folder, default) or gguf (a llama.cpp LoRA adapter file, F32).")
    AdapterFormat format = AdapterFormat.PEFT;

    @Option(
            names = "--head-dim",
            paramLabel = "D",
            description =
                    "The base model's head size, for the q/k row order of .gguf adapters read"
                            + " and written (default: from --model, else the adapters' base model"
                            + " when found locally).")
    Integer headDim;

    @Option(
            names = "--model",
            paramLabel = "M",
            description =
                    "The base model (folder, .gguf file or id in the cache), only read for its"
                            + " head size when an input or the output is a .gguf adapter.")
    @Nullable Path model;

    @Parameters(
            paramLabel = "ADAPTER_DIR",
            arity = "1..*",
            description =
                    "PEFT adapter folders (or llama.cpp .gguf adapters) to merge, or Hugging Face"
                            + " ids (org/name or org/name@REV) in the cache; NAME=DIR names a"
                            + " module (default: its folder name, made distinct by path"
                            + " suffixes: run1/adapter, run2/adapter).")
    List<Path> adapters = new ArrayList<>();

    @Mixin HubOptions hub = new HubOptions();

    @Override
    public Integer call() throws IOException {
        if (weights.length != adapters.size()) {
            throw new IllegalArgumentException(
                    "--weights has "
                            + weights.length
                            + " values for "
                            + adapters.size()
                            + " adapters");
        }
        if (strategy.needsDensity() && composition.density == null) {
            throw new IllegalArgumentException(
                    "--strategy "
                            + StrategyConverter.cliName(strategy)
                            + " prunes: give --density D, the fraction of entries kept in [0, 1]");
        }
        Path target = out.toAbsolutePath().normalize();
        List<AdapterInputs.Input> inputs =
                AdapterInputs.inputs(
                        "",
                        adapters.stream().map(Path::toString).toList(),
                        false,
                        a -> hub.locate(a, null));
        List<Path> folders = AdapterInputs.paths(inputs);
        for (Path dir : folders) {
            if (dir.toAbsolutePath().normalize().equals(target)) {
                throw new IllegalArgumentException(
                        "--out "
                                + target
                                + " is one of the input adapters; inputs are never"
                                + " overwritten");
            }
        }
        Composer composer = composer();

        long t0 = System.nanoTime();
        List<Path> absolute = new ArrayList<>();
        for (Path dir : folders) {
            absolute.add(dir.toAbsolutePath().normalize());
        }
        Path base = model == null ? null : hub.locate(model, null);
        // named as learn and LoraHub.compose name them: NAME=DIR, else the folder's name, made
        // distinct by path suffixes (run1/adapter, run2/adapter); unlike a composition, a merge
        // may take one adapter twice, which then keeps its name
        List<LoraModule> loaded = AdapterInputs.load(absolute, headDim, base, hub, null);
        List<LoraModule> modules =
                new HashSet<>(absolute).size() < absolute.size()
                        ? loaded
                        : AdapterInputs.named(loaded, inputs);
        int ggufHeadDim =
                format == AdapterFormat.GGUF ? AdapterFormat.headDim(headDim, base, modules) : 0;
        long t1 = System.nanoTime();
        String name = target.getFileName() == null ? "merged" : target.getFileName().toString();
        LoraModule merged = composer.merge(name, modules, weights);
        long t2 = System.nanoTime();
        if (format == AdapterFormat.GGUF) {
            merged.saveGguf(target, ggufHeadDim);
        } else {
            merged.save(target);
        }
        long t3 = System.nanoTime();

        report(modules, merged, target, t1 - t0, t2 - t1, t3 - t2);
        return 0;
    }

    private Composer composer() {
        Composer composer = composition.applyTo(Composer.of(strategy));
        return seed == null ? composer : composer.seed(seed);
    }

    private void report(
            List<LoraModule> modules,
            LoraModule merged,
            Path target,
            long loadNanos,
            long mergeNanos,
            long saveNanos) {
        PrintWriter pw = spec.commandLine().getOut();
        pw.printf(
                Locale.ROOT,
                "merged %d adapters with %s%n",
                modules.size(),
                StrategyConverter.cliName(strategy));
        int width = modules.stream().mapToInt(m -> m.name().length()).max().orElse(0);
        for (int i = 0; i < modules.size(); i++) {
            LoraModule m = modules.get(i);
            pw.printf(
                    Locale.ROOT,
                    "  %-" + width + "s  weight %s  (r=%s, alpha=%s)%n",
                    m.name(),
                    InspectCommand.num(weights[i]),
                    m.config().r(),
                    InspectCommand.num(m.config().loraAlpha()));
        }
        List<Integer> ranks =
                merged.layers().values().stream().map(LoraLayer::rank).distinct().toList();
        pw.printf(
                Locale.ROOT,
                "result: %d layers, r=%s, lora_alpha=%s%s%n",
                merged.layers().size(),
                ranks.size() == 1 ? ranks.get(0) : ranks.toString(),
                InspectCommand.num(merged.config().loraAlpha()),
                options());
        pw.printf(Locale.ROOT, "wrote %s%n", target);
        pw.printf(
                Locale.ROOT,
                "time: load %.1f ms, merge %.1f ms, save %.1f ms%n",
                loadNanos / 1e6,
                mergeNanos / 1e6,
                saveNanos / 1e6);
        pw.flush();
    }

    /**
     * @return the optional settings given, e.g. {@code " (density 0.5, seed 3)"}, or ""
     */
    private String options() {
        Double density = composition.density;
        Integer svdRank = composition.svdRank;
        MajoritySign majoritySign = composition.majoritySign;
        if (density == null && svdRank == null && seed == null && majoritySign == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder(" (");
        if (density != null) {
            sb.append("density ").append(density).append(", ");
        }
        if (svdRank != null) {
            sb.append("svd rank ").append(svdRank).append(", ");
        }
        if (seed != null) {
            sb.append("seed ").append(seed).append(", ");
        }
        if (majoritySign != null) {
            sb.append("majority sign ")
                    .append(majoritySign.name().toLowerCase(Locale.ROOT))
                    .append(", ");
        }
        sb.setLength(sb.length() - 2);
        return sb.append(')').toString();
    }
}
