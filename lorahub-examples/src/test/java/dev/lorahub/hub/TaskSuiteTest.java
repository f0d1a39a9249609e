package dev.lorahub.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TaskSuiteTest {
    @ParameterizedTest
    @CsvSource({
        "dv, banana, bnn",
        "rev, abc, cba",
        "rotl, abcd, bcda",
        "rotr, abcd, dabc",
        "swap, abcde, badce",
        "atb, abc, zyx",
        "sh1, abz, bca",
        "sh2, abz, cdb",
        "sh3, abz, dec",
        "dup, abc, aabbcc",
        "len, abcde, 5",
        "cntv, banana, 3",
        "f3, abcde, abc",
        "l3, abcde, cde",
        "dv_rev_sh1, banana, ooc",
        "rev_atb, abc, xyz",
        "sh1_dup, az, bbaa"
    })
    void operations_match_their_documented_examples(String task, String in, String out) {
        assertThat(Task.parse(task).apply(in)).isEqualTo(out);
    }

    @Test
    void held_out_tasks_are_unseen_by_the_pool_and_by_pretraining() {
        Set<String> heldOut = names(TaskSuite.heldOutTasks());
        assertThat(heldOut).hasSizeGreaterThanOrEqualTo(8);
        assertThat(names(TaskSuite.poolTasks()))
                .hasSizeGreaterThanOrEqualTo(24)
                .doesNotContainAnyElementsOf(heldOut);
        assertThat(names(TaskSuite.pretrainingTasks()))
                .doesNotContainAnyElementsOf(heldOut)
                .containsAll(names(TaskSuite.poolTasks()))
                .contains("copy");
    }

    @Test
    void every_skill_of_a_held_out_task_has_a_single_operation_module() {
        Set<String> pool = names(TaskSuite.poolTasks());
        for (Task t : TaskSuite.heldOutTasks()) {
            for (Op op : t.ops()) {
                assertThat(pool).as("skill %s of %s", op.code(), t).contains(op.code());
            }
        }
    }

    @Test
    void examples_are_deterministic_distinct_and_respect_exclusions() {
        Task t = Task.parse("dv_rotl");
        List<TaskExample> a = t.examples(7, 200);
        assertThat(t.examples(7, 200)).isEqualTo(a);
        assertThat(t.examples(8, 200)).isNotEqualTo(a);
        Set<String> inputs = new HashSet<>();
        for (TaskExample e : a) {
            assertThat(inputs.add(e.input())).as("duplicate input %s", e.input()).isTrue();
            assertThat(e.output()).isEqualTo(t.apply(e.input())).isNotEmpty();
            assertThat(e.input().length()).isBetween(Task.MIN_LENGTH, Task.MAX_LENGTH);
        }
        for (TaskExample e : t.examples(9, 300, inputs)) {
            assertThat(inputs).doesNotContain(e.input());
        }
    }

    @Test
    void rejects_pipelines_out_of_slot_order() {
        assertThatThrownBy(() -> Task.of(Op.SHIFT_1, Op.REVERSE))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Task.of(Op.LENGTH, Op.REVERSE))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Task.parse("nope")).hasMessageContaining("nope");
    }

    private static Set<String> names(List<Task> tasks) {
        Set<String> out = new HashSet<>();
        for (Task t : tasks) {
            assertThat(out.add(t.name())).as("task %s listed twice", t).isTrue();
        }
        return out;
    }
}
