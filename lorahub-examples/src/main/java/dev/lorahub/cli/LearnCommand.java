package dev.lorahub.cli;

import dev.lorahub.FewShotExample;
import dev.lorahub.LearnStep;
import dev.lorahub.LoraHub;
import dev.lorahub.LoraHubListener;
import dev.lorahub.LoraHubResult;
import dev.lorahub.LoraModule;
import dev.lorahub.MergeStrategy;
import dev.lorahub.Recipe;
import dev.lorahub.TracePoint;
import dev.lorahub.io.ExamplesFile;
import dev.lorahub.model.BaseModel;

import org.jspecify.annotations.Nullable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code lorahub learn}: LoraHub learning from the command line. Loads PEFT adapters (or llama.cpp
 * {@code .gguf} adapters), learns their weights on a few examples, and writes into {@code --out}
 * the merged adapter (PEFT folder), {@code weights.json}, {@code trace.csv} and {@code
 * provenance.json}. Works with any {@link dev.lorahub.spi.ModelBackend} on the class path.
 */
@Command(
        name = "learn",
        mixinStandardHelpOptions = true,
        description = {
            "Learn LoraHub weights of LoRA adapters on a few examples and save the merged adapter.",
            "Writes into --out: adapter_config.json + adapter_model.safetensors (PEFT),"
                    + " weights.json, trace.csv, provenance.json.",
        })
public final class LearnCommand implements Callable<Integer> {
    @Option(
            names = "--model",
            paramLabel = "M",
            description =
                    "Base model folder or .gguf file, or a Hugging Face id (org/name) in the cache"
                            + " (default: the first adapter's base_model_name_or_path, a path or an"
                            + " id).")
    @Nullable Path model;

    @Option(
            names = "--revision",
            paramLabel = "REV",
            description =
                    "Branch, tag or commit of the base model when it is an id (default: main, or"
                            + " without --model the revision the adapter config records).")
    @Nullable String revision;

    @Mixin HubOptions hub = new HubOptions();

    @Mixin DtypeOption dtype = new DtypeOption();

    @Mixin AdapterModeOption adapterMode = new AdapterModeOption();

    @Option(
            names = "--modules",
            required = true,
            arity = "1..*",
            paramLabel = "DIR",
            description =
                    "PEFT adapter folders, llama.cpp .gguf adapter files, folders holding"
                            + " adapters (sub-folders and .gguf adapters, taken in name order), or"
                            + " Hugging Face ids (org/name or org/name@REV) in the cache; NAME=DIR"
                            + " names a module (default: its folder name, made distinct by path"
                            + " suffixes: run1/adapter, run2/adapter).")
    List<Path> modules = new ArrayList<>();

    @Option(
            names = "--examples",
            required = true,
            paramLabel = "FILE",
            description =
                    "JSON Lines: {\"input\",\"output\"} text or {\"input_ids\",\"labels\"} ids.")
    Path examples;

    @Option(
            names = "--recipe",
            paramLabel = "paper|best|short",
            description =
                    "Named settings: paper (default: every module, lorahub merge, cobyla, 40"
                            + " evaluations), best (every module, cat merge, adam, "
                            + Recipe.BEST_BUDGET
                            + " forward-equivalents) or short (every module, cat merge, adam on"
                            + " one-example mini-batches, "
                            + Recipe.SHORT_BUDGET
                            + " forward-equivalents); best and short need a model that gives"
                            + " gradients."
                            + " --select, --strategy, --optimizer and --budget override it.")
    String recipe = "paper";

    @Option(
            names = "--budget",
            paramLabel = "N",
            description =
                    "Objective evaluations (paper recipe: "
                            + LoraHub.DEFAULT_BUDGET
                            + "); with --optimizer adam or descent, forward-equivalents (a"
                            + " gradient costs 3, a probe 1).")
    @Nullable Integer budget;

    @Option(names = "--seed", description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed = LoraHub.DEFAULT_SEED;

    @Option(
            names = "--optimizer",
            paramLabel = "NAME",
            description =
                    "cobyla (NGOpt's choice, the paper recipe's), quadratic, random, another known"
                            + " name, or adam or descent (gradient; need --strategy cat and a"
                            + " model that gives gradients; descent scores more below a budget"
                            + " of 60).")
    @Nullable String optimizer;

    @Option(
            names = "--strategy",
            paramLabel = "NAME",
            converter = StrategyConverter.class,
            completionCandidates = StrategyConverter.class,
            description =
                    "lorahub (the paper recipe's: A and B summed separately, as the reference),"
                            + " cat (exact), or another of: ${COMPLETION-CANDIDATES}.")
    @Nullable MergeStrategy strategy;

    @Mixin ComposerOptions composition = new ComposerOptions();

    @Mixin TemplateOption templateOption = new TemplateOption();

    @Option(
            names = "--bounds",
            paramLabel = "LO,HI",
            description =
                    "Box of every weight, LO < 0 < HI (default: "
                            + LoraHub.DEFAULT_LOWER_BOUND
                            + ","
                            + LoraHub.DEFAULT_UPPER_BOUND
                            + ").")
    @Nullable String bounds;

    @Option(
            names = "--select",
            paramLabel = "all|random:K|lowest-loss:K",
            description =
                    "Modules to compose: all (both recipes'), random:K (Python's random.sample"
                            + " with the seed, as the reference), lowest-loss:K (the K with the"
                            + " lowest single-module loss).")
    @Nullable String select;

    @Option(
            names = "--regularization",
            paramLabel = "L",
            description = "Factor of mean|w| in the score (default: ${DEFAULT-VALUE}).")
    double regularization = LoraHub.DEFAULT_REGULARIZATION;

    @Option(
            names = "--batch-size",
            paramLabel = "B",
            description = "Examples per forward batch (default: all in one).")
    @Nullable Integer batchSize;

    @Option(
            names = "--time-limit",
            paramLabel = "DURATION",
            description =
                    "Stop starting evaluations after this long (e.g. 90s, 5m, 1h, 500ms or"
                            + " PT1M30S) and save the best result so far (state"
                            + " TIME_LIMIT_REACHED). Default: no limit.")
    @Nullable String timeLimit;

    @Option(
            names = "--per-layer-weights",
            description =
                    "With a gradient optimizer (adam, --recipe best): one weight per module and"
                            + " targeted layer instead of one per module.")
    boolean perLayerWeights;

    @Option(
            names = "--early-stopping",
            description =
                    "With a gradient optimizer: choose the step count by leave-one-out over the"
                            + " examples, then run it on all of them (costs about 4k/3+1 times"
                            + " the budget for k examples).")
    boolean earlyStopping;

    @Option(
            names = "--out",
            required = true,
            paramLabel = "DIR",
            description = "Output folder (new, or holding only a previous learn output).")
    Path out;

    @Option(
            names = "--format",
            paramLabel = "F",
            description =
                    "peft (default) or gguf: also write the result as a llama.cpp LoRA adapter,"
                            + " "
                            + AdapterFormat.LEARN_FILE
                            + " in --out.")
    AdapterFormat format = AdapterFormat.PEFT;

    @Option(
            names = "--head-dim",
            paramLabel = "D",
            description =
                    "The base model's head size, for the q/k row order of .gguf adapters read"
                            + " and written (default: from --model, else the adapters' base model"
                            + " when found locally).")
    @Nullable Integer headDim;

    @Spec CommandSpec spec;

    /** Creates the command (picocli). */
    public LearnCommand() {}

    @Override
    public Integer call() throws IOException {
        if (model == null && adapterMode.mode != null) {
            throw new IllegalArgumentException(
                    "--adapter-mode "
                            + adapterMode.mode
                            + " needs --model: it sets the model learn loads itself");
        }
        List<FewShotExample> list = ExamplesFile.read(examples);
        List<AdapterInputs.Input> inputs =
                AdapterInputs.inputs(
                        "--modules ",
                        modules.stream().map(Path::toString).toList(),
                        true,
                        p -> hub.locate(p, null));
        List<Path> folders = AdapterInputs.paths(inputs);
        requireOutIsNoInput(folders);
        Path located = model == null ? null : hub.locate(model, revision);
        List<LoraModule> pool =
                AdapterInputs.named(
                        AdapterInputs.load(folders, headDim, located, hub, revision), inputs);
        int ggufHeadDim =
                format == AdapterFormat.GGUF ? AdapterFormat.headDim(headDim, located, pool) : 0;
        LearnStep step =
                arguments()
                        .applyTo(LoraHub.compose(pool).fewShot(list))
                        .hfCache(hub.cache());
        if (revision != null) {
            step = step.revision(revision);
        }
        step = step.dtype(dtype.dtype);
        if (perLayerWeights) {
            step = step.perLayerWeights(true);
        }
        if (earlyStopping) {
            step = step.earlyStopping(true);
        }
        if (timeLimit != null) {
            step = step.timeLimit(duration(timeLimit));
        }
        Progress progress = new Progress(spec.commandLine().getErr());
        step = step.listener(progress);
        LoraHubResult result;
        try {
            if (model != null) {
                try (BaseModel base = ModelOptions.load(located, dtype.dtype)) {
                    adapterMode.applyTo(base);
                    // examples the model rejects are reported against the file, before the run
                    ExamplesFile.encode(base, templateOption.resolve(base).apply(list), examples)
                            .close();
                    result = step.on(base).run();
                }
            } else {
                result = step.run();
            }
        } finally {
            progress.close();
        }
        if (format == AdapterFormat.GGUF) {
            result.saveWithGguf(out, ggufHeadDim); // one folder replacement, gguf included
        } else {
            result.save(out);
        }
        report(result);
        return result.state() == LoraHubResult.State.FAILED ? LoraHubCli.EXIT_BAD_INPUT : 0;
    }

    /**
     * Refuses an {@code --out} that is one of the input adapter folders before any evaluation
     * (saving would refuse it too, but only after the whole run).
     */
    private void requireOutIsNoInput(List<Path> folders) throws IOException {
        if (!Files.exists(out)) {
            return;
        }
        for (Path dir : folders) {
            if (Files.isSameFile(out, dir)) {
                throw new IllegalArgumentException(
                        "refusing to write to "
                                + out
                                + ": it is the folder of input adapter "
                                + dir
                                + "; inputs are never overwritten");
            }
        }
    }

    private static final Pattern DURATION = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)(ms|s|m|h)");

    /**
     * @param text {@code <number><unit>} with unit ms, s, m or h (e.g. {@code 90s}, {@code 1.5h}),
     *     or ISO-8601 ({@code PT1M30S})
     * @return the positive duration
     * @throws IllegalArgumentException naming the option and the text otherwise
     */
    static Duration duration(String text) {
        String t = text.strip();
        try {
            Duration d;
            if (t.regionMatches(true, 0, "PT", 0, 2) || t.regionMatches(true, 0, "P", 0, 1)) {
                d = Duration.parse(t.toUpperCase(Locale.ROOT));
            } else {
                Matcher m = DURATION.matcher(t);
                if (!m.matches()) {
                    throw new IllegalArgumentException();
                }
                double unitMillis =
                        switch (m.group(2)) {
                            case "ms" -> 1.0;
                            case "s" -> 1e3;
                            case "m" -> 60e3;
                            default -> 3600e3;
                        };
                double millis = Double.parseDouble(m.group(1)) * unitMillis;
                if (!(millis < 1e15)) {
                    throw new IllegalArgumentException();
                }
                d = Duration.ofNanos(Math.round(millis * 1e6));
            }
            if (!d.isNegative() && !d.isZero()) {
                return d;
            }
        } catch (RuntimeException e) {
            // falls through to the message below
        }
        throw new IllegalArgumentException(
                "--time-limit takes a positive duration like 90s, 5m, 1h, 500ms or PT1M30S, got '"
                        + text
                        + "'");
    }

    /** This command's options as the settings {@code learn} and the Spark job share. */
    private LearnArguments arguments() {
        return new LearnArguments(
                recipe,
                select,
                strategy,
                composition.density,
                composition.svdRank,
                composition.majoritySign,
                optimizer,
                budget,
                seed,
                regularization,
                batchSize,
                templateOption.template,
                bounds);
    }

    /** Draws a progress bar from the first evaluation on, so that early errors print alone. */
    private static final class Progress implements LoraHubListener {
        private final PrintWriter err;
        private @Nullable ProgressBar bar;

        Progress(PrintWriter err) {
            this.err = err;
        }

        @Override
        public void onStart(List<String> moduleNames, int budget) {
            bar = ProgressBar.start("learn", budget, err);
        }

        @Override
        public void onEvaluation(TracePoint p) {
            if (bar != null) {
                bar.update(p.index(), String.format(Locale.ROOT, "best score %.5f", p.bestScore()));
            }
        }

        void close() {
            if (bar != null) {
                bar.close();
            }
        }
    }

    private void report(LoraHubResult r) {
        PrintWriter o = spec.commandLine().getOut();
        o.printf(
                Locale.ROOT,
                "%s after %d evaluations (%d forward-equivalents): best score %.6f (loss %.6f)%n",
                r.state(),
                r.trace().size(),
                r.forwardEquivalents(),
                r.bestScore(),
                r.bestLoss());
        for (Map.Entry<String, Double> e : r.weights().entrySet()) {
            o.printf(Locale.ROOT, "  %+.4f  %s%n", e.getValue(), e.getKey());
        }
        LoraHubResult.Timing t = r.timing();
        o.printf(
                Locale.ROOT,
                "time %d ms: forward %d ms, composition %d ms, other %d ms%n",
                t.wall().toMillis(),
                t.forward().toMillis(),
                t.composition().toMillis(),
                t.other().toMillis());
        o.println("wrote " + out);
        o.flush();
    }
}
