package dev.lorahub.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lorahub.cli.LearnArguments;
import dev.lorahub.model.WeightDtype;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.launcher.JavaModuleOptions;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/** Bad task rows give one-line errors naming the column and value; retries; Java 17 flags. */
class TaskInputTest {
    private static TaskSpec spec(String id, String dtype, List<TaskSpec.Example> ex, String path) {
        return new TaskSpec(id, ex, path, List.of("m"), "base", null, dtype, null, Map.of(), 42);
    }

    private static final List<TaskSpec.Example> ONE = List.of(new TaskSpec.Example("a", "b"));

    @Test
    void an_unsafe_task_id_is_refused_naming_it() {
        assertThatThrownBy(() -> spec("../etc", "f32", ONE, null).validate())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("task_id '../etc'");
        spec("hub.rotr_sh2-1", "f32", ONE, null).validate();
    }

    @Test
    void examples_must_be_given_one_way() {
        assertThatThrownBy(() -> spec("t", "f32", ONE, "e.jsonl").validate())
                .hasMessageContaining("'t'")
                .hasMessageEndingWith("not both");
        assertThatThrownBy(() -> spec("t", "f32", List.of(), null).validate())
                .hasMessageEndingWith("not neither");
    }

    @Test
    void a_dtype_the_backends_do_not_run_is_refused_naming_it() {
        assertThatThrownBy(() -> spec("t", "bf16", ONE, null).validate())
                .hasMessageContaining("'t'")
                .hasMessageContaining("dtype 'bf16'");
        assertThatThrownBy(() -> spec("t", "f8", ONE, null).validate())
                .hasMessageContaining("dtype 'f8'");
        assertThat(spec("t", "float16", ONE, null).weightDtype()).isEqualTo(WeightDtype.F16);
    }

    @Test
    void options_are_checked_naming_key_and_value() {
        assertThatThrownBy(() -> LearnArguments.fromOptions(null, Map.of("budget", "many"), 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'budget'")
                .hasMessageContaining("'many'");
        assertThatThrownBy(() -> LearnArguments.fromOptions(null, Map.of("seed", "3"), 1))
                .hasMessageContaining("unknown option 'seed'");
        assertThatThrownBy(() -> LearnArguments.fromOptions("fast", Map.of(), 1))
                .hasMessageContaining("fast");
        assertThatThrownBy(
                        () -> LearnArguments.fromOptions(null, Map.of("strategy", "average"), 1))
                .hasMessageContaining("average");
    }

    @Test
    void the_task_hash_ignores_option_order_and_sees_every_setting() {
        TaskSpec a =
                new TaskSpec("t", ONE, null, List.of("m"), "b", null, "f32", null,
                        Map.of("budget", "5", "select", "all"), 1);
        TaskSpec b =
                new TaskSpec("t", ONE, null, List.of("m"), "b", null, "f32", null,
                        new java.util.TreeMap<>(Map.of("select", "all", "budget", "5")), 1);
        TaskSpec seed2 =
                new TaskSpec("t", ONE, null, List.of("m"), "b", null, "f32", null,
                        Map.of("budget", "5", "select", "all"), 2);
        assertThat(a.sha256()).isEqualTo(b.sha256()).isNotEqualTo(seed2.sha256());
    }

    @Test
    void spark_retries_as_many_times_as_the_master_or_the_conf_says() {
        SparkConf conf = new SparkConf(false);
        assertThat(SparkLearnJob.maxAttempts("local[2]", conf)).isEqualTo(1);
        assertThat(SparkLearnJob.maxAttempts("local", conf)).isEqualTo(1);
        assertThat(SparkLearnJob.maxAttempts("local[2,3]", conf)).isEqualTo(3);
        assertThat(SparkLearnJob.maxAttempts("local[*, 2]", conf)).isEqualTo(2);
        assertThat(SparkLearnJob.maxAttempts("yarn", conf)).isEqualTo(4);
        conf.set("spark.task.maxFailures", "6");
        assertThat(SparkLearnJob.maxAttempts("k8s://https://host:6443", conf)).isEqualTo(6);
    }

    @Test
    void a_parquet_table_without_a_required_column_is_refused_naming_it() {
        StructType schema = new StructType().add("task_id", DataTypes.StringType);
        var table =
                LocalSpark.session()
                        .createDataFrame(List.<Row>of(RowFactory.create("t")), schema);
        assertThatThrownBy(() -> TaskTable.conform(table, "tasks.parquet"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("tasks table tasks.parquet: no column 'modules' (columns: [task_id])");
    }

    @Test
    void the_test_jvm_has_every_option_spark_needs_on_java_17() {
        List<String> args = ManagementFactory.getRuntimeMXBean().getInputArguments();
        for (String option : JavaModuleOptions.defaultModuleOptionArray()) {
            assertThat(args).as("surefire's argLine (spark.jvm.flags in lorahub-examples/pom.xml)").contains(option);
        }
    }
}
