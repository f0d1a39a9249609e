package dev.lorahub.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.jspecify.annotations.Nullable;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The job's tables: the input (one task per row, JSON Lines or Parquet) and the output (one {@link
 * TaskOutcome} per row), their Spark schemas and the conversions.
 *
 * <p>Input columns: {@code task_id} string; {@code examples} array of {@code {input, output}}
 * strings, or {@code examples_path} string; {@code modules} array of strings; {@code model}
 * string; optional {@code revision}, {@code dtype} ({@code f32}, the default, or {@code f16}), {@code recipe}
 * (default {@code paper}), {@code options} (map of {@code lorahub learn}'s options in snake_case
 * to text; in JSON any value, e.g. {@code "budget": 200}) and {@code seed} (long, default 42).
 */
public final class TaskTable {
    private TaskTable() {}

    /** The input columns that must be present. */
    public static final List<String> REQUIRED = List.of("task_id", "modules", "model");

    private static final StructType EXAMPLE =
            new StructType()
                    .add("input", DataTypes.StringType)
                    .add("output", DataTypes.StringType);

    /** The input table's schema. */
    public static final StructType INPUT =
            new StructType()
                    .add("task_id", DataTypes.StringType)
                    .add("examples", DataTypes.createArrayType(EXAMPLE))
                    .add("examples_path", DataTypes.StringType)
                    .add("modules", DataTypes.createArrayType(DataTypes.StringType))
                    .add("model", DataTypes.StringType)
                    .add("revision", DataTypes.StringType)
                    .add("dtype", DataTypes.StringType)
                    .add("recipe", DataTypes.StringType)
                    .add(
                            "options",
                            DataTypes.createMapType(DataTypes.StringType, DataTypes.StringType))
                    .add("seed", DataTypes.LongType);

    /** The output table's schema, in {@link TaskOutcome}'s order, snake_case. */
    public static final StructType OUTPUT =
            new StructType()
                    .add("task_id", DataTypes.StringType, false)
                    .add("state", DataTypes.StringType, false)
                    .add("error", DataTypes.StringType)
                    .add("modules", DataTypes.createArrayType(DataTypes.StringType), false)
                    .add("weights", DataTypes.createArrayType(DataTypes.DoubleType), false)
                    .add("loss", DataTypes.DoubleType, false)
                    .add("score", DataTypes.DoubleType, false)
                    .add("evaluations", DataTypes.IntegerType, false)
                    .add("forward_equivalents", DataTypes.LongType, false)
                    .add("wall_ms", DataTypes.LongType, false)
                    .add("forward_ms", DataTypes.LongType, false)
                    .add("composition_ms", DataTypes.LongType, false)
                    .add("task_ms", DataTypes.LongType, false)
                    .add("adapter_path", DataTypes.StringType)
                    .add("provenance", DataTypes.StringType)
                    .add("spec_sha256", DataTypes.StringType, false)
                    .add("reused", DataTypes.BooleanType, false)
                    .add("attempt", DataTypes.IntegerType, false)
                    .add("executor", DataTypes.StringType, false);

    /** The default seed, {@code lorahub learn}'s. */
    public static final long DEFAULT_SEED = dev.lorahub.LoraHub.DEFAULT_SEED;

    /**
     * Reads a task table.
     *
     * @param spark the session
     * @param path a file or folder
     * @param format {@code jsonl} (JSON Lines, read with {@link #INPUT}'s schema; a malformed line
     *     fails the read) or {@code parquet} (columns matched by name, cast to {@link #INPUT}'s
     *     types; absent optional columns are null)
     * @return the tasks with {@link #INPUT}'s columns
     * @throws IllegalArgumentException naming the path, the column and the columns found when a
     *     required column is missing, or the format when it is unknown
     */
    public static Dataset<Row> read(SparkSession spark, String path, String format) {
        return switch (format) {
            case "jsonl", "json" ->
                    spark.read().schema(INPUT).option("mode", "FAILFAST").json(path);
            case "parquet" -> conform(spark.read().parquet(path), path);
            default ->
                    throw new IllegalArgumentException(
                            "tasks format '" + format + "': expected jsonl or parquet");
        };
    }

    /**
     * @return the table's columns named by {@link #INPUT}, cast to its types, absent optional ones
     *     null
     */
    static Dataset<Row> conform(Dataset<Row> table, String path) {
        List<String> have = Arrays.asList(table.columns());
        List<Column> cols = new ArrayList<>();
        for (StructField f : INPUT.fields()) {
            DataType t = f.dataType();
            if (have.contains(f.name())) {
                cols.add(col(f.name()).cast(t).as(f.name()));
            } else if (REQUIRED.contains(f.name())) {
                throw new IllegalArgumentException(
                        "tasks table "
                                + path
                                + ": no column '"
                                + f.name()
                                + "' (columns: "
                                + have
                                + ")");
            } else {
                cols.add(lit(null).cast(t).as(f.name()));
            }
        }
        return table.select(cols.toArray(new Column[0]));
    }

    /**
     * @param row a row with {@link #INPUT}'s columns
     * @return the task
     * @throws IllegalArgumentException naming the column when a required value is null
     */
    static TaskSpec spec(Row row) {
        String id = row.getAs("task_id");
        if (id == null) {
            throw new IllegalArgumentException("a task has no task_id: " + row);
        }
        List<TaskSpec.Example> examples = new ArrayList<>();
        List<Row> ex = list(row, "examples");
        if (ex != null) {
            for (Row e : ex) {
                String in = e.getAs("input");
                String out = e.getAs("output");
                if (in == null || out == null) {
                    throw new IllegalArgumentException(
                            "task '" + id + "': an inline example lacks 'input' or 'output'");
                }
                examples.add(new TaskSpec.Example(in, out));
            }
        }
        List<String> modules = list(row, "modules");
        String model = row.getAs("model");
        if (modules == null || model == null) {
            throw new IllegalArgumentException(
                    "task '" + id + "': '" + (model == null ? "model" : "modules") + "' is null");
        }
        String dtype = row.getAs("dtype");
        Long seed = row.getAs("seed");
        scala.collection.Map<String, String> opts = row.getAs("options");
        return new TaskSpec(
                id,
                examples,
                row.getAs("examples_path"),
                modules,
                model,
                row.getAs("revision"),
                dtype != null ? dtype : TaskSpec.FLOAT32,
                row.getAs("recipe"),
                opts == null ? Map.of() : CollectionConverters.asJava(opts),
                seed != null ? seed : DEFAULT_SEED);
    }

    private static <T> @Nullable List<T> list(Row row, String column) {
        int i = row.fieldIndex(column);
        return row.isNullAt(i) ? null : row.getList(i);
    }

    /**
     * @param o an outcome
     * @return it as a row of {@link #OUTPUT}
     */
    static Row row(TaskOutcome o) {
        return RowFactory.create(
                o.taskId(),
                o.state(),
                o.error(),
                o.modules().toArray(new String[0]),
                o.weights().toArray(new Double[0]),
                o.loss(),
                o.score(),
                o.evaluations(),
                o.forwardEquivalents(),
                o.wallMs(),
                o.forwardMs(),
                o.compositionMs(),
                o.taskMs(),
                o.adapterPath(),
                o.provenance(),
                o.specSha256(),
                o.reused(),
                o.attempt(),
                o.executor());
    }

    /**
     * @param r a row of {@link #OUTPUT}
     * @return the outcome it holds
     */
    public static TaskOutcome outcome(Row r) {
        return new TaskOutcome(
                r.getAs("task_id"),
                r.getAs("state"),
                r.getAs("error"),
                r.getList(r.fieldIndex("modules")),
                r.getList(r.fieldIndex("weights")),
                r.getAs("loss"),
                r.getAs("score"),
                r.getAs("evaluations"),
                r.getAs("forward_equivalents"),
                r.getAs("wall_ms"),
                r.getAs("forward_ms"),
                r.getAs("composition_ms"),
                r.getAs("task_ms"),
                r.getAs("adapter_path"),
                r.getAs("provenance"),
                r.getAs("spec_sha256"),
                r.getAs("reused"),
                r.getAs("attempt"),
                r.getAs("executor"));
    }
}
