package dev.lorahub.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lorahub.FewShotExample;
import dev.lorahub.model.WeightDtype;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * One row of the job's input table: a LoraHub run to do. See {@link TaskTable} for the columns.
 *
 * @param taskId the task's id; names its output folder, so letters, digits, {@code . _ -} only
 * @param examples the few-shot examples inline as {@code {input, output}} text, or empty
 * @param examplesPath a JSON Lines file of examples ({@code lorahub learn --examples}), or null
 * @param modules adapter folders, folders of adapter folders, or Hugging Face ids ({@code
 *     org/name[@rev]}), as {@code lorahub learn --modules}
 * @param model the base model: a folder or file, or a Hugging Face id
 * @param revision the model's revision when it is an id, or null for {@code main}
 * @param dtype how the base model keeps its weights: {@code f32} (exact) or {@code f16} ({@link
 *     WeightDtype#parse(String)}), as {@code lorahub learn --dtype}
 * @param recipe {@code paper} or {@code best}, or null for {@code paper}
 * @param options {@code lorahub learn}'s options in snake_case ({@code
 *     dev.lorahub.cli.LearnArguments#OPTION_KEYS}), as text
 * @param seed seed of selection and optimizer
 */
public record TaskSpec(
        String taskId,
        List<Example> examples,
        @Nullable String examplesPath,
        List<String> modules,
        String model,
        @Nullable String revision,
        String dtype,
        @Nullable String recipe,
        Map<String, String> options,
        long seed)
        implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The default dtype, exact float32 weights. */
    public static final String FLOAT32 = "f32";

    private static final Pattern SAFE_ID = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}");

    /**
     * An inline text example.
     *
     * @param input the input text
     * @param output the expected output text
     */
    public record Example(String input, String output) implements Serializable {
        private static final long serialVersionUID = 1L;

        /** Checks for nulls. */
        public Example {
            Objects.requireNonNull(input, "input");
            Objects.requireNonNull(output, "output");
        }
    }

    /** Copies; sorts the options by key so that equal tasks hash equally. */
    public TaskSpec {
        Objects.requireNonNull(taskId, "taskId");
        examples = List.copyOf(examples);
        modules = List.copyOf(modules);
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(dtype, "dtype");
        options = Map.copyOf(new TreeMap<>(options));
    }

    /**
     * Checks what the row alone can tell: a safe id, examples given one way, modules, dtype.
     *
     * @throws IllegalArgumentException naming the task, the column and the value
     */
    public void validate() {
        if (!SAFE_ID.matcher(taskId).matches()) {
            throw new IllegalArgumentException(
                    "task_id '"
                            + taskId
                            + "': use 1-200 letters, digits, '.', '_' or '-', not starting with"
                            + " '.' (it names the task's output folder)");
        }
        if (examples.isEmpty() == (examplesPath == null)) {
            throw new IllegalArgumentException(
                    "task '"
                            + taskId
                            + "': give the examples either inline ('examples') or as a file"
                            + " ('examples_path'), not "
                            + (examples.isEmpty() ? "neither" : "both"));
        }
        if (modules.isEmpty()) {
            throw new IllegalArgumentException("task '" + taskId + "': 'modules' is empty");
        }
        weightDtype();
    }

    /**
     * @return {@link #dtype()} parsed
     * @throws IllegalArgumentException naming the task and the value when it is not a dtype
     */
    public WeightDtype weightDtype() {
        try {
            return WeightDtype.parse(dtype);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("task '" + taskId + "': " + e.getMessage(), e);
        }
    }

    /**
     * @return the inline examples as the library takes them
     */
    public List<FewShotExample> fewShot() {
        List<FewShotExample> out = new ArrayList<>(examples.size());
        for (Example e : examples) {
            out.add(FewShotExample.of(e.input(), e.output()));
        }
        return out;
    }

    /**
     * @return this task as canonical JSON (fixed key order, options sorted)
     */
    public String toJson() {
        ObjectMapper om = new ObjectMapper();
        ObjectNode n = om.createObjectNode();
        n.put("task_id", taskId);
        ArrayNode ex = n.putArray("examples");
        for (Example e : examples) {
            ex.addObject().put("input", e.input()).put("output", e.output());
        }
        n.put("examples_path", examplesPath);
        ArrayNode mods = n.putArray("modules");
        modules.forEach(mods::add);
        n.put("model", model);
        n.put("revision", revision);
        n.put("dtype", dtype);
        n.put("recipe", recipe);
        ObjectNode opts = n.putObject("options");
        new TreeMap<>(options).forEach(opts::put);
        n.put("seed", seed);
        return n.toString();
    }

    /**
     * @return the SHA-256 of {@link #toJson()}, lower-case hex: a completed output is reused only
     *     for the same task
     */
    public String sha256() {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(md.digest(toJson().getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
