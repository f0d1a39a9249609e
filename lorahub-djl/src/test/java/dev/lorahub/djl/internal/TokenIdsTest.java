package dev.lorahub.djl.internal;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TokenIdsTest {

    @Test
    void accepts_every_id_from_zero_to_the_last_row_of_the_vocabulary() {
        assertThatCode(() -> TokenIds.requireInVocab(new int[] {0, 5, 9}, 10, "ids"))
                .doesNotThrowAnyException();
        assertThatCode(() -> TokenIds.requireLabelsInVocab(new int[] {-100, 0, 9}, 10, "labels"))
                .doesNotThrowAnyException();
    }

    @Test
    void rejects_the_vocabulary_size_itself_naming_the_id_and_its_position() {
        assertThatThrownBy(() -> TokenIds.requireInVocab(new int[] {1, 2, 10}, 10, "input ids"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("input ids")
                .hasMessageContaining("id 10 at position 2")
                .hasMessageContaining("[0, 10)");
    }

    @Test
    void rejects_negative_ids_and_allows_the_ignore_index_only_in_labels() {
        assertThatThrownBy(() -> TokenIds.requireInVocab(new int[] {-100}, 10, "ids"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("id -100 at position 0");
        assertThatThrownBy(() -> TokenIds.requireLabelsInVocab(new int[] {-100, -1}, 10, "labels"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("id -1 at position 1");
    }
}
