package dev.lorahub.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class WeightDtypeTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource({"f32, F32", "FLOAT32, F32", "fp32, F32", "f16, F16", "float16, F16", "Half, F16"})
    void parses_the_spellings_users_type(String text, WeightDtype want) {
        assertThat(WeightDtype.parse(text)).isEqualTo(want);
        assertThat(WeightDtype.parse(want.toString())).isEqualTo(want);
    }

    @Test
    void bf16_is_refused_with_the_reason_and_the_alternative() {
        assertThatThrownBy(() -> WeightDtype.parse("bf16"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'bf16'")
                .hasMessageContaining("aborts the JVM")
                .hasMessageContaining("use f16");
        assertThatThrownBy(() -> WeightDtype.parse("int8"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown dtype 'int8', expected f32 or f16");
    }
}
