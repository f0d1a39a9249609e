package dev.lorahub.spark;

import dev.lorahub.djl.DjlRuntime;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.Partitioner;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.jspecify.annotations.Nullable;
import scala.Tuple2;

/**
 * LoraHub over a table of tasks on Apache Spark: each task is one Spark task (one partition), run
 * by {@link TaskRunner} on its executor's cached base model and modules, and reported as one row of
 * {@link TaskTable#OUTPUT}, written under {@code <out>/results} (Parquet or JSON Lines) with each
 * composed adapter under {@code <out>/adapters/<task_id>/}. See docs/spark.md.
 *
 * <p>Failures: a task that throws is rethrown to Spark, which runs it again, up to the job's
 * {@code spark.task.maxFailures} attempts ({@code local[N,F]}: F; plain {@code local[N]}: 1); the
 * last attempt reports the error in the task's row instead of throwing, so one bad task never fails
 * the job. Re-running the job skips the tasks whose output folder is complete.
 *
 * @param tasks the task table (file or folder)
 * @param tasksFormat {@code jsonl} or {@code parquet}
 * @param out the output folder (shared storage on a cluster)
 * @param resultsFormat {@code parquet} or {@code json}
 * @param hfCache the Hugging Face hub cache for ids on every node, or null for the environment's
 * @param modelCopies copies of each base model an executor may hold (tasks of one executor share a
 *     copy's per-model lock)
 * @param threads libtorch intra-op threads per executor, or 0 for lorahub's default
 */
public record SparkLearnJob(
        String tasks,
        String tasksFormat,
        Path out,
        String resultsFormat,
        @Nullable Path hfCache,
        int modelCopies,
        int threads) {

    /** Checks the arguments. */
    public SparkLearnJob {
        Objects.requireNonNull(tasks, "tasks");
        Objects.requireNonNull(tasksFormat, "tasksFormat");
        Objects.requireNonNull(out, "out");
        if (!resultsFormat.equals("parquet") && !resultsFormat.equals("json")) {
            throw new IllegalArgumentException(
                    "results format '" + resultsFormat + "': expected parquet or json");
        }
        if (modelCopies < 1 || threads < 0) {
            throw new IllegalArgumentException(
                    "model copies must be at least 1 and threads at least 0, got "
                            + modelCopies
                            + " and "
                            + threads);
        }
    }

    /**
     * @param out an output folder
     * @return where the job writes its results table in it
     */
    public static Path results(Path out) {
        return out.resolve("results");
    }

    /**
     * @param out an output folder
     * @return where the job writes each task's output folder in it
     */
    public static Path adapters(Path out) {
        return out.resolve("adapters");
    }

    /**
     * Runs every task and writes the results table (replacing a previous one).
     *
     * @param spark the session
     * @return the results table, read back from where it was written
     */
    public Dataset<Row> run(SparkSession spark) {
        Dataset<Row> table = TaskTable.read(spark, tasks, tasksFormat);
        Set<String> duplicates = new HashSet<>();
        for (Row r :
                table.groupBy("task_id").count().filter("count > 1").select("task_id").collectAsList()) {
            duplicates.add(r.getString(0));
        }
        int maxAttempts = maxAttempts(spark.sparkContext().master(), spark.sparkContext().getConf());
        long n = table.count();
        JavaRDD<Row> rows =
                table.javaRDD()
                        .zipWithIndex()
                        .mapToPair(t -> new Tuple2<>(t._2(), t._1()))
                        .partitionBy(new OnePerPartition((int) Math.max(1, n)))
                        .mapPartitions(
                                new RunTasks(
                                        new TaskRunner(
                                                adapters(out).toString(),
                                                hfCache == null ? null : hfCache.toString(),
                                                modelCopies),
                                        maxAttempts,
                                        threads,
                                        duplicates));
        Dataset<Row> results = spark.createDataFrame(rows, TaskTable.OUTPUT);
        String where = results(out).toString();
        results.write().mode("overwrite").format(resultsFormat).save(where);
        return spark.read().schema(TaskTable.OUTPUT).format(resultsFormat).load(where);
    }

    private static final Pattern LOCAL = Pattern.compile("local\\[\\s*(\\*|\\d+)\\s*,\\s*(\\d+)\\s*]");

    /**
     * How many times Spark runs a failing task: {@code local[N,F]} gives F, any other local master
     * 1 (Spark's local scheduler does not retry), a cluster {@code spark.task.maxFailures}
     * (default 4).
     *
     * @param master the master URL
     * @param conf the job's configuration
     * @return the attempts, at least 1
     */
    static int maxAttempts(String master, SparkConf conf) {
        Matcher m = LOCAL.matcher(master.strip());
        if (m.matches()) {
            return Math.max(1, Integer.parseInt(m.group(2)));
        }
        if (master.strip().startsWith("local")) {
            return 1;
        }
        return Math.max(1, conf.getInt("spark.task.maxFailures", 4));
    }

    /** Puts the task of index i into partition i. */
    static final class OnePerPartition extends Partitioner {
        private static final long serialVersionUID = 1L;
        private final int n;

        OnePerPartition(int n) {
            this.n = n;
        }

        @Override
        public int numPartitions() {
            return n;
        }

        @Override
        public int getPartition(Object key) {
            return (int) ((Long) key % n);
        }
    }

    /** Runs the tasks of a partition on an executor. */
    static final class RunTasks implements FlatMapFunction<Iterator<Tuple2<Long, Row>>, Row> {
        private static final long serialVersionUID = 1L;
        private final TaskRunner runner;
        private final int maxAttempts;
        private final int threads;
        private final Set<String> duplicates;

        RunTasks(TaskRunner runner, int maxAttempts, int threads, Set<String> duplicates) {
            this.runner = runner;
            this.maxAttempts = maxAttempts;
            this.threads = threads;
            this.duplicates = Set.copyOf(duplicates);
        }

        @Override
        public Iterator<Row> call(Iterator<Tuple2<Long, Row>> tasks) throws Exception {
            if (threads > 0) {
                DjlRuntime.setThreads(threads);
            }
            TaskContext ctx = TaskContext.get();
            int attempt = ctx == null ? 1 : ctx.attemptNumber() + 1;
            String executor = executor();
            List<Row> out = new ArrayList<>();
            while (tasks.hasNext()) {
                Tuple2<Long, Row> t = tasks.next();
                out.add(TaskTable.row(one(t._1(), t._2(), attempt, executor)));
            }
            return out.iterator();
        }

        private TaskOutcome one(long index, Row row, int attempt, String executor)
                throws Exception {
            long start = System.nanoTime();
            TaskSpec spec;
            try {
                spec = TaskTable.spec(row);
            } catch (IllegalArgumentException e) {
                return TaskOutcome.failed(
                        "row-" + index, "", oneLine(e), 0, attempt, executor);
            }
            if (duplicates.contains(spec.taskId())) {
                return TaskOutcome.failed(
                        spec.taskId(),
                        spec.sha256(),
                        "task_id '"
                                + spec.taskId()
                                + "' appears more than once in the tasks table; none of its rows"
                                + " is run",
                        0,
                        attempt,
                        executor);
            }
            try {
                return runner.run(spec, attempt, executor);
            } catch (Exception | OutOfMemoryError e) {
                if (attempt < maxAttempts) {
                    throw e; // Spark runs the task again
                }
                return TaskOutcome.failed(
                        spec.taskId(),
                        spec.sha256(),
                        oneLine(e),
                        (System.nanoTime() - start) / 1_000_000,
                        attempt,
                        executor);
            }
        }

        private static String executor() {
            SparkEnv env = SparkEnv.get();
            String id = env == null ? "?" : env.executorId();
            try {
                return id + "@" + InetAddress.getLocalHost().getHostName();
            } catch (UnknownHostException e) {
                return id;
            }
        }
    }

    /** The exception's type and message on one line, its causes' messages appended. */
    static String oneLine(Throwable e) {
        StringBuilder b = new StringBuilder(e.getClass().getSimpleName());
        b.append(": ").append(e.getMessage());
        for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            if (c.getMessage() != null && !b.toString().contains(c.getMessage())) {
                b.append(" (caused by ").append(c.getClass().getSimpleName()).append(": ");
                b.append(c.getMessage()).append(')');
            }
        }
        return b.toString().replace('\n', ' ').replace('\r', ' ');
    }
}
