package dev.lorahub.cli;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * A progress display for long CLI work, written to stderr so stdout stays clean for results.
 *
 * <p>On a terminal ({@link Mode#BAR}) one line is redrawn in place with carriage returns, at most
 * every {@value #BAR_REDRAW_MILLIS} ms:
 *
 * <pre>{@code learn [=========>          ] 12/40  30% 00:07 eta 00:16 loss 1.234}</pre>
 *
 * When stderr is not a terminal ({@code System.console() == null}, e.g. CI logs or a pipe) it
 * prints plain lines instead ({@link Mode#LINES}), the first at once and then at most every {@value
 * #LINE_INTERVAL_SECONDS} s, so logs stay short. {@link #close()} draws the final state (unless
 * that very line is already in the log) and ends the line. A total of 0 means "unknown": only the
 * count and the elapsed time are shown.
 *
 * <p>Typical use from a progress listener:
 *
 * <pre>{@code
 * try (ProgressBar bar = ProgressBar.start("learn", budget, spec.commandLine().getErr())) {
 *     hub.run(step -> bar.update(step.index() + 1, "loss " + step.loss()));
 * }
 * }</pre>
 *
 * <p>Methods are synchronized: listeners may call them from worker threads.
 */
public final class ProgressBar implements AutoCloseable {
    /** How progress is drawn. */
    public enum Mode {
        /** One line redrawn in place with {@code \r}: for an interactive terminal. */
        BAR,
        /** Plain periodic lines: for logs, pipes and CI. */
        LINES;

        /**
         * @return {@link #BAR} when the JVM has a console and TERM is not "dumb", else LINES
         */
        public static Mode detect() {
            return System.console() != null && !"dumb".equals(System.getenv("TERM")) ? BAR : LINES;
        }
    }

    /** Minimum time between two redraws of the bar. */
    public static final long BAR_REDRAW_MILLIS = 100;

    /** Minimum time between two plain lines. */
    public static final long LINE_INTERVAL_SECONDS = 10;

    private static final int BAR_CELLS = 24;

    private final String label;
    private final long total;
    private final PrintWriter out;
    private final Mode mode;
    private final LongSupplier nanoClock;
    private final int columns;
    private final long startNanos;
    private long done;
    private String detail = "";
    private long lastDrawNanos;
    private long lastDrawnDone = -1;
    private boolean drawnOnce;
    private int lastWidth;
    private boolean closed;

    private ProgressBar(
            String label, long total, PrintWriter out, Mode mode, LongSupplier nanoClock) {
        this.label = Objects.requireNonNull(label, "label");
        if (total < 0) {
            throw new IllegalArgumentException(
                    "progress '" + label + "': total must be >= 0 (0 = unknown), got " + total);
        }
        this.total = total;
        this.out = Objects.requireNonNull(out, "out");
        this.mode = Objects.requireNonNull(mode, "mode");
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.columns = terminalColumns();
        this.startNanos = nanoClock.getAsLong();
    }

    /**
     * Starts a progress display in the mode {@link Mode#detect()} chooses.
     *
     * @param label what is progressing, e.g. {@code "learn"}
     * @param total the number of steps, or 0 when unknown
     * @param err where to draw, normally {@code spec.commandLine().getErr()}
     * @return the display; nothing is drawn until the first {@link #update}
     */
    public static ProgressBar start(String label, long total, PrintWriter err) {
        return start(label, total, err, Mode.detect(), System::nanoTime);
    }

    /**
     * Starts a progress display with an explicit mode and clock (for tests).
     *
     * @param label what is progressing
     * @param total the number of steps, or 0 when unknown
     * @param err where to draw
     * @param mode bar or plain lines
     * @param nanoClock a monotonic clock in nanoseconds, like {@link System#nanoTime()}
     * @return the display
     */
    public static ProgressBar start(
            String label, long total, PrintWriter err, Mode mode, LongSupplier nanoClock) {
        return new ProgressBar(label, total, err, mode, nanoClock);
    }

    /**
     * @return the mode this display draws in
     */
    public Mode mode() {
        return mode;
    }

    /** Advances by one step. */
    public synchronized void step() {
        update(done + 1, detail);
    }

    /**
     * @param stepsDone steps completed so far (clamped to the total when one is known)
     */
    public synchronized void update(long stepsDone) {
        update(stepsDone, detail);
    }

    /**
     * @param stepsDone steps completed so far (clamped to the total when one is known)
     * @param newDetail a short status shown after the figures, e.g. {@code "loss 1.23"}
     */
    public synchronized void update(long stepsDone, String newDetail) {
        if (closed) {
            return;
        }
        if (stepsDone < 0) {
            throw new IllegalArgumentException(
                    "progress '" + label + "': steps done must be >= 0, got " + stepsDone);
        }
        done = total > 0 ? Math.min(stepsDone, total) : stepsDone;
        detail = Objects.requireNonNull(newDetail, "newDetail");
        long now = nanoClock.getAsLong();
        long interval =
                mode == Mode.BAR
                        ? TimeUnit.MILLISECONDS.toNanos(BAR_REDRAW_MILLIS)
                        : TimeUnit.SECONDS.toNanos(LINE_INTERVAL_SECONDS);
        boolean finished = total > 0 && done == total;
        if (!drawnOnce || now - lastDrawNanos >= interval || (finished && mode == Mode.BAR)) {
            draw(now);
        }
    }

    /**
     * Prints a message on its own line without garbling the bar (the bar is redrawn below it).
     *
     * @param line the message
     */
    public synchronized void message(String line) {
        if (mode == Mode.BAR && drawnOnce && !closed) {
            out.print("\r" + " ".repeat(lastWidth) + "\r");
            out.println(line);
            out.print(render(nanoClock.getAsLong()));
        } else {
            out.println(line);
        }
        out.flush();
    }

    /** Draws the final state and ends the line. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        if (mode == Mode.BAR || done != lastDrawnDone) {
            draw(nanoClock.getAsLong()); // a log needs no repeat of its last line
        }
        if (mode == Mode.BAR) {
            out.println();
        }
        out.flush();
        closed = true;
    }

    private void draw(long now) {
        String text = render(now);
        if (mode == Mode.BAR) {
            int pad = Math.max(0, lastWidth - text.length());
            out.print("\r" + text + " ".repeat(pad));
            lastWidth = text.length();
        } else {
            out.println(text);
        }
        out.flush();
        lastDrawNanos = now;
        lastDrawnDone = done;
        drawnOnce = true;
    }

    /**
     * @return the status line, at most {@code columns - 1} characters in bar mode
     */
    String render(long now) {
        long elapsedNanos = Math.max(0, now - startNanos);
        StringBuilder sb = new StringBuilder(label);
        if (total > 0) {
            double fraction = (double) done / total;
            if (mode == Mode.BAR) {
                sb.append(" [").append(cells(fraction)).append(']');
            }
            String width = Long.toString(total);
            sb.append(' ')
                    .append(String.format(Locale.ROOT, "%" + width.length() + "d", done))
                    .append('/')
                    .append(width)
                    .append(String.format(Locale.ROOT, " %3d%%", (int) Math.floor(fraction * 100)))
                    .append(' ')
                    .append(clock(elapsedNanos));
            if (done > 0 && done < total) {
                long etaNanos = (long) (elapsedNanos * ((double) (total - done) / done));
                sb.append(" eta ").append(clock(etaNanos));
            }
        } else {
            sb.append(' ').append(done).append(' ').append(clock(elapsedNanos));
        }
        if (!detail.isEmpty()) {
            sb.append(' ').append(detail);
        }
        if (mode == Mode.BAR && sb.length() > columns - 1) {
            sb.setLength(Math.max(0, columns - 1));
        }
        return sb.toString();
    }

    private String cells(double fraction) {
        int full = (int) Math.floor(fraction * BAR_CELLS);
        StringBuilder sb = new StringBuilder(BAR_CELLS);
        sb.append("=".repeat(full));
        if (full < BAR_CELLS) {
            sb.append('>');
            sb.append(" ".repeat(BAR_CELLS - full - 1));
        }
        return sb.toString();
    }

    /**
     * @return {@code mm:ss}, or {@code h:mm:ss} past an hour
     */
    static String clock(long nanos) {
        long s = TimeUnit.NANOSECONDS.toSeconds(nanos);
        return s >= 3600
                ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60)
                : String.format(Locale.ROOT, "%02d:%02d", s / 60, s % 60);
    }

    private static int terminalColumns() {
        String env = System.getenv("COLUMNS");
        if (env != null) {
            try {
                int c = Integer.parseInt(env.trim());
                if (c >= 20) {
                    return c;
                }
            } catch (NumberFormatException ignored) {
                // not a number: fall back to the classic width
            }
        }
        return 80;
    }
}
