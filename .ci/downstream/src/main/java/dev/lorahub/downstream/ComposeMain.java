package dev.lorahub.downstream;

import dev.lorahub.FewShotExample;
import dev.lorahub.LoraHub;
import dev.lorahub.LoraHubResult;
import dev.lorahub.model.BaseModel;
import dev.lorahub.model.GenerationConfig;
import dev.lorahub.model.ModelBackends;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * A user's main: loads a LLaMA-family model folder through lorahub-djl (found by ServiceLoader),
 * composes the PEFT adapters of a folder on two tokenized examples and generates greedily with
 * the result. Prints the weights and the generated ids on stdout.
 */
public final class ComposeMain {
    private ComposeMain() {}

    /**
     * @param args model folder, folder of adapter folders
     * @throws Exception on any failure
     */
    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]);
        List<Path> adapters;
        try (Stream<Path> s = Files.list(Path.of(args[1]))) {
            adapters = s.filter(Files::isDirectory).sorted().toList();
        }
        try (BaseModel m = ModelBackends.load(model)) {
            LoraHubResult r =
                    LoraHub.load(adapters)
                            .fewShot(
                                    List.of(
                                            FewShotExample.tokenized(
                                                    new int[] {1, 17, 42, 99, 7},
                                                    new int[] {-100, -100, 42, 99, 7}),
                                            FewShotExample.tokenized(
                                                    new int[] {1, 200, 12, 5},
                                                    new int[] {-100, -100, 12, 5})))
                            .on(m)
                            .budget(5)
                            .run();
            List<int[]> out =
                    m.generate(
                            r.merged(), List.of(new int[] {1, 17, 42}), GenerationConfig.greedy(4));
            System.out.println("weights: " + r.weights());
            System.out.println("generated: " + java.util.Arrays.toString(out.get(0)));
        }
    }
}
