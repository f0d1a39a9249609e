package dev.lorahub.cli;

import java.io.OutputStream;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/**
 * The child process of {@link InterruptedWriteTest}: runs {@code lorahub} commands in a loop until
 * it is killed, alternating between argument sets separated by {@code --variant}, and prints {@code
 * done <n> <variant> <exit code>} on stdout after each run (the commands' stdout is discarded, their stderr kept).
 * Installs the command line's shutdown hook, as {@link LoraHubCli#main} does.
 */
final class KillTarget {
    static final String DONE = "done ";

    private KillTarget() {}

    public static void main(String[] args) {
        LoraHubCli.installShutdownHook();
        List<List<String>> variants = new ArrayList<>();
        for (String a : args) {
            if (a.equals("--variant")) {
                variants.add(new ArrayList<>());
            } else {
                variants.get(variants.size() - 1).add(a);
            }
        }
        PrintWriter discard = new PrintWriter(OutputStream.nullOutputStream());
        PrintWriter err = new PrintWriter(System.err, true);
        for (int n = 0; ; n++) {
            int v = n % variants.size();
            CommandLine cl = LoraHubCli.commandLine();
            cl.setOut(discard);
            cl.setErr(err);
            int code = cl.execute(variants.get(v).toArray(String[]::new));
            System.out.println(DONE + n + " " + v + " " + code);
            System.out.flush();
        }
    }
}
