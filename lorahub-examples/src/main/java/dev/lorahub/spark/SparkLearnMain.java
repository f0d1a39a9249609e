package dev.lorahub.spark;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The Spark job's entry point for {@code spark-submit --class dev.lorahub.spark.SparkLearnMain}:
 * reads the options, runs {@link SparkLearnJob} in the session spark-submit configured, prints one
 * line per state with its count. Exits 0 when the job ran, whatever its tasks' states (see the
 * results table); non-zero when the job itself could not run (bad options, unreadable table).
 */
@Command(
        name = "lorahub-spark",
        mixinStandardHelpOptions = true,
        description = "LoraHub learn over a table of tasks on Apache Spark (docs/spark.md).")
public final class SparkLearnMain implements Callable<Integer> {
    @Option(names = "--tasks", required = true, paramLabel = "PATH", description = "Task table.")
    String tasks;

    @Option(
            names = "--tasks-format",
            paramLabel = "jsonl|parquet",
            description = "Default: parquet when PATH ends with .parquet, else jsonl.")
    @Nullable String tasksFormat;

    @Option(
            names = "--out",
            required = true,
            paramLabel = "DIR",
            description = "Output folder on storage every executor sees: results/, adapters/.")
    Path out;

    @Option(
            names = "--results-format",
            paramLabel = "parquet|json",
            description = "Format of the results table (default: ${DEFAULT-VALUE}).")
    String resultsFormat = "parquet";

    @Option(
            names = "--cache-dir",
            paramLabel = "DIR",
            description =
                    "Hugging Face hub cache holding the ids the tasks name, on every node"
                            + " (default: HF_HUB_CACHE, HF_HOME/hub, ~/.cache/huggingface/hub).")
    @Nullable Path cacheDir;

    @Option(
            names = "--model-copies",
            paramLabel = "K",
            description =
                    "Copies of each base model per executor; tasks sharing a copy evaluate one at"
                            + " a time (default: ${DEFAULT-VALUE}).")
    int modelCopies = 1;

    @Option(
            names = "--threads",
            paramLabel = "N",
            description = "libtorch threads per executor (default: half its processors).")
    int threads = 0;

    /** Creates the command (picocli). */
    public SparkLearnMain() {}

    /**
     * @param args the options
     */
    public static void main(String[] args) {
        System.exit(new CommandLine(new SparkLearnMain()).execute(args));
    }

    @Override
    public Integer call() {
        String format =
                tasksFormat != null
                        ? tasksFormat
                        : tasks.toLowerCase(Locale.ROOT).endsWith(".parquet") ? "parquet" : "jsonl";
        SparkLearnJob job =
                new SparkLearnJob(tasks, format, out, resultsFormat, cacheDir, modelCopies, threads);
        SparkSession spark = SparkSession.builder().appName("lorahub-learn").getOrCreate();
        try {
            Dataset<Row> results = job.run(spark);
            Map<String, Long> states = new TreeMap<>();
            for (Row r : results.groupBy("state").count().collectAsList()) {
                states.put(r.getString(0), r.getLong(1));
            }
            states.forEach((s, c) -> System.out.println(s + " " + c));
            System.out.println("results: " + SparkLearnJob.results(out));
        } finally {
            spark.stop();
        }
        return 0;
    }
}
