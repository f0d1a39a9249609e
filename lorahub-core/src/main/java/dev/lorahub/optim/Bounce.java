package dev.lorahub.optim;

/**
 * Nevergrad's "bouncing" bound: clip into {@code [lower, upper]}, reflect the overshoot once, clip
 * again: {@code w = clip(2 * clip(v) - v)}. Inside the box it is the identity.
 */
final class Bounce {
    private Bounce() {}

    /**
     * @return the bounced coordinate
     */
    static double apply(double v, double lower, double upper) {
        double clipped = Math.min(upper, Math.max(lower, v));
        if (clipped == v) {
            return v;
        }
        return Math.min(upper, Math.max(lower, 2 * clipped - v));
    }
}
