package dev.lorahub.djl.internal;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.lorahub.djl.DjlRuntime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class LayerScopeTest {
    @BeforeAll
    static void start() {
        DjlRuntime.start();
    }

    @Test
    void a_blocks_intermediates_and_input_are_freed_and_its_output_and_kept_arrays_survive() {
        try (NDManager call = NDManager.newBaseManager()) {
            NDArray x = call.create(new float[] {1, 2, 3}, new Shape(3));
            List<NDArray> made = new ArrayList<>();
            NDArray[] cache = new NDArray[1];
            NDArray out =
                    LayerScope.run(
                            x,
                            in -> {
                                NDArray a = in.mul(2f);
                                NDArray b = a.add(1f);
                                made.add(a);
                                made.add(b);
                                cache[0] = in.mul(10f);
                                LayerScope.keep(in.getManager(), cache[0], null);
                                return b.mul(3f);
                            });
            assertThat(made).allMatch(NDArray::isReleased);
            assertThat(x.isReleased()).isTrue();
            assertThat(out.isReleased()).isFalse();
            assertThat(out.getManager()).isSameAs(call);
            assertThat(out.toFloatArray()).containsExactly(9f, 15f, 21f);
            assertThat(cache[0].getManager()).isSameAs(call);
            assertThat(cache[0].toFloatArray()).containsExactly(10f, 20f, 30f);
        }
    }

    @Test
    void gradients_flow_through_a_scope_whose_arrays_were_closed() {
        try (NDManager call = NDManager.newBaseManager()) {
            NDArray w = call.create(new float[] {1, 2, 3}, new Shape(3));
            w.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray x = w.mul(w); // not a leaf: the scope frees it
                NDArray out = LayerScope.run(x, in -> in.mul(2f).mul(3f));
                gc.backward(out.sum());
            }
            // d/dw sum(6 w^2) = 12 w
            assertThat(w.getGradient().toFloatArray()).containsExactly(12f, 24f, 36f);
        }
    }
}
