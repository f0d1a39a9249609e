package dev.lorahub;

/**
 * LoRA modules that cannot be combined as asked: different base shapes, ranks that differ where a
 * strategy needs equal ones, a weight count that differs from the module count, NaN weights. The
 * message names the modules, the key and both shapes or values.
 */
public class IncompatibleModulesException extends LoraHubException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message names the modules, the key and both shapes or values
     */
    public IncompatibleModulesException(String message) {
        super(message);
    }
}
