package dev.lorahub.hub;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lorahub.FewShotExample;
import dev.lorahub.LoraModule;
import dev.lorahub.djl.DjlRuntime;
import dev.lorahub.djl.llama.LlamaConfig;
import dev.lorahub.djl.llama.LlamaFiles;
import dev.lorahub.djl.llama.LlamaModel;
import dev.lorahub.djl.train.LoraTrainer;
import dev.lorahub.djl.train.LoraTrainingConfig;
import dev.lorahub.djl.train.Pretrainer;
import dev.lorahub.djl.train.PretrainingConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Builds a hub from seeds alone: pretrains the base on {@link PretrainingData}, trains one LoRA
 * module per pool task, writes the held-out tasks' data and trains their ceiling modules. The same
 * scale on the same platform (one intra-op thread, same libtorch build) gives the same bytes.
 *
 * <p>Seeds: base initialisation {@value #BASE_SEED}, pretraining stream {@value #DATA_SEED}; a
 * task's examples and its module's initialisation are seeded from its name ({@link
 * #taskSeed(String)}), so adding a task changes no other module.
 */
public final class HubBuilder {
    /** Seed of the base model's initialisation. */
    public static final long BASE_SEED = 1;

    /** Seed of the pretraining stream. */
    public static final long DATA_SEED = 7;

    /**
     * The layout every module and ceiling is trained on ({@code <s> input > output </s>}), declared
     * in the base folder's {@code lorahub.json} so the library lays examples out the same way.
     */
    public static final String PROMPT_TEMPLATE = "{input}>";

    /** The module targets. */
    public static final List<String> TARGETS = List.of("q_proj", "v_proj");

    private final HubScale scale;
    private final HubBuildListener listener;

    /**
     * @param scale sizes
     * @param listener progress
     */
    public HubBuilder(HubScale scale, HubBuildListener listener) {
        this.scale = Objects.requireNonNull(scale, "scale");
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /**
     * @param task a task name
     * @return a stable seed derived from it
     */
    public static long taskSeed(String task) {
        return 0x5DEECE66DL ^ ((long) task.hashCode() << 16) ^ task.length();
    }

    /**
     * @param scale sizes
     * @return the module training config of that scale
     */
    public static LoraTrainingConfig moduleConfig(HubScale scale) {
        return new LoraTrainingConfig(
                scale.rank(),
                scale.alpha(),
                TARGETS,
                0.0,
                scale.moduleLr(),
                1,
                scale.moduleBatch(),
                scale.moduleSteps(),
                0);
    }

    /**
     * @param scale sizes
     * @return the base model's config: vocabulary of {@link CharTokenizer}, BOS 1, EOS 2
     */
    public static LlamaConfig modelConfig(HubScale scale) {
        return LlamaConfig.of(
                CharTokenizer.VOCAB_SIZE,
                scale.hidden(),
                scale.intermediate(),
                scale.layers(),
                scale.heads(),
                scale.heads());
    }

    /**
     * Builds everything into {@code root} (created if absent; existing files replaced).
     *
     * @param root the hub folder
     * @throws IOException if writing fails
     */
    public void build(Path root) throws IOException {
        HubLayout layout = new HubLayout(root);
        CharTokenizer tokenizer = new CharTokenizer();
        Prompts prompts = new Prompts(tokenizer);
        DjlRuntime.start(); // no network, quiet logs, threads: before DJL starts
        try (NDManager manager = NDManager.newBaseManager();
                LlamaModel model = LlamaModel.create(modelConfig(scale), BASE_SEED, manager)) {
            PretrainingData data =
                    new PretrainingData(
                            prompts,
                            DATA_SEED,
                            scale.pretrainBatch(),
                            PretrainingData.Mix.quarter(scale.pretrainBatch()));
            Pretrainer.of(
                            new PretrainingConfig(
                                    scale.pretrainSteps(),
                                    scale.pretrainLr(),
                                    Math.max(1, scale.pretrainSteps() / 20),
                                    1.0))
                    .listener(
                            (s, t, l) ->
                                    listener.onProgress(
                                            "pretrain", s, t, String.format("loss %.3f", l)))
                    .train(model, data::batch);
            saveBase(model, tokenizer, layout.base());
            String baseName = "lorahub-examples/hub/base";

            List<Task> pool = TaskSuite.poolTasks();
            for (int i = 0; i < pool.size(); i++) {
                String name = pool.get(i).name();
                listener.onProgress("modules", i, pool.size(), name);
                List<FewShotExample> ex =
                        prompts.plain(pool.get(i).examples(taskSeed(name), scale.moduleExamples()));
                trainModule(model, ex, name, baseName).save(layout.module(name));
            }
            listener.onProgress("modules", pool.size(), pool.size(), "done");

            List<Task> heldOut = TaskSuite.heldOutTasks();
            for (int i = 0; i < heldOut.size(); i++) {
                String name = heldOut.get(i).name();
                listener.onProgress("held-out", i, heldOut.size(), name);
                List<TaskExample> train =
                        heldOut.get(i).examples(taskSeed(name), scale.heldOutTrain());
                Set<String> seen = new HashSet<>();
                train.forEach(e -> seen.add(e.input()));
                List<TaskExample> test =
                        heldOut.get(i).examples(taskSeed(name) + 1, scale.heldOutTest(), seen);
                Jsonl.write(layout.heldOutTrain(name), train);
                Jsonl.write(layout.heldOutTest(name), test);
                trainModule(model, prompts.plain(train), name, baseName).save(layout.ceiling(name));
            }
            listener.onProgress("held-out", heldOut.size(), heldOut.size(), "done");
            writeManifest(layout, model.parameterCount());
        }
    }

    /**
     * Saves a pretrained hub base as {@code build-hub} lays it out: the weights (detached from
     * autograd first), the tokenizer and {@code lorahub.json}.
     *
     * @param model the pretrained model
     * @param tokenizer the hub tokenizer
     * @param dir the base folder (created if absent)
     * @throws IOException if writing fails
     */
    public static void saveBase(LlamaModel model, CharTokenizer tokenizer, Path dir)
            throws IOException {
        for (NDArray w : model.weights().values()) {
            w.setRequiresGradient(false);
        }
        Files.createDirectories(dir);
        LlamaFiles.save(model, dir);
        tokenizer.save(dir);
        writeJson(dir, "lorahub.json", layoutDeclaration());
    }

    private LoraModule trainModule(
            LlamaModel model, List<FewShotExample> ex, String name, String baseName) {
        LoraTrainingConfig cfg = moduleConfig(scale).withSeed(taskSeed(name));
        return LoraTrainer.of(cfg).train(model, ex, name, baseName);
    }

    /** {@code {"prompt_template": "{input}>"}}: see docs/examples-and-templates.md. */
    private static ObjectNode layoutDeclaration() {
        ObjectNode root = new ObjectMapper().createObjectNode();
        root.put("prompt_template", PROMPT_TEMPLATE);
        return root;
    }

    private void writeManifest(HubLayout layout, long parameters) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("format", "lorahub-hub/1");
        root.put("command", "lorahub build-hub --scale " + scale.name());
        root.set("scale", json.valueToTree(scale));
        root.put("base_seed", BASE_SEED);
        root.put("data_seed", DATA_SEED);
        root.put("base_parameters", parameters);
        root.set("targets", json.valueToTree(TARGETS));
        ArrayNode pool = root.putArray("pool");
        TaskSuite.poolTasks().forEach(t -> pool.add(t.name()));
        ArrayNode held = root.putArray("held_out");
        TaskSuite.heldOutTasks().forEach(t -> held.add(t.name()));
        ArrayNode pre = root.putArray("pretraining_tasks");
        TaskSuite.pretrainingTasks().forEach(t -> pre.add(t.name()));
        writeJson(layout.root(), layout.manifest().getFileName().toString(), root);
    }

    /** Writes pretty-printed JSON plus a newline into {@code dir/name}, atomically. */
    private static void writeJson(Path dir, String name, ObjectNode root) throws IOException {
        Path tmp = Files.createTempFile(dir, name, ".tmp");
        try {
            Files.writeString(
                    tmp,
                    new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(root)
                            + "\n",
                    StandardCharsets.UTF_8);
            Files.move(
                    tmp,
                    dir.resolve(name),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
