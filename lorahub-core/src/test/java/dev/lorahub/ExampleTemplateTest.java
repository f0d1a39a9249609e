package dev.lorahub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ExampleTemplateTest {
    @Test
    void the_hub_layout_puts_the_separator_after_the_input_and_leaves_the_output() {
        ExampleTemplate hub = ExampleTemplate.of("{input}>");

        assertThat(hub.prompt("abc")).isEqualTo("abc>");
        assertThat(hub.answer("cba")).isEqualTo("cba");
        FewShotExample laidOut = hub.apply(FewShotExample.of("abc", "cba"));
        assertThat(laidOut.input()).contains("abc>");
        assertThat(laidOut.output()).contains("cba");
    }

    @Test
    void literal_text_on_both_sides_is_kept_and_placeholders_in_the_data_are_not_expanded() {
        ExampleTemplate qa = ExampleTemplate.of("Q: {input}\nA:", " {output}.");

        assertThat(qa.prompt("{output}?")).isEqualTo("Q: {output}?\nA:");
        assertThat(qa.answer("{input}")).isEqualTo(" {input}.");
    }

    @Test
    void plain_is_the_identity_on_text_examples() {
        FewShotExample e = ExampleTemplate.PLAIN.apply(FewShotExample.of("x y", "z"));

        assertThat(e.input()).contains("x y");
        assertThat(e.output()).contains("z");
    }

    @Test
    void pre_tokenized_examples_are_never_rewritten() {
        FewShotExample ids = FewShotExample.tokenized(new int[] {1, 5, 6}, new int[] {-100, 5, 6});

        assertThat(ExampleTemplate.of("{input}>").apply(List.of(ids)))
                .singleElement()
                .isSameAs(ids);
    }

    @Test
    void a_side_without_its_placeholder_or_with_it_twice_is_refused_naming_the_side_and_text() {
        assertThatThrownBy(() -> ExampleTemplate.of("input>"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "the prompt side of a template must contain {input} exactly once, got"
                                + " \"input>\"");
        assertThatThrownBy(() -> ExampleTemplate.of("{input}", "{output}{output}"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "the answer side of a template must contain {output} exactly once, got"
                                + " \"{output}{output}\"");
    }
}
