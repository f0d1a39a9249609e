package dev.lorahub.model;

import dev.lorahub.LoraHubException;

/**
 * A base model that cannot be found or that no backend loads. The one-line message says what was
 * looked for (a path, a Hugging Face id and revision, an adapter config's {@code
 * base_model_name_or_path}) and where (the paths tried, the cache folder, the backends on the class
 * path): {@code "base model /models/llama: no such file or folder"}, {@code "no model backend
 * supports /models/bert (config.json model_type 'bert'; backends tried: [djl])"}.
 */
public class ModelNotFoundException extends LoraHubException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what was looked for and where
     */
    public ModelNotFoundException(String message) {
        super(message);
    }

    /**
     * @param message what was looked for and where
     * @param cause the lookup failure this one adds context to
     */
    public ModelNotFoundException(String message, Throwable cause) {
        super(message, cause);
    }
}
