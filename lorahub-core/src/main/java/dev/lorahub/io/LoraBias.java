package dev.lorahub.io;

/**
 * PEFT's {@code bias} setting: which bias vectors an adapter trains and stores ({@code "none"},
 * {@code "all"}, {@code "lora_only"}).
 */
public enum LoraBias {
    /** No bias is trained (the usual case): the adapter file holds only lora_A / lora_B. */
    NONE("none"),
    /** Every bias of the base model is trained and saved with the adapter. */
    ALL("all"),
    /** Only the biases of the LoRA-targeted layers are trained and saved. */
    LORA_ONLY("lora_only");

    private final String json;

    LoraBias(String json) {
        this.json = json;
    }

    /**
     * @return the value as written in adapter_config.json, e.g. {@code "lora_only"}
     */
    public String json() {
        return json;
    }

    /**
     * @param json the value in adapter_config.json
     * @return the matching constant
     * @throws IllegalArgumentException if it is none of "none", "all", "lora_only"
     */
    public static LoraBias fromJson(String json) {
        for (LoraBias b : values()) {
            if (b.json.equals(json)) {
                return b;
            }
        }
        throw new IllegalArgumentException(
                "bias must be one of \"none\", \"all\", \"lora_only\", got \"" + json + "\"");
    }
}
