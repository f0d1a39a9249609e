package dev.lorahub.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lorahub.FewShotExample;
import dev.lorahub.LoraModule;
import dev.lorahub.io.ExamplesFile;
import dev.lorahub.model.BaseModel;
import dev.lorahub.spi.EncodedBatch;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code lorahub score}: the loss of a file of examples taken as one batch, as Hugging Face's
 * {@code model(input_ids, attention_mask, labels).loss} computes it (token-mean natural-log
 * cross-entropy over every labelled token), printed as one JSON object {@code {"loss", "tokens",
 * "examples"}}. Text examples are laid out by {@code --template} or the model's declared layout.
 */
@Command(
        name = "score",
        mixinStandardHelpOptions = true,
        description = "Print the token-mean cross-entropy of examples under a model (and adapter).")
public final class ScoreCommand implements Callable<Integer> {
    @Mixin ModelOptions modelOptions;

    @Mixin TemplateOption templateOption = new TemplateOption();

    @Mixin AdapterModeOption adapterMode = new AdapterModeOption();

    @Option(
            names = "--examples",
            required = true,
            description =
                    "JSON Lines: {\"input\",\"output\"} text or {\"input_ids\",\"labels\"} ids.")
    Path examples;

    @Spec CommandSpec spec;

    /** Creates the command (picocli). */
    public ScoreCommand() {}

    @Override
    public Integer call() throws Exception {
        List<FewShotExample> list = ExamplesFile.read(examples);
        try (BaseModel m = modelOptions.load();
                EncodedBatch batch =
                        ExamplesFile.encode(m, templateOption.resolve(m).apply(list), examples)) {
            adapterMode.applyTo(m);
            LoraModule module = modelOptions.adapterFor(m);
            double loss = m.loss(module, batch);
            ObjectNode out = new ObjectMapper().createObjectNode();
            out.put("loss", loss);
            out.put("tokens", batch.labelledTokens());
            out.put("examples", batch.size());
            spec.commandLine().getOut().println(out);
        }
        return 0;
    }
}
