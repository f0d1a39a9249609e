package dev.lorahub.io;

import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.jspecify.annotations.Nullable;

/**
 * PEFT's {@code target_modules} / {@code exclude_modules} value: a list of module names, one
 * regular expression, or the special string {@code "all-linear"}.
 *
 * <p>Matching follows PEFT ({@code check_target_module_exists}): a name {@code n} of the list
 * selects a module path {@code p} when {@code p.equals(n)} or {@code p.endsWith("." + n)}; a regex
 * selects {@code p} when it matches the whole of {@code p} ({@code re.fullmatch}); {@code
 * "all-linear"} selects every path it is asked about (PEFT expands it to the model's linear layers
 * except the output head when it builds the model, which needs the model and is beyond a config).
 */
public final class ModuleSelector {
    /** The three forms PEFT accepts. */
    public enum Kind {
        /** A JSON list of module names, matched as suffixes at a dot boundary. */
        NAMES,
        /** A JSON string that is a regular expression over the full module path. */
        REGEX,
        /** The JSON string {@code "all-linear"}. */
        ALL_LINEAR
    }

    /** The literal PEFT uses for "every linear layer but the output head". */
    public static final String ALL_LINEAR_LITERAL = "all-linear";

    /** The longest module regex accepted, in characters. */
    public static final int MAX_REGEX_LENGTH = 4096;

    private final Kind kind;
    private final List<String> names;
    private final String regex;
    private final Pattern pattern;

    private ModuleSelector(Kind kind, List<String> names, String regex) {
        this.kind = kind;
        this.names = List.copyOf(names);
        this.regex = regex;
        if (regex.length() > MAX_REGEX_LENGTH) {
            // PEFT's regexes are a few dozen characters; a huge one costs time to compile and match
            throw new IllegalArgumentException(
                    "module regex of "
                            + regex.length()
                            + " characters is longer than "
                            + MAX_REGEX_LENGTH
                            + "; refusing it");
        }
        Pattern p;
        try {
            p = Pattern.compile(kind == Kind.REGEX ? regex : "");
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException(
                    "module regex \""
                            + (regex.length() <= 40 ? regex : regex.substring(0, 37) + "...")
                            + "\" is not a valid regular expression: "
                            + e.getDescription(),
                    e);
        }
        this.pattern = p;
    }

    /**
     * @param names module names such as {@code ["q_proj", "v_proj"]}, in the order they are written
     * @return a list selector
     */
    public static ModuleSelector names(List<String> names) {
        for (String n : names) {
            Objects.requireNonNull(n, "names contains null");
        }
        return new ModuleSelector(Kind.NAMES, names, "");
    }

    /**
     * @param regex a regular expression that must match a whole module path
     * @return a regex selector ({@code "all-linear"} gives {@link #allLinear()})
     * @throws IllegalArgumentException if the expression does not compile
     */
    public static ModuleSelector regex(String regex) {
        if (ALL_LINEAR_LITERAL.equals(regex)) {
            return allLinear();
        }
        return new ModuleSelector(Kind.REGEX, List.of(), Objects.requireNonNull(regex, "regex"));
    }

    /**
     * @return the {@code "all-linear"} selector
     */
    public static ModuleSelector allLinear() {
        return new ModuleSelector(Kind.ALL_LINEAR, List.of(), ALL_LINEAR_LITERAL);
    }

    /**
     * @return which of the three forms this is
     */
    public Kind kind() {
        return kind;
    }

    /**
     * @return the names of a {@link Kind#NAMES} selector (empty for the other kinds)
     */
    public List<String> names() {
        return names;
    }

    /**
     * @return the names of a list selector, or a one-element list holding the regex or {@code
     *     "all-linear"}
     */
    public List<String> asList() {
        return kind == Kind.NAMES ? names : List.of(regex);
    }

    /**
     * @return the regex or {@code "all-linear"} string, empty for a list selector
     */
    public String regexText() {
        return regex;
    }

    /**
     * @param modulePath a module path such as {@code model.layers.0.self_attn.q_proj}
     * @return whether this selector selects it (without PEFT's layers_to_transform filter)
     */
    public boolean matches(String modulePath) {
        switch (kind) {
            case NAMES:
                for (String n : names) {
                    if (modulePath.equals(n) || modulePath.endsWith("." + n)) {
                        return true;
                    }
                }
                return false;
            case REGEX:
                return pattern.matcher(modulePath).matches();
            default:
                return true;
        }
    }

    @Override
    public boolean equals(@Nullable Object o) {
        return o instanceof ModuleSelector other
                && kind == other.kind
                && names.equals(other.names)
                && regex.equals(other.regex);
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, names, regex);
    }

    @Override
    public String toString() {
        return kind == Kind.NAMES ? names.toString() : "\"" + regex + "\"";
    }
}
