package dev.lorahub;

/** How TIES elects the sign of each element (PEFT's {@code majority_sign_method}). */
public enum MajoritySign {
    /** The sign of the sum of the modules' (pruned) values: large values weigh more. */
    TOTAL,
    /** The sign held by more modules (the sum of signs); each module counts once. */
    FREQUENCY
}
