package dev.lorahub.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lorahub.LoraModule;
import dev.lorahub.model.BaseModel;
import dev.lorahub.model.GenerationConfig;
import dev.lorahub.spi.TextTokenizer;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code lorahub generate}: greedy (or seeded sampling) continuation of one prompt, given as text
 * (encoded with the model's tokenizer, special tokens added) or as token ids. Prints the new text
 * and the new ids, or with {@code --json} one object {@code {"ids": [new ids], "text": "..."}}.
 */
@Command(
        name = "generate",
        mixinStandardHelpOptions = true,
        description = "Generate a continuation of a prompt with a model (and adapter).")
public final class GenerateCommand implements Callable<Integer> {
    @Mixin ModelOptions modelOptions;

    @Mixin TemplateOption templateOption = new TemplateOption();

    static final class Prompt {
        @Option(names = "--prompt", description = "Prompt text (needs the model's tokenizer).")
        @Nullable String text;

        @Option(names = "--input-ids", split = ",", description = "Prompt token ids, e.g. 1,2,3.")
        int @Nullable [] ids;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Prompt prompt;

    @Option(names = "--max-new-tokens", required = true, description = "At most this many tokens.")
    int maxNewTokens;

    @Option(
            names = "--temperature",
            defaultValue = "0",
            description = "0 for greedy (default), else softmax sampling.")
    double temperature;

    @Option(names = "--seed", defaultValue = "0", description = "Sampling seed (default 0).")
    long seed;

    @Option(
            names = "--top-k",
            defaultValue = "0",
            description = "Sample only among the K most likely tokens (default 0: off).")
    int topK;

    @Option(
            names = "--top-p",
            defaultValue = "1",
            description =
                    "Sample only among the most likely tokens whose mass reaches P (default 1:"
                            + " off).")
    double topP;

    @Option(names = "--json", description = "Print {\"ids\": [...], \"text\": \"...\"}.")
    boolean json;

    @Spec CommandSpec spec;

    /** Creates the command (picocli). */
    public GenerateCommand() {}

    @Override
    public Integer call() throws Exception {
        GenerationConfig config =
                new GenerationConfig(maxNewTokens, temperature, seed, topK, topP);
        try (BaseModel m = modelOptions.load()) {
            LoraModule module = modelOptions.adapterFor(m);
            Optional<TextTokenizer> tok = m.tokenizer();
            int[] ids;
            if (prompt.text != null) {
                ids =
                        tok.orElseThrow(
                                        () ->
                                                new IllegalArgumentException(
                                                        modelOptions.model
                                                                + ": no tokenizer; use"
                                                                + " --input-ids"))
                                .encode(templateOption.resolve(m).prompt(prompt.text), true);
            } else {
                ids = prompt.ids;
            }
            int[] out = m.generate(module, List.of(ids), config).get(0);
            String text = tok.map(t -> t.decode(out)).orElse("");
            if (json) {
                ObjectNode o = new ObjectMapper().createObjectNode();
                Arrays.stream(out).forEach(o.putArray("ids")::add);
                o.put("text", text);
                spec.commandLine().getOut().println(o);
            } else {
                spec.commandLine().getOut().println(text);
                spec.commandLine()
                        .getOut()
                        .println(
                                Arrays.stream(out)
                                        .mapToObj(Integer::toString)
                                        .collect(Collectors.joining(" ")));
            }
        }
        return 0;
    }
}
