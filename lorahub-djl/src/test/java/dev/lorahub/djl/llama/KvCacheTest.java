package dev.lorahub.djl.llama;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class KvCacheTest {
    @ParameterizedTest
    @EnumSource(RopeStyle.class)
    void cached_steps_give_the_logits_of_the_full_forward(RopeStyle style) {
        LlamaConfig c =
                LlamaConfig.builder("mistral")
                        .sizes(30, 24, 40, 2, 6, 2)
                        .rmsNormEps(1e-5)
                        .ropeTheta(500.0)
                        .ropeStyle(style)
                        .tieWordEmbeddings(true)
                        .initializerRange(0.2)
                        .maxPositionEmbeddings(64)
                        .build();
        Random rnd = new Random(17);
        int b = 2;
        int t = 7;
        int[] ids = new int[b * t];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = rnd.nextInt(30);
        }
        try (NDManager root = NDManager.newBaseManager();
                LlamaModel model = LlamaModel.create(c, 4, root);
                NDManager call = root.newSubManager()) {
            float[] full = model.forward(call.create(ids, new Shape(b, t)), null).toFloatArray();
            KvCache cache = new KvCache(c.numLayers());
            // a prompt of 3 positions, then one position at a time
            int[] mask = new int[b * t];
            java.util.Arrays.fill(mask, 1);
            int done = 0;
            for (int step : new int[] {3, 1, 1, 1, 1}) {
                NDArray x =
                        call.create(ids, new Shape(b, t))
                                .get(new NDIndex(":, {}:{}", done, done + step));
                NDArray m =
                        call.create(mask, new Shape(b, t)).get(new NDIndex(":, :{}", done + step));
                float[] got = model.forward(x, m, null, cache, Map.of()).toFloatArray();
                for (int r = 0; r < b; r++) {
                    for (int i = 0; i < step; i++) {
                        for (int v = 0; v < 30; v++) {
                            float want = full[((r * t) + done + i) * 30 + v];
                            // float32, different op order: 1e-5 absolute on logits of order 1
                            assertThat(got[((r * step) + i) * 30 + v])
                                    .as("%s row %d position %d vocab %d", style, r, done + i, v)
                                    .isCloseTo(want, org.assertj.core.data.Offset.offset(1e-5f));
                        }
                    }
                }
                done += step;
                assertThat(cache.length()).isEqualTo(done);
            }
        }
    }
}
