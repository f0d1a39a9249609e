package dev.lorahub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** {@link LoraLayer#deltaWeight()} against hand-computed products, copying, and validation. */
class LoraLayerTest {
    // A [2, 3], B [2, 2]: B @ A = [[1*1 + 2*4, 1*2 + 2*5, 1*3 + 2*6], [3*1 + 4*4, ...]]
    private static final float[] A = {1, 2, 3, 4, 5, 6};
    private static final float[] B = {1, 2, 3, 4};
    private static final float[] BA = {9, 12, 15, 19, 26, 33};

    @Test
    void delta_weight_is_scaling_times_b_at_a_as_out_by_in() {
        LoraLayer l = new LoraLayer("q", 2, 3, 2, A, B, 0.5, false);
        float[] expected = new float[6];
        for (int i = 0; i < 6; i++) {
            expected[i] = 0.5f * BA[i];
        }
        // every value is a small integer times 0.5: exact in float32
        assertThat(l.deltaWeight()).containsExactly(expected);
    }

    @Test
    void fan_in_fan_out_gives_the_transpose_as_in_by_out() {
        LoraLayer l = new LoraLayer("c_attn", 2, 3, 2, A, B, -2.0, true);
        assertThat(l.deltaWeight()).containsExactly(-18, -38, -24, -52, -30, -66);
    }

    @Test
    void factors_are_copied_in_and_out() {
        float[] a = A.clone();
        LoraLayer l = new LoraLayer("q", 2, 3, 2, a, B, 1.0, false);
        a[0] = 100;
        l.loraA()[1] = 100;
        l.loraB()[0] = 100;
        assertThat(l.loraA()).containsExactly(A);
        assertThat(l.loraB()).containsExactly(B);
        assertThat(l.deltaWeight()).containsExactly(BA);
    }

    @Test
    void views_show_the_factors_without_a_copy_and_refuse_writes() {
        LoraLayer l = new LoraLayer("q", 2, 3, 2, A, B, 1.0, false);
        java.nio.FloatBuffer a = l.loraAView();
        java.nio.FloatBuffer b = l.loraBView();
        float[] seenA = new float[a.remaining()];
        float[] seenB = new float[b.remaining()];
        a.duplicate().get(seenA);
        b.duplicate().get(seenB);
        assertThat(seenA).containsExactly(A);
        assertThat(seenB).containsExactly(B);
        assertThat(a.isReadOnly()).isTrue();
        assertThatThrownBy(() -> a.put(0, 1f))
                .isInstanceOf(java.nio.ReadOnlyBufferException.class);
        assertThatThrownBy(() -> b.put(0, 1f))
                .isInstanceOf(java.nio.ReadOnlyBufferException.class);
        assertThat(l.loraA()).containsExactly(A);
    }

    @Test
    void copy_into_fills_the_callers_buffer_at_the_offset_and_later_writes_do_not_reach_the_layer() {
        LoraLayer l = new LoraLayer("q", 2, 3, 2, A, B, 1.0, false);
        float[] buf = new float[2 + A.length + B.length];
        l.copyLoraA(buf, 2);
        l.copyLoraB(buf, 2 + A.length);
        assertThat(buf).containsExactly(0, 0, 1, 2, 3, 4, 5, 6, 1, 2, 3, 4);
        java.util.Arrays.fill(buf, 100);
        assertThat(l.deltaWeight()).containsExactly(BA);
        assertThatThrownBy(() -> l.copyLoraA(new float[A.length], 1))
                .isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void with_scaling_keeps_the_factors_and_changes_only_the_scaling() {
        LoraLayer l = new LoraLayer("q", 2, 3, 2, A, B, 1.0, true).withScaling(3.0);
        assertThat(l.scaling()).isEqualTo(3.0);
        assertThat(l.fanInFanOut()).isTrue();
        assertThat(l.loraA()).containsExactly(A);
        assertThat(l.loraB()).containsExactly(B);
    }

    @Test
    void refuses_factors_of_the_wrong_length_or_a_non_finite_scaling_naming_the_layer() {
        assertThatThrownBy(() -> new LoraLayer("q", 2, 3, 2, new float[5], B, 1.0, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'q'")
                .hasMessageContaining("5");
        assertThatThrownBy(() -> new LoraLayer("q", 2, 3, 2, A, new float[3], 1.0, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'q'")
                .hasMessageContaining("3");
        assertThatThrownBy(() -> new LoraLayer("q", 2, 3, 2, A, B, Double.NaN, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'q'")
                .hasMessageContaining("NaN");
        assertThatThrownBy(() -> new LoraLayer("q", 0, 3, 2, new float[0], new float[0], 1, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("r=0");
    }
}
