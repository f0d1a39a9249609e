package dev.lorahub.io;

/** The file formats weights are read from; see docs/formats.md. */
public enum WeightsFormat {
    /** safetensors: a JSON header and raw little-endian tensors. */
    SAFETENSORS("safetensors"),
    /** PyTorch's zip format ({@code torch.save} since torch 1.6): data.pkl + data/KEY records. */
    PYTORCH_ZIP("PyTorch pickle (zip, torch >= 1.6)"),
    /** PyTorch's legacy format (torch &lt; 1.6): five pickles, then the raw storages. */
    PYTORCH_LEGACY("PyTorch pickle (legacy, torch < 1.6)"),
    /** A llama.cpp LoRA adapter: one GGUF file ({@code general.type = adapter}). */
    GGUF("GGUF (llama.cpp LoRA adapter)");

    private final String description;

    WeightsFormat(String description) {
        this.description = description;
    }

    /**
     * @return a human-readable name, e.g. {@code "PyTorch pickle (zip, torch >= 1.6)"}
     */
    public String description() {
        return description;
    }
}
