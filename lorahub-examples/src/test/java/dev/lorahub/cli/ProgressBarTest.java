package dev.lorahub.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ProgressBarTest {
    /** A clock the test moves by hand. */
    private long now = 1_000_000_000L;

    private final StringWriter sink = new StringWriter();
    private final PrintWriter err = new PrintWriter(sink, true);

    private ProgressBar bar(long total, ProgressBar.Mode mode) {
        return ProgressBar.start("learn", total, err, mode, () -> now);
    }

    private void advance(long millis) {
        now += TimeUnit.MILLISECONDS.toNanos(millis);
    }

    @Test
    void bar_mode_redraws_one_line_with_carriage_returns_and_ends_it_on_close() {
        try (ProgressBar b = bar(40, ProgressBar.Mode.BAR)) {
            b.update(0);
            advance(200);
            b.update(10, "loss 1.5");
            advance(200);
            b.update(20);
        }
        String s = sink.toString();
        assertThat(s).doesNotContain("\n".repeat(2));
        assertThat(s.chars().filter(c -> c == '\n').count()).as(s).isEqualTo(1);
        assertThat(s).endsWith("\n");
        assertThat(s.split("\r")).hasSize(5); // "" + 3 updates + close
        assertThat(s).contains("learn [======>", "10/40  25%", "20/40  50%", "loss 1.5");
    }

    @Test
    void bar_mode_throttles_redraws_but_always_draws_completion() {
        try (ProgressBar b = bar(1000, ProgressBar.Mode.BAR)) {
            for (int i = 1; i <= 1000; i++) {
                advance(1); // 1000 updates within one second: ~10 redraws
                b.update(i);
            }
        }
        String s = sink.toString();
        long redraws = s.chars().filter(c -> c == '\r').count();
        assertThat(redraws).as(s).isBetween(9L, 14L);
        assertThat(s.strip()).endsWith("1000/1000 100% 00:01");
    }

    @Test
    void bar_reaches_full_width_at_completion() {
        try (ProgressBar b = bar(3, ProgressBar.Mode.BAR)) {
            b.update(3);
        }
        assertThat(sink.toString()).contains("[" + "=".repeat(24) + "]");
    }

    @Test
    void line_mode_prints_plain_lines_no_more_often_than_the_interval() {
        try (ProgressBar b = bar(100, ProgressBar.Mode.LINES)) {
            for (int i = 1; i <= 100; i++) {
                advance(500); // 50 s in total: first line, then one per 10 s
                b.update(i);
            }
        }
        String s = sink.toString();
        assertThat(s).doesNotContain("\r").doesNotContain("[");
        assertThat(s.lines().toList())
                .as(s)
                .hasSize(6) // first at 0.5 s, then at 10.5, 20.5, 30.5, 40.5 s, final on close
                .allMatch(l -> l.startsWith("learn "));
        assertThat(s.lines().toList().get(0)).isEqualTo("learn   1/100   1% 00:00 eta 00:49");
        assertThat(s.lines().toList().get(5)).isEqualTo("learn 100/100 100% 00:50");
    }

    @Test
    void eta_extrapolates_the_elapsed_time_linearly() {
        ProgressBar b = bar(10, ProgressBar.Mode.LINES);
        advance(30_000);
        b.update(3);
        // 30 s for 3 steps: 7 steps left take 70 s
        assertThat(sink.toString().strip()).isEqualTo("learn  3/10  30% 00:30 eta 01:10");
    }

    @Test
    void unknown_total_shows_count_and_time_only() {
        try (ProgressBar b = bar(0, ProgressBar.Mode.BAR)) {
            advance(61_000);
            b.update(7, "tokens");
        }
        String[] redraws = sink.toString().strip().split("\r");
        assertThat(redraws[redraws.length - 1]).isEqualTo("learn 7 01:01 tokens");
    }

    @Test
    void messages_appear_on_their_own_line_and_the_bar_is_redrawn_below() {
        try (ProgressBar b = bar(4, ProgressBar.Mode.BAR)) {
            b.update(1);
            b.message("checkpoint saved");
        }
        String s = sink.toString();
        assertThat(s).contains("\rcheckpoint saved\n");
        assertThat(s.substring(s.indexOf("checkpoint saved\n") + 17)).startsWith("learn [");
    }

    @Test
    void steps_beyond_the_total_are_clamped_and_the_log_gets_no_repeated_final_line() {
        ProgressBar b = bar(5, ProgressBar.Mode.LINES);
        b.update(9);
        b.close();
        b.update(1);
        b.close();
        assertThat(sink.toString().lines().toList()).containsExactly("learn 5/5 100% 00:00");
    }

    @Test
    void long_details_are_cut_to_the_terminal_width_in_bar_mode() {
        try (ProgressBar b = bar(5, ProgressBar.Mode.BAR)) {
            b.update(1, "x".repeat(500));
        }
        for (String segment : sink.toString().split("[\r\n]")) {
            assertThat(segment.length()).isLessThan(500);
        }
    }

    @Test
    void rejects_negative_totals_and_steps() {
        assertThatThrownBy(() -> bar(-1, ProgressBar.Mode.BAR))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-1");
        assertThatThrownBy(() -> bar(3, ProgressBar.Mode.BAR).update(-2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-2");
    }

    @Test
    void clock_formats_minutes_and_hours() {
        assertThat(ProgressBar.clock(TimeUnit.SECONDS.toNanos(59))).isEqualTo("00:59");
        assertThat(ProgressBar.clock(TimeUnit.SECONDS.toNanos(3599))).isEqualTo("59:59");
        assertThat(ProgressBar.clock(TimeUnit.SECONDS.toNanos(3600 + 62))).isEqualTo("1:01:02");
    }
}
