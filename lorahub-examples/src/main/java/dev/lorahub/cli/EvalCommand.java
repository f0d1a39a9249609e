package dev.lorahub.cli;

import dev.lorahub.FewShotExample;
import dev.lorahub.LoraModule;
import dev.lorahub.eval.AnswerEval;
import dev.lorahub.eval.EvalReport;
import dev.lorahub.io.ExamplesFile;
import dev.lorahub.model.BaseModel;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code lorahub eval}: exact match of generated answers on a test file ({@link AnswerEval}):
 * greedy, batched generation with the model (and adapter), a progress bar on stderr, the summary as
 * one JSON line on stdout, and the full report (every prompt, reference, prediction and match) as
 * JSON and CSV files, each written atomically.
 */
@Command(
        name = "eval",
        mixinStandardHelpOptions = true,
        description =
                "Exact match of generated answers on a test file (JSON and CSV report, progress"
                        + " bar).")
public final class EvalCommand implements Callable<Integer> {
    @Mixin ModelOptions modelOptions;

    @Mixin TemplateOption templateOption = new TemplateOption();

    @Option(
            names = "--examples",
            required = true,
            paramLabel = "FILE",
            description = "JSON Lines of {\"input\",\"output\"} text examples: the test set.")
    Path examples;

    @Option(
            names = "--limit",
            paramLabel = "N",
            description = "Evaluate only the first N examples (default: all).")
    @Nullable Integer limit;

    @Option(
            names = "--max-new-tokens",
            paramLabel = "N",
            description = "Longest answer, in tokens (default: ${DEFAULT-VALUE}).")
    int maxNewTokens = AnswerEval.DEFAULT_MAX_NEW_TOKENS;

    @Option(
            names = "--batch-size",
            paramLabel = "N",
            description = "Prompts generated together (default: ${DEFAULT-VALUE}).")
    int batchSize = AnswerEval.DEFAULT_BATCH_SIZE;

    @Option(
            names = "--json",
            paramLabel = "FILE",
            description = "Write the report (summary and every answer) as JSON.")
    @Nullable Path json;

    @Option(
            names = "--csv",
            paramLabel = "FILE",
            description = "Write every answer as CSV: index,prompt,reference,prediction,match.")
    @Nullable Path csv;

    @Spec CommandSpec spec;

    /** Creates the command (picocli). */
    public EvalCommand() {}

    @Override
    public Integer call() throws Exception {
        List<FewShotExample> test = ExamplesFile.readText(examples);
        if (limit != null) {
            if (limit < 1) {
                throw new IllegalArgumentException("--limit must be >= 1, got " + limit);
            }
            test = test.subList(0, Math.min(limit, test.size()));
        }
        PrintWriter err = spec.commandLine().getErr();
        EvalReport report;
        try (BaseModel m = modelOptions.load()) {
            LoraModule adapter = modelOptions.adapterFor(m);
            AnswerEval eval =
                    AnswerEval.on(m)
                            .adapter(adapter)
                            .template(templateOption.resolve(m))
                            .maxNewTokens(maxNewTokens)
                            .batchSize(batchSize);
            try (ProgressBar bar = ProgressBar.start("eval", test.size(), err)) {
                report =
                        eval.listener(
                                        (done, total, correct) ->
                                                bar.update(
                                                        done,
                                                        String.format(
                                                                Locale.ROOT,
                                                                "exact match %.1f%%",
                                                                100.0 * correct / done)))
                                .run(test);
            }
        }
        if (json != null) {
            report.writeJson(json);
        }
        if (csv != null) {
            report.writeCsv(csv);
        }
        spec.commandLine().getOut().println(report.summaryJson());
        return 0;
    }
}
