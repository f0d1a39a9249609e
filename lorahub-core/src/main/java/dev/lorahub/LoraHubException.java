package dev.lorahub;

/** Base of the domain failures of lorahub (unchecked): bad adapter files, incompatible modules. */
public class LoraHubException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what went wrong, naming the file, key and values involved
     */
    public LoraHubException(String message) {
        super(message);
    }

    /**
     * @param message what went wrong, naming the file, key and values involved
     * @param cause the underlying failure
     */
    public LoraHubException(String message, Throwable cause) {
        super(message, cause);
    }
}
