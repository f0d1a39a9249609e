package dev.lorahub.cli;

import dev.lorahub.djl.DjlRuntime;
import dev.lorahub.io.AtomicFolder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The {@code lorahub} command line: a picocli root whose subcommands do the work.
 *
 * <p>To add a subcommand, write a {@code @Command} class in this package that prints through {@code
 * spec.commandLine().getOut()} / {@code getErr()} (so tests can capture it), lets bad input surface
 * as {@link dev.lorahub.LoraHubException}, {@link java.io.IOException} or {@link
 * IllegalArgumentException}, and list it in {@code subcommands} below. {@link #commandLine()}
 * installs the error policy: such failures exit with {@link #EXIT_BAD_INPUT} and one line on stderr
 * naming the file and the problem; a stack trace follows only with {@code --verbose}.
 */
@Command(
        name = "lorahub",
        mixinStandardHelpOptions = true,
        version = "lorahub 0.1.0-SNAPSHOT",
        description = "Compose LoRA adapters the LoraHub way.",
        // add a subcommand by listing its class here (one per line keeps merges trivial)
        subcommands = {
            CommandLine.HelpCommand.class,
            InspectCommand.class,
            MergeCommand.class,
            ScoreCommand.class,
            EvalCommand.class,
            GenerateCommand.class,
            LearnCommand.class,
            BuildHubCommand.class,
            DemoCommand.class,
            TrainCommand.class,
        })
public final class LoraHubCli implements Runnable {
    /** Exit code for bad input: a missing folder, a corrupt file, incompatible adapters. */
    public static final int EXIT_BAD_INPUT = 1;

    /** Exit code for a command line picocli cannot parse (picocli's own convention). */
    public static final int EXIT_USAGE = CommandLine.ExitCode.USAGE;

    /** Exit code for a bug: any exception that is not bad input (sysexits' EX_SOFTWARE). */
    public static final int EXIT_INTERNAL = 70;

    /** The global option's name, inherited by every subcommand. */
    static final String VERBOSE = "--verbose";

    @Option(
            names = {"-v", VERBOSE},
            scope = ScopeType.INHERIT,
            description = "Print stack traces on errors and debug-level logs.")
    boolean verbose;

    /** The global option's name for libtorch's intra-op thread count, inherited by every subcommand. */
    static final String THREADS = "--threads";

    @Option(
            names = THREADS,
            scope = ScopeType.INHERIT,
            paramLabel = "N",
            description =
                    "Intra-op threads of the PyTorch engine for the whole run (default: half the"
                            + " available processors, at least 1; build-hub, demo and train: 1).")
    Integer threads;

    @Spec CommandSpec spec;

    /**
     * Runs the command line and exits with its code.
     *
     * @param args command line
     */
    public static void main(String[] args) {
        installShutdownHook();
        System.exit(commandLine().execute(args));
    }

    /**
     * Installs the hook that makes Ctrl-C (SIGINT) and SIGTERM safe for output folders: it waits
     * for a folder swap in progress and deletes unfinished ones ({@link AtomicFolder#shutdown()}),
     * so an interrupted {@code learn}, {@code merge} or {@code train} writes nothing partial and
     * leaves a previous result in {@code --out} as it was.
     */
    static void installShutdownHook() {
        Runtime.getRuntime()
                .addShutdownHook(new Thread(AtomicFolder::shutdown, "lorahub-output-folders"));
    }

    /**
     * @return a command line for a fresh root, with the error policy and {@code --verbose} logging
     *     installed; call {@code setOut}/{@code setErr} on it to capture output
     */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new LoraHubCli());
        cl.setExecutionExceptionHandler(new ErrorReporter());
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setExecutionStrategy(
                parseResult -> {
                    if (isVerbose(parseResult)) {
                        // slf4j-simple reads this once, when the first logger is created
                        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "debug");
                        // simplelogger.properties quiets DJL to errors; --verbose shows it all
                        System.setProperty("org.slf4j.simpleLogger.log.ai.djl", "debug");
                    }
                    Integer n = threads(parseResult);
                    if (n != null) {
                        // applied when the engine starts (or now, if it has), not before: commands
                        // that never load a model never load libtorch
                        DjlRuntime.setThreads(n);
                    }
                    return new CommandLine.RunLast().execute(parseResult);
                });
        return cl;
    }

    /**
     * @param parseResult the root's parse result
     * @return whether {@code --verbose} was given to the root or any subcommand on the chain
     */
    static boolean isVerbose(ParseResult parseResult) {
        for (ParseResult pr = parseResult; pr != null; pr = pr.subcommand()) {
            if (pr.hasMatchedOption(VERBOSE)) {
                return true;
            }
        }
        return false;
    }

    /**
     * @param parseResult the root's parse result
     * @return the last {@code --threads} given on the chain, or null
     * @throws CommandLine.ParameterException if it is below 1
     */
    static Integer threads(ParseResult parseResult) {
        Integer n = null;
        for (ParseResult pr = parseResult; pr != null; pr = pr.subcommand()) {
            if (pr.hasMatchedOption(THREADS)) {
                n = pr.matchedOptionValue(THREADS, null);
                if (n == null || n < 1) {
                    throw new CommandLine.ParameterException(
                            pr.commandSpec().commandLine(), "--threads must be at least 1, got " + n);
                }
            }
        }
        return n;
    }

    /** Without a subcommand: prints the usage help. */
    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
