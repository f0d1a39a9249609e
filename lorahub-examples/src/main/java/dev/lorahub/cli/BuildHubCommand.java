package dev.lorahub.cli;

import dev.lorahub.hub.EngineDefaults;
import dev.lorahub.hub.HubBuilder;
import dev.lorahub.hub.HubScale;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code lorahub build-hub}: regenerates the embedded hub from seeds. */
@Command(
        name = "build-hub",
        mixinStandardHelpOptions = true,
        description = {
            "Pretrains the hub's base model, trains one LoRA module per pool task, writes the"
                    + " held-out tasks' data and trains their ceiling modules, all from seeds.",
            "The full scale took 243 s on a quiet 2-core machine (about 30 min under heavy load);"
                    + " --smoke takes seconds."
        })
public final class BuildHubCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(
            names = "--out",
            defaultValue = "lorahub-examples/hub",
            description = "Hub folder to write (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--smoke", description = "The tiny CI scale: same pipeline, seconds.")
    boolean smoke;

    @Override
    public Integer call() throws Exception {
        EngineDefaults.apply();
        HubScale scale = smoke ? HubScale.SMOKE : HubScale.FULL;
        PrintWriter err = spec.commandLine().getErr();
        long start = System.nanoTime();
        ProgressBar[] bar = {null};
        String[] phase = {""};
        new HubBuilder(
                        scale,
                        (p, done, total, detail) -> {
                            if (!p.equals(phase[0])) {
                                if (bar[0] != null) {
                                    bar[0].close();
                                }
                                phase[0] = p;
                                bar[0] = ProgressBar.start(p, total, err);
                            }
                            bar[0].update(done, detail);
                        })
                .build(out);
        if (bar[0] != null) {
            bar[0].close();
        }
        spec.commandLine()
                .getOut()
                .printf(
                        "built %s hub in %s in %.0f s%n",
                        scale.name(), out, (System.nanoTime() - start) / 1e9);
        return 0;
    }
}
