package dev.lorahub.hub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lorahub.FewShotExample;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The pretraining stream read back token by token: its layout, its labels, and that every
 * sequence is a pretraining task (so no held-out task leaks into the base).
 */
class PretrainingDataTest {
    private static final CharTokenizer TOK = new CharTokenizer();
    private static final int BATCH = 64;
    private static final PretrainingData DATA =
            new PretrainingData(new Prompts(TOK), HubBuilder.DATA_SEED, BATCH);
    private static final Pattern INSTRUCTED = Pattern.compile("((?:<[a-z0-9]+>)*)([a-z]+)>(.*)");
    private static final int STEPS = 120;

    @Test
    void every_fourth_step_is_an_in_context_batch_of_a_quarter_as_many_sequences() {
        for (int step = 1; step <= STEPS; step++) {
            List<FewShotExample> batch = DATA.batch(step);
            boolean inContext = step % 4 == 0;
            assertThat(batch).as("step %d", step).hasSize(inContext ? BATCH / 4 : BATCH);
            for (FewShotExample e : batch) {
                String text = TOK.decode(e.inputIds().orElseThrow());
                assertThat(text.contains("|")).as("step %d: %s", step, text).isEqualTo(inContext);
            }
        }
    }

    @Test
    void in_context_sequences_label_every_answer_but_the_first_with_its_terminator() {
        for (int step = 4; step <= STEPS; step += 4) {
            for (FewShotExample e : DATA.batch(step)) {
                int[] ids = e.inputIds().orElseThrow();
                int[] labels = e.labels().orElseThrow();
                String what = "step " + step + ": " + TOK.decode(ids);
                assertThat(ids[0]).as(what).isEqualTo(CharTokenizer.BOS);
                assertThat(ids[ids.length - 1]).as(what).isEqualTo(CharTokenizer.EOS);
                // walk the demonstrations: an answer runs from after '>' to the '|' or EOS
                int demo = 0;
                boolean inAnswer = false;
                for (int j = 0; j < ids.length; j++) {
                    int expected;
                    if (ids[j] == CharTokenizer.SEP) {
                        inAnswer = true;
                        expected = FewShotExample.IGNORE_INDEX;
                    } else if (ids[j] == CharTokenizer.DEMO_SEP) {
                        // labelled: at a query the model learns '|' more often than EOS, which
                        // is why the demo's icl row answers "ttl|j|j..." (docs/hub-and-demo.md)
                        expected = demo > 0 ? ids[j] : FewShotExample.IGNORE_INDEX;
                        inAnswer = false;
                        demo++;
                    } else if (ids[j] == CharTokenizer.EOS) {
                        expected = CharTokenizer.EOS;
                    } else {
                        expected = inAnswer && demo > 0 ? ids[j] : FewShotExample.IGNORE_INDEX;
                    }
                    assertThat(labels[j]).as("%s, token %d", what, j).isEqualTo(expected);
                }
                assertThat(demo + 1).as(what).isBetween(2, 6);
            }
        }
    }

    @Test
    void every_sequence_is_a_pretraining_task_so_no_held_out_task_leaks() {
        List<Task> pretraining = TaskSuite.pretrainingTasks();
        for (int step = 1; step <= STEPS; step++) {
            for (FewShotExample e : DATA.batch(step)) {
                String text = TOK.decode(e.inputIds().orElseThrow());
                if (step % 4 != 0) {
                    Matcher m = INSTRUCTED.matcher(text);
                    assertThat(m.matches()).as(text).isTrue();
                    String ops = m.group(1);
                    String name =
                            ops.isEmpty()
                                    ? "copy"
                                    : ops.substring(1, ops.length() - 1).replace("><", "_");
                    assertThat(pretraining).as(text).contains(Task.parse(name));
                    assertThat(Task.parse(name).apply(m.group(2))).as(text).isEqualTo(m.group(3));
                } else {
                    List<String[]> pairs = new ArrayList<>();
                    for (String demo : text.split("\\|")) {
                        pairs.add(demo.split(">", -1));
                    }
                    // a held-out task may coincide with a pretraining one on some words (dv_sh2
                    // and sh2 on words without vowels); its demonstrations fit none otherwise
                    assertThat(pretraining.stream().filter(t -> fitsAll(t, pairs)))
                            .as("pretraining tasks that fit %s", text)
                            .isNotEmpty();
                }
            }
        }
    }

    private static boolean fitsAll(Task t, List<String[]> pairs) {
        return pairs.stream().allMatch(p -> t.apply(p[0]).equals(p[1]));
    }
}
