package dev.lorahub.cli;

import dev.lorahub.hub.Demo;
import dev.lorahub.hub.DemoResult;
import dev.lorahub.hub.DemoSettings;
import dev.lorahub.hub.EngineDefaults;
import java.io.PrintWriter;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code lorahub demo}: LoraHub against its baselines on the embedded hub's held-out tasks. */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = {
            "For each held-out task of the embedded hub: 5 examples drawn with a seed; zero-shot,"
                    + " best single module, uniform, LoraHub (the paper's reference, cobyla 40"
                    + " over the 10 lowest-loss modules, the best gradient-free recipe,"
                    + " Recipe.SHORT and Recipe.BEST), in-context, 5-shot LoRA, full-data LoRA and"
                    + " two oracles (the task's own skill modules at weight 1 and searched), scored"
                    + " by exact match.",
            "Writes results.md (with each LoraHub row's cost in forward-equivalents and weights),"
                    + " results.csv and results.svg into --out."
        })
public final class DemoCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(
            names = "--hub",
            description =
                    "Hub folder (default: lorahub-examples/hub under the working directory, else"
                            + " the hub beside the jar's lorahub-examples/target folder).")
    Path hub;

    @Option(
            names = "--out",
            defaultValue = "lorahub-demo",
            description = "Output folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(
            names = "--seed",
            defaultValue = "42",
            description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(
            names = "--test-examples",
            defaultValue = "100",
            description = "Test examples per task (default: ${DEFAULT-VALUE}).")
    int testExamples;

    @Option(
            names = "--tasks",
            defaultValue = "0",
            description = "Run only the first N held-out tasks (default: all).")
    int tasks;

    @Option(
            names = "--budget",
            defaultValue = "200",
            description = "Evaluations of lorahub_best (default: ${DEFAULT-VALUE}).")
    int budget;

    @Mixin TemplateOption templateOption = new TemplateOption();

    @Override
    public Integer call() throws Exception {
        EngineDefaults.apply();
        Path hub = this.hub != null ? this.hub : defaultHub();
        DemoSettings d = DemoSettings.defaults(hub);
        DemoSettings settings =
                new DemoSettings(
                        hub,
                        d.shots(),
                        seed,
                        testExamples,
                        tasks,
                        d.bestCandidates(),
                        budget,
                        d.bestOptimizer(),
                        d.fiveShotSteps(),
                        d.fiveShotLr(),
                        templateOption.override().orElse(null));
        PrintWriter err = spec.commandLine().getErr();
        DemoResult result;
        ProgressBar[] bar = {null};
        try {
            result =
                    new Demo(
                                    settings,
                                    (done, total, detail) -> {
                                        if (bar[0] == null) {
                                            bar[0] = ProgressBar.start("demo", total, err);
                                        }
                                        bar[0].update(done, detail);
                                    })
                            .run();
        } finally {
            if (bar[0] != null) {
                bar[0].close();
            }
        }
        result.write(out);
        PrintWriter o = spec.commandLine().getOut();
        o.print(result.markdown());
        o.printf(
                "wrote %s, %s, %s in %.0f s%n",
                out.resolve("results.md"),
                out.resolve("results.csv"),
                out.resolve("results.svg"),
                result.seconds());
        return 0;
    }

    /**
     * The committed hub: {@code lorahub-examples/hub} when run from the checkout's root, else the
     * {@code hub} folder beside the {@code target} folder that holds this jar (so the demo also
     * runs from another working directory).
     */
    static Path defaultHub() {
        Path fromWorkingDir = Path.of("lorahub-examples", "hub");
        if (Files.isDirectory(fromWorkingDir)) {
            return fromWorkingDir;
        }
        CodeSource source = DemoCommand.class.getProtectionDomain().getCodeSource();
        if (source != null && "file".equals(source.getLocation().getProtocol())) {
            try {
                Path target = Path.of(source.getLocation().toURI()).getParent();
                Path besideJar = target == null ? null : target.resolveSibling("hub");
                if (besideJar != null && Files.isDirectory(besideJar)) {
                    return besideJar;
                }
            } catch (URISyntaxException e) {
                // not a plain file location: fall back to the working-directory default
            }
        }
        return fromWorkingDir;
    }
}
