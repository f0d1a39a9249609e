package dev.lorahub.hub;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lorahub.spi.TextTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The hub model's tokenizer: one token per character of {@code [a-z0-9> |]}, one token per
 * instruction ({@code <rev>}, {@code <sh2>}, ...: an {@link Op} code in angle brackets) and the
 * special tokens {@code <pad>}=0, {@code <s>}=1 (BOS), {@code </s>}=2 (EOS). The vocabulary has
 * {@link #VOCAB_SIZE} entries (unused ids are reserved).
 *
 * <p>Saved as a Hugging Face {@code tokenizer.json} (WordLevel model, one split per character or
 * bracketed instruction), so the model folder is also loadable by HF tokenizers.
 */
public final class CharTokenizer implements TextTokenizer {
    /** Number of ids, including reserved ones. */
    public static final int VOCAB_SIZE = 64;

    /** Padding id. */
    public static final int PAD = 0;

    /** Beginning of sequence. */
    public static final int BOS = 1;

    /** End of sequence. */
    public static final int EOS = 2;

    /** Separates input from output: {@code >}. */
    public static final int SEP = 3;

    /** Separates in-context demonstrations: {@code |}. */
    public static final int DEMO_SEP = 4;

    private final List<String> tokens = new ArrayList<>();
    private final Map<String, Integer> ids = new HashMap<>();

    /** Builds the fixed vocabulary. */
    public CharTokenizer() {
        for (String t : new String[] {"<pad>", "<s>", "</s>", ">", "|", " "}) {
            add(t);
        }
        for (char c = 'a'; c <= 'z'; c++) {
            add(String.valueOf(c));
        }
        for (char c = '0'; c <= '9'; c++) {
            add(String.valueOf(c));
        }
        for (Op op : Op.values()) {
            add(instruction(op));
        }
        while (tokens.size() < VOCAB_SIZE) {
            add("<unused" + tokens.size() + ">");
        }
    }

    private void add(String token) {
        ids.put(token, tokens.size());
        tokens.add(token);
    }

    /**
     * @param op an operation
     * @return its instruction token text, e.g. {@code <rev>}
     */
    public static String instruction(Op op) {
        return "<" + op.code() + ">";
    }

    /**
     * @param op an operation
     * @return the id of its instruction token
     */
    public int instructionId(Op op) {
        return ids.get(instruction(op));
    }

    /**
     * @param text characters of the vocabulary and bracketed tokens such as {@code <rev>}
     * @param addSpecialTokens whether to prepend BOS
     * @return the ids
     * @throws IllegalArgumentException on a character outside the vocabulary
     */
    @Override
    public int[] encode(String text, boolean addSpecialTokens) {
        List<Integer> out = new ArrayList<>();
        if (addSpecialTokens) {
            out.add(BOS);
        }
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            int close = c == '<' ? text.indexOf('>', i) : -1;
            if (close > i && ids.containsKey(text.substring(i, close + 1))) {
                out.add(ids.get(text.substring(i, close + 1)));
                i = close + 1;
                continue;
            }
            Integer id = ids.get(String.valueOf(c));
            if (id == null) {
                throw new IllegalArgumentException(
                        "character '"
                                + c
                                + "' at "
                                + i
                                + " of '"
                                + text
                                + "' is not in the vocabulary");
            }
            out.add(id);
            i++;
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * @param ids token ids
     * @return the text; pad, BOS and EOS are skipped, decoding stops at nothing
     */
    @Override
    public String decode(int[] ids) {
        StringBuilder b = new StringBuilder();
        for (int id : ids) {
            if (id == PAD || id == BOS || id == EOS) {
                continue;
            }
            if (id < 0 || id >= tokens.size()) {
                throw new IllegalArgumentException(
                        "id " + id + " outside the vocabulary of " + tokens.size());
            }
            b.append(tokens.get(id));
        }
        return b.toString();
    }

    /**
     * @return the token texts by id
     */
    public List<String> tokens() {
        return List.copyOf(tokens);
    }

    /**
     * Writes a Hugging Face {@code tokenizer.json} (WordLevel) into a folder, atomically.
     *
     * @param dir the model folder
     * @throws IOException if writing fails
     */
    public void save(Path dir) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int id : new int[] {PAD, BOS, EOS}) {
            ObjectNode t = added.addObject();
            t.put("id", id).put("content", tokens.get(id)).put("single_word", false);
            t.put("lstrip", false).put("rstrip", false).put("normalized", false);
            t.put("special", true);
        }
        root.putNull("normalizer");
        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "Split");
        pre.putObject("pattern").put("Regex", "<[a-z0-9]+>|.");
        pre.put("behavior", "Isolated").put("invert", false);
        ObjectNode post = root.putObject("post_processor");
        post.put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        ArrayNode pair = post.putArray("pair");
        pair.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        ObjectNode st = post.putObject("special_tokens").putObject("<s>");
        st.put("id", "<s>");
        st.putArray("ids").add(BOS);
        st.putArray("tokens").add("<s>");
        root.putObject("decoder").put("type", "Fuse");
        ObjectNode model = root.putObject("model");
        model.put("type", "WordLevel");
        ObjectNode vocab = model.putObject("vocab");
        for (int i = 0; i < tokens.size(); i++) {
            vocab.put(tokens.get(i), i);
        }
        model.put("unk_token", "<pad>");
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "tokenizer", ".tmp");
        json.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), root);
        Files.move(
                tmp,
                dir.resolve("tokenizer.json"),
                StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
    }
}
