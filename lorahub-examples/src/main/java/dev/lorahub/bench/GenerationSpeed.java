package dev.lorahub.bench;

import dev.lorahub.FewShotExample;
import dev.lorahub.LoraHub;
import dev.lorahub.LoraHubResult;
import dev.lorahub.LoraModule;
import dev.lorahub.djl.DjlRuntime;
import dev.lorahub.io.ExamplesFile;
import dev.lorahub.model.BaseModel;
import dev.lorahub.model.GenerationConfig;
import dev.lorahub.model.ModelBackends;
import dev.lorahub.model.WeightDtype;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Greedy generation speed of a scale case ({@link ScaleCase}): loads {@code model/} as a user's
 * {@code lorahub generate} does, then generates {@code N} new tokens for the first prompt of {@code
 * examples.jsonl} alone and for all of them as one batch, after one short warm-up, and prints the
 * load time and the new tokens per second of each. Random weights may emit the end-of-sequence id
 * early: the count is of the tokens actually generated. With a positive evaluation count it first
 * runs a LoraHub composition of {@code adapters/} on the examples with that budget, on the same
 * loaded model (so one load serves both; the 7B check of docs/scale.md).
 *
 * <p>Usage: {@code GenerationSpeed CASE_DIR [new tokens, default 32] [f32|f16] [threads]
 * [LoraHub evaluations, default 0]}.
 */
public final class GenerationSpeed {
    private GenerationSpeed() {}

    /**
     * @param args the case folder, then optionally the new-token count, dtype and threads
     * @throws IOException if the case cannot be read
     */
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 32;
        WeightDtype dtype = args.length > 2 ? WeightDtype.parse(args[2]) : WeightDtype.F32;
        if (args.length > 3) {
            DjlRuntime.setThreads(Integer.parseInt(args[3]));
        }
        int evaluations = args.length > 4 ? Integer.parseInt(args[4]) : 0;
        List<FewShotExample> examples = ExamplesFile.read(dir.resolve("examples.jsonl"));
        List<int[]> prompts = new ArrayList<>();
        for (FewShotExample e : examples) {
            prompts.add(e.inputIds().orElseThrow());
        }
        long t0 = System.nanoTime();
        try (BaseModel model = ModelBackends.load(dir.resolve("model"), dtype)) {
            double load = (System.nanoTime() - t0) / 1e9;
            System.out.printf(Locale.ROOT, "%s %s: loaded in %.1f s%n", dir.getFileName(), dtype, load);
            if (evaluations > 0) {
                List<Path> adapters;
                try (Stream<Path> s = Files.list(dir.resolve("adapters"))) {
                    adapters = s.sorted().toList();
                }
                long e0 = System.nanoTime();
                LoraHubResult r =
                        LoraHub.load(adapters)
                                .fewShot(examples)
                                .on(model)
                                .budget(evaluations)
                                .run();
                System.out.printf(
                        Locale.ROOT,
                        "LoraHub over %d adapters, %d evaluations: %.1f s, best loss %.4f, %s%n",
                        adapters.size(),
                        r.trace().size(),
                        (System.nanoTime() - e0) / 1e9,
                        r.bestLoss(),
                        r.timing());
            }
            model.generate(LoraModule.none(), prompts.subList(0, 1), GenerationConfig.greedy(2));
            for (List<int[]> batch : List.of(prompts.subList(0, 1), prompts)) {
                long s = System.nanoTime();
                List<int[]> out = model.generate(LoraModule.none(), batch, GenerationConfig.greedy(n));
                double sec = (System.nanoTime() - s) / 1e9;
                long tokens = out.stream().mapToLong(o -> o.length).sum();
                System.out.printf(
                        Locale.ROOT,
                        "batch %d, prompt %d tokens: %d new tokens in %.2f s = %.2f tokens/s%n",
                        batch.size(),
                        batch.get(0).length,
                        tokens,
                        sec,
                        tokens / sec);
            }
        }
    }
}
