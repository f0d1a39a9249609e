package dev.lorahub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.SplittableRandom;

/** {@link CatGradient#directional}: {@code <G, s B A>} against the product formed explicitly. */
class CatGradientTest {

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void the_projection_equals_the_frobenius_product_with_delta_w(boolean fanInFanOut) {
        for (long seed = 0; seed < 20; seed++) {
            SplittableRandom rnd = new SplittableRandom(seed);
            int out = 1 + rnd.nextInt(7);
            int in = 1 + rnd.nextInt(7);
            int r = 1 + rnd.nextInt(4);
            LoraLayer layer =
                    new LoraLayer(
                            "m",
                            r,
                            in,
                            out,
                            gaussian(rnd, r * in),
                            gaussian(rnd, out * r),
                            0.5 + rnd.nextDouble(),
                            fanInFanOut);
            float[] g = gaussian(rnd, out * in);
            float[] delta = layer.deltaWeight(); // laid out as the stored weight
            double expected = 0;
            for (int i = 0; i < g.length; i++) {
                expected += (double) g[i] * delta[i];
            }
            assertThat(CatGradient.directional(g, layer))
                    .as("seed %d", seed)
                    .isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-5));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {3, 5})
    void a_gradient_of_the_wrong_size_is_refused_naming_the_layer(int size) {
        LoraLayer layer =
                new LoraLayer("layers.0.proj", 1, 2, 2, new float[2], new float[2], 1, false);
        assertThatThrownBy(() -> CatGradient.directional(new float[size], layer))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("layers.0.proj")
                .hasMessageContaining("2x2");
    }

    private static float[] gaussian(SplittableRandom rnd, int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return out;
    }
}
