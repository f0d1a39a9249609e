package dev.lorahub.io;

import dev.lorahub.LoraHubException;

/**
 * A Hugging Face repo id that is not in the local cache (and not a local path either). The one-line
 * message names the id, the revision, every path looked at and the {@code huggingface-cli download}
 * command that would fetch it: lorahub itself never downloads.
 */
public class NotInCacheException extends LoraHubException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message the id, revision, paths looked at and the download command
     */
    public NotInCacheException(String message) {
        super(message);
    }
}
