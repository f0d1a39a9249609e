package dev.lorahub.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import picocli.CommandLine;

/**
 * One in-process run of the CLI with stdout and stderr captured.
 *
 * @param exitCode what {@code lorahub} would exit with
 * @param out everything printed on stdout
 * @param err everything printed on stderr
 */
record CliRun(int exitCode, String out, String err) {

    /** Runs {@link LoraHubCli#commandLine()} with these arguments. */
    static CliRun of(String... args) {
        return on(LoraHubCli.commandLine(), args);
    }

    /** Runs a prepared command line with these arguments. */
    static CliRun on(CommandLine cl, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new CliRun(code, out.toString(), err.toString());
    }

    /**
     * @return stderr's non-empty lines
     */
    List<String> errLines() {
        return err.lines().filter(l -> !l.isBlank()).toList();
    }

    @Override
    public String toString() {
        return "exit " + exitCode + "\n--- out ---\n" + out + "--- err ---\n" + err;
    }
}
