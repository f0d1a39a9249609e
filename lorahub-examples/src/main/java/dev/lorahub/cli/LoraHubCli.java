package dev.lorahub.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code lorahub} command line. */
@Command(
        name = "lorahub",
        mixinStandardHelpOptions = true,
        version = "lorahub 0.1.0-SNAPSHOT",
        description = "Compose LoRA adapters the LoraHub way.")
public final class LoraHubCli implements Runnable {
    /**
     * @param args command line
     */
    public static void main(String[] args) {
        System.exit(new CommandLine(new LoraHubCli()).execute(args));
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
