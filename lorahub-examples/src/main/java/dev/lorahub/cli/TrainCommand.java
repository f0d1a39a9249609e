package dev.lorahub.cli;

import ai.djl.ndarray.NDManager;
import dev.lorahub.FewShotExample;
import dev.lorahub.LoraModule;
import dev.lorahub.djl.llama.LlamaFiles;
import dev.lorahub.djl.llama.LlamaModel;
import dev.lorahub.djl.train.LoraTrainer;
import dev.lorahub.djl.train.LoraTrainingConfig;
import dev.lorahub.hub.CharTokenizer;
import dev.lorahub.hub.EngineDefaults;
import dev.lorahub.hub.Jsonl;
import dev.lorahub.hub.Prompts;
import dev.lorahub.hub.TaskExample;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code lorahub train}: trains a LoRA module on (input, output) examples. */
@Command(
        name = "train",
        mixinStandardHelpOptions = true,
        description = {
            "Trains a LoRA module (PEFT initialisation, base frozen, Adam) on a JSON-lines file of"
                    + " {\"input\": ..., \"output\": ...} and saves it as a PEFT adapter folder.",
            "The model is a LLaMA-family folder; examples are laid out as '<s> input > output"
                    + " </s>' with the hub's character tokenizer (the embedded hub's base model)."
        })
public final class TrainCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--model", required = true, description = "Base model folder.")
    Path model;

    @Option(names = "--examples", required = true, description = "JSON-lines training file.")
    Path examples;

    @Option(names = "--out", required = true, description = "Adapter folder to write.")
    Path out;

    @Option(names = "--rank", defaultValue = "8", description = "r (default: ${DEFAULT-VALUE}).")
    int rank;

    @Option(
            names = "--alpha",
            defaultValue = "16",
            description = "lora_alpha (default: ${DEFAULT-VALUE}).")
    double alpha;

    @Option(
            names = "--targets",
            defaultValue = "q_proj,v_proj",
            split = ",",
            description = "Target modules (default: ${DEFAULT-VALUE}).")
    List<String> targets;

    @Option(
            names = "--dropout",
            defaultValue = "0",
            description =
                    "LoRA dropout: PEFT's lora_dropout on the LoRA branch input, training only,"
                            + " seeded by --seed (default: ${DEFAULT-VALUE}).")
    double dropout;

    @Option(
            names = "--lr",
            defaultValue = "3e-3",
            description = "Learning rate (default: ${DEFAULT-VALUE}).")
    double lr;

    @Option(
            names = "--epochs",
            defaultValue = "3",
            description = "Epochs (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(
            names = "--batch-size",
            defaultValue = "32",
            description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(
            names = "--steps",
            defaultValue = "0",
            description = "Exact steps, overriding --epochs.")
    int steps;

    @Option(
            names = "--seed",
            defaultValue = "42",
            description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws Exception {
        EngineDefaults.apply();
        List<TaskExample> data = Jsonl.read(examples);
        List<FewShotExample> ex = new Prompts(new CharTokenizer()).plain(data);
        LoraTrainingConfig cfg =
                new LoraTrainingConfig(
                        rank, alpha, targets, dropout, lr, epochs, batchSize, steps, seed);
        PrintWriter err = spec.commandLine().getErr();
        try (NDManager manager = NDManager.newBaseManager();
                LlamaModel base = LlamaFiles.load(model, manager)) {
            requireCharVocabulary(base);
            String name = out.getFileName().toString();
            try (ProgressBar bar = ProgressBar.start("train", 0, err)) {
                LoraModule m =
                        LoraTrainer.of(cfg)
                                .listener(
                                        (step, total, loss) ->
                                                bar.update(step, String.format("loss %.4f", loss)))
                                .train(base, ex, name, model.toString());
                m.save(out);
            }
        }
        spec.commandLine()
                .getOut()
                .printf("trained %s on %d examples into %s%n", out.getFileName(), data.size(), out);
        return 0;
    }

    /**
     * The examples are encoded with the hub's {@link CharTokenizer}, whatever tokenizer the model
     * folder has; on a model with another vocabulary the ids would mean other tokens and training
     * would succeed on nonsense, so refuse it.
     */
    private void requireCharVocabulary(LlamaModel base) {
        int vocab = base.config().vocabSize();
        if (vocab != CharTokenizer.VOCAB_SIZE) {
            throw new IllegalArgumentException(
                    model
                            + ": the model has a vocabulary of "
                            + vocab
                            + " ids, but train encodes examples with the hub's character"
                            + " tokenizer ("
                            + CharTokenizer.VOCAB_SIZE
                            + " ids); use the embedded hub's base model (lorahub-examples/hub/base)"
                            + " or one built by build-hub");
        }
    }
}
