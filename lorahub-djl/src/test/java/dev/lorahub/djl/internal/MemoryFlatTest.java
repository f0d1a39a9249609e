package dev.lorahub.djl.internal;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.lorahub.djl.HfTinyReference;
import dev.lorahub.djl.InPlaceLora;
import dev.lorahub.djl.llama.LlamaBaseModel;
import dev.lorahub.model.BaseModel;
import dev.lorahub.model.ModelBackends;
import dev.lorahub.spi.EncodedBatch;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Memory that stays flat (issue 12 §4): many evaluations on one loaded model, many load/close
 * cycles and many patch/restore cycles leave no native array behind, keep the resident set flat and
 * the base weights bit-identical.
 *
 * <p>Native arrays are counted through DJL's system manager, which (transitively) owns every
 * manager and array the backends create. The resident set outside the Java heap is read from
 * {@code /proc/self/status} (the tests run on Linux; elsewhere only the array count is checked) and
 * must not grow over the second half of the work: a leak grows both halves alike, warm-up only the
 * first, within {@link #RSS_SLACK_BYTES}. A scratch leak of 64 KB of direct memory per evaluation
 * is caught; a leaked logits array is caught by the array count.
 */
class MemoryFlatTest {
    /**
     * Growth of the resident set outside the heap allowed over the second half. In the full suite's
     * JVM it moved by -36 to +100 MB between halves without a leak (allocator and JIT noise), so
     * the bound only catches leaks of about 40 KB or more per LLaMA evaluation (a leaked logits
     * array of the hf-tiny models is caught by the array count instead).
     */
    private static final long RSS_SLACK_BYTES = 192L << 20;

    /** Evaluations before the first measurement. */
    private static final int WARM_UP = 1000;

    private static final int ADAPTERS = MixedAdapters.ADAPTERS;

    /** Live native arrays of the whole process, as DJL's system manager sees them. */
    private static int liveArrays() {
        try (NDManager probe = NDManager.newBaseManager()) {
            return probe.getParentManager().getManagedArrays().size();
        }
    }

    /**
     * The resident set outside the Java heap, in bytes, after a full GC: {@code VmRSS} less the
     * heap's committed size (the heap shrinks and grows by tens of MB across GCs, which is not
     * native memory), or -1 where {@code /proc} is absent.
     */
    private static long rssAfterGc() throws IOException {
        System.gc();
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted();
        Path status = Path.of("/proc/self/status");
        if (!Files.isReadable(status)) {
            return -1;
        }
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith("VmRSS:")) {
                return 1024L * Long.parseLong(line.replaceAll("[^0-9]", "")) - heap;
            }
        }
        throw new IllegalStateException("no VmRSS line in " + status);
    }

    private static void assertBitIdentical(
            Map<String, float[]> before, Map<String, float[]> after) {
        assertThat(after.keySet()).isEqualTo(before.keySet());
        before.forEach(
                (k, v) -> {
                    float[] a = after.get(k);
                    for (int i = 0; i < v.length; i++) {
                        if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(v[i])) {
                            throw new AssertionError(
                                    k + "[" + i + "] is " + a[i] + ", was " + v[i] + " before");
                        }
                    }
                });
    }

    @ParameterizedTest(name = "{0}: {1} evaluations")
    @CsvSource({"hf-tiny/llama, 10000", "hf-tiny/t5, 4000"})
    void many_evaluations_on_one_model_leave_no_native_array_and_a_flat_resident_set(
            String name, int evaluations) throws IOException {
        MixedAdapters s = MixedAdapters.of(name);
        try (BaseModel model = ModelBackends.load(s.fx().model());
                EncodedBatch batch = model.encode(s.examples())) {
            Map<String, float[]> before = HfTinyReference.baseWeights(model);
            double[] first = new double[ADAPTERS];
            // warm-up: every adapter applied (kept copies made), JIT and allocator settled
            for (int i = 0; i < WARM_UP; i++) {
                double loss = model.loss(s.adapters().get(i % ADAPTERS), batch);
                if (i < ADAPTERS) {
                    first[i] = loss;
                }
            }
            int arrays = liveArrays();
            long[] rss = new long[3];
            rss[0] = rssAfterGc();
            for (int half = 1; half <= 2; half++) {
                for (int i = 0; i < evaluations / 2; i++) {
                    double loss = model.loss(s.adapters().get(i % ADAPTERS), batch);
                    if (Double.doubleToRawLongBits(loss)
                            != Double.doubleToRawLongBits(first[i % ADAPTERS])) {
                        throw new AssertionError(
                                "evaluation " + i + " gave " + loss + ", first " + first[i % 8]);
                    }
                }
                rss[half] = rssAfterGc();
            }
            assertThat(liveArrays())
                    .as("live native arrays after %d evaluations", evaluations)
                    .isEqualTo(arrays);
            assertFlat(rss, evaluations / 2 + " evaluations");
            assertBitIdentical(before, HfTinyReference.baseWeights(model));
        }
    }

    /**
     * A leak grows the resident set in proportion to the work, so the second half grows as much
     * as the first; allocator and JIT warm-up only grow the first.
     */
    private static void assertFlat(long[] rss, String half) {
        if (rss[0] < 0) {
            return; // no /proc: the array count is the check
        }
        assertThat(rss[2] - rss[1])
                .as(
                        "resident set outside the heap: growth over the second %s, bytes (after warm-up %d,"
                                + " after the first half %d, after the second %d)",
                        half, rss[0], rss[1], rss[2])
                .isLessThan(RSS_SLACK_BYTES);
    }

    @Test
    void three_hundred_load_close_cycles_return_to_the_starting_native_arrays() throws IOException {
        MixedAdapters s = MixedAdapters.of("hf-tiny/llama");
        Path dir = s.fx().model();
        int start = liveArrays();
        long[] rss = new long[3];
        for (int cycle = 0; cycle < 300; cycle++) {
            try (BaseModel model = ModelBackends.load(dir);
                    EncodedBatch batch = model.encode(s.examples())) {
                model.loss(s.adapters().get(cycle % ADAPTERS), batch);
            }
            assertThat(liveArrays()).as("live native arrays after cycle %d", cycle).isEqualTo(start);
            if (cycle == 99 || cycle == 199 || cycle == 299) {
                rss[(cycle - 99) / 100] = rssAfterGc();
            }
        }
        assertFlat(rss, "100 load/close cycles");
    }

    @Test
    void a_thousand_patch_restore_cycles_leave_the_base_weights_bit_identical() throws IOException {
        MixedAdapters s = MixedAdapters.of("hf-tiny/llama");
        try (BaseModel model = ModelBackends.load(s.fx().model())) {
            Map<String, NDArray> targets = ((LlamaBaseModel) model).model().linearWeights();
            Map<String, float[]> before = HfTinyReference.baseWeights(model);
            String probe = s.adapters().get(0).layers().keySet().iterator().next();
            try (NDManager m = NDManager.newBaseManager();
                    InPlaceLora lora = new InPlaceLora(targets, m)) {
                for (int cycle = 0; cycle < 1000; cycle++) {
                    lora.apply(s.adapters().get(cycle % ADAPTERS));
                    if (cycle == 0) {
                        float[] patched = targets.get(probe).toFloatArray();
                        assertThat(patched)
                                .as("%s patched by the first adapter", probe)
                                .isNotEqualTo(before.get(probe + ".weight"));
                    }
                    lora.restore();
                }
            }
            assertBitIdentical(before, HfTinyReference.baseWeights(model));
        }
    }
}
