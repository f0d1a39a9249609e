package dev.lorahub.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lorahub.io.FileFormatException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A task's {@value TaskOutcome#FILE} reads back what it was written from, and nothing more. */
class TaskOutcomeTest {
    @TempDir Path tmp;

    private static final TaskOutcome ROW =
            TaskOutcome.failed("task-1", "ab12", "no examples", 42L, 2, "executor 0");

    @Test
    void a_written_row_reads_back_equal() throws Exception {
        Path f = tmp.resolve(TaskOutcome.FILE);
        Files.writeString(f, ROW.toJson());
        assertThat(TaskOutcome.read(f).toJson()).isEqualTo(ROW.toJson());
    }

    @Test
    void a_row_with_content_after_its_object_is_refused_naming_the_byte() throws Exception {
        Path f = tmp.resolve(TaskOutcome.FILE);
        String json = ROW.toJson(); // ends with a newline: the second object starts after it
        Files.writeString(f, json + "{\"task_id\": \"task-2\"}\n");
        assertThatThrownBy(() -> TaskOutcome.read(f))
                .isInstanceOf(FileFormatException.class)
                .hasMessageStartingWith(
                        f
                                + ": not JSON: content after the JSON value at byte "
                                + json.getBytes(StandardCharsets.UTF_8).length
                                + " (line ")
                .message()
                .doesNotContain("\n");
    }
}
