package dev.lorahub.spark;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lorahub.cli.LoraHubCli;
import dev.lorahub.testing.TestData;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A task read from Parquet, naming its base model and one module by Hugging Face id (the hf-cache
 * fixture, written by huggingface_hub) or its modules by folder (hf-tiny llama), gives the files
 * {@code lorahub learn} writes for the same settings and seed, byte for byte, with float32 and with
 * float16 weights ({@code dtype} f16, {@code learn --dtype f16}). The job runs on Spark's task
 * threads and {@code learn} on this one; with f16 that once gave losses about 2e-6 apart, because
 * the float16 linear chose its kernel by the thread's libtorch grad mode (docs/spark.md).
 */
class SparkLearnEqualsLearnTest {
    private static final String MODEL = "lorahub-test/tiny-llama";
    private static final String ADAPTER = "lorahub-test/tiny-llama-adapter-0@main";

    private final SparkSession spark = LocalSpark.session();

    @TempDir Path tmp;

    @ParameterizedTest(name = "dtype {0}")
    @ValueSource(strings = {"f32", "f16"})
    void parquet_tasks_give_the_files_of_lorahub_learn_byte_for_byte(String dtype)
            throws IOException {
        boolean half = dtype.equals("f16");
        String hub = TestData.require("hf-cache").resolve("hub").toString();
        Path examples = tmp.resolve("examples.jsonl");
        Files.writeString(
                examples,
                "{\"input_ids\":[1,45,77,3,190,23,5,88],\"labels\":[1,45,77,3,190,23,5,88]}\n"
                        + "{\"input_ids\":[1,12,200,31,9,140]}\n");
        // a folder of adapter folders with the model by id at a revision; a module by id
        String folders = TestData.require("hf-tiny/llama/adapters").toString();
        Map<String, List<String>> learnArgs =
                Map.of(
                        "folders", List.of("--modules", folders, "--revision", "dev"),
                        "ids", List.of("--modules", ADAPTER));
        Map<String, Path> learned = new java.util.TreeMap<>();
        for (Map.Entry<String, List<String>> e : learnArgs.entrySet()) {
            Path dir = tmp.resolve("learned-" + e.getKey());
            List<String> args = new java.util.ArrayList<>(List.of(
                    "learn", "--model", MODEL, "--cache-dir", hub,
                    "--examples", examples.toString(), "--strategy", "cat",
                    "--optimizer", "quadratic", "--budget", "15", "--seed", "7",
                    "--out", dir.toString()));
            args.addAll(e.getValue());
            if (half) {
                args.addAll(List.of("--dtype", "f16"));
            }
            StringWriter err = new StringWriter();
            CommandLine cli = LoraHubCli.commandLine();
            cli.setErr(new PrintWriter(err, true));
            cli.setOut(new PrintWriter(new StringWriter(), true));
            assertThat(cli.execute(args.toArray(new String[0]))).as(err.toString()).isZero();
            learned.put(e.getKey(), dir);
        }

        // Parquet without the optional examples and recipe columns
        StructType schema =
                new StructType()
                        .add("task_id", DataTypes.StringType)
                        .add("examples_path", DataTypes.StringType)
                        .add("modules", DataTypes.createArrayType(DataTypes.StringType))
                        .add("model", DataTypes.StringType)
                        .add("revision", DataTypes.StringType)
                        .add("dtype", DataTypes.StringType)
                        .add("options", DataTypes.createMapType(DataTypes.StringType, DataTypes.StringType))
                        .add("seed", DataTypes.LongType);
        scala.collection.Map<String, String> options =
                scala.jdk.javaapi.CollectionConverters.asScala(
                        Map.of("strategy", "cat", "optimizer", "quadratic", "budget", "15"));
        List<Row> tasks =
                List.of(
                        RowFactory.create(
                                "folders", examples.toString(), new String[] {folders}, MODEL,
                                "dev", half ? "f16" : null, options, 7L),
                        RowFactory.create(
                                "ids", examples.toString(), new String[] {ADAPTER}, MODEL, null,
                                dtype, options, 7L));
        String table = tmp.resolve("tasks.parquet").toString();
        spark.createDataFrame(tasks, schema).write().parquet(table);

        Path out = tmp.resolve("out");
        Map<String, TaskOutcome> rows =
                SparkLearnJobTest.byId(
                        new SparkLearnJob(table, "parquet", out, "json", Path.of(hub), 1, 0)
                                .run(spark)
                                .collectAsList());
        assertThat(rows.keySet()).containsExactlyInAnyOrder("folders", "ids");
        for (String id : rows.keySet()) {
            TaskOutcome row = rows.get(id);
            assertThat(row.error()).as(id).isNull();
            Path dir = Path.of(row.adapterPath());
            assertThat(dir).isEqualTo(SparkLearnJob.adapters(out).resolve(id).toAbsolutePath());
            Path want = learned.get(id);
            for (String f :
                    List.of("adapter_model.safetensors", "adapter_config.json", "weights.json")) {
                assertThat(dir.resolve(f)).as(id + ": " + f).hasSameBinaryContentAs(want.resolve(f));
            }
            assertThat(withoutElapsed(dir.resolve("trace.csv")))
                    .as(id)
                    .isEqualTo(withoutElapsed(want.resolve("trace.csv")));
            assertThat(row.evaluations()).as(id).isEqualTo(15);
        }
        assertThat(rows.get("folders").modules()).hasSize(3);
    }

    /** trace.csv without its elapsed_ms column (wall time differs between runs). */
    private static List<String> withoutElapsed(Path trace) throws IOException {
        return Files.readAllLines(trace).stream().map(l -> l.replaceFirst(",[^,]*", "")).toList();
    }
}
