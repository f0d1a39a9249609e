package dev.lorahub.hub;

import dev.lorahub.FewShotExample;
import java.util.Arrays;
import java.util.List;

/**
 * How the hub lays out examples as token ids for its causal model. Three formats:
 *
 * <ul>
 *   <li>plain (modules, zero-shot, the demo): {@code <s> input > output </s>}
 *   <li>instructed (pretraining): {@code <s> <op1><op2>... input > output </s>}
 *   <li>in-context: {@code <s> in1 > out1 | in2 > out2 | ... query > output </s>}
 * </ul>
 *
 * Labels follow Hugging Face: aligned with the ids, {@code -100} on the prompt, the output and EOS
 * labelled.
 */
public final class Prompts {
    private final CharTokenizer tokenizer;

    /**
     * @param tokenizer the hub tokenizer
     */
    public Prompts(CharTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /**
     * @return the tokenizer
     */
    public CharTokenizer tokenizer() {
        return tokenizer;
    }

    /**
     * @param input the query
     * @return {@code <s> input >}
     */
    public int[] plainPrompt(String input) {
        return concat(tokenizer.encode(input, true), new int[] {CharTokenizer.SEP});
    }

    /**
     * @param task the task whose instruction tokens lead the prompt
     * @param input the query
     * @return {@code <s> <ops> input >}
     */
    public int[] instructedPrompt(Task task, String input) {
        int[] ops = task.ops().stream().mapToInt(tokenizer::instructionId).toArray();
        return concat(
                new int[] {CharTokenizer.BOS},
                ops,
                tokenizer.encode(input, false),
                new int[] {CharTokenizer.SEP});
    }

    /**
     * @param demos the demonstrations
     * @param input the query
     * @return {@code <s> in1 > out1 | ... query >}
     */
    public int[] inContextPrompt(List<TaskExample> demos, String input) {
        StringBuilder b = new StringBuilder();
        for (TaskExample d : demos) {
            b.append(d.input()).append('>').append(d.output()).append('|');
        }
        b.append(input).append('>');
        return tokenizer.encode(b.toString(), true);
    }

    /**
     * @param prompt prompt ids ending in {@code >}
     * @param output the target text
     * @return ids = prompt + output + EOS, labels -100 on the prompt
     */
    public FewShotExample withTarget(int[] prompt, String output) {
        int[] out = concat(tokenizer.encode(output, false), new int[] {CharTokenizer.EOS});
        int[] ids = concat(prompt, out);
        int[] labels = new int[ids.length];
        Arrays.fill(labels, 0, prompt.length, FewShotExample.IGNORE_INDEX);
        System.arraycopy(out, 0, labels, prompt.length, out.length);
        return FewShotExample.tokenized(ids, labels);
    }

    /**
     * @param e an example
     * @return it in the plain format, tokenized
     */
    public FewShotExample plain(TaskExample e) {
        return withTarget(plainPrompt(e.input()), e.output());
    }

    /**
     * @param examples examples
     * @return each in the plain format, tokenized
     */
    public List<FewShotExample> plain(List<TaskExample> examples) {
        return examples.stream().map(this::plain).toList();
    }

    static int[] concat(int[]... parts) {
        int n = 0;
        for (int[] p : parts) {
            n += p.length;
        }
        int[] out = new int[n];
        int at = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
