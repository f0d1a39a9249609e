package dev.lorahub.djl;

import dev.lorahub.FewShotExample;
import dev.lorahub.LoraHub;
import dev.lorahub.LoraHubResult;
import dev.lorahub.model.BaseModel;
import dev.lorahub.model.ModelBackends;
import java.net.SocketPermission;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Permission;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;

/**
 * The child JVM of {@link EmbeddedRunTest}: installs a security manager that refuses, and records,
 * every {@link SocketPermission} check (Java checks one before any socket connects, listens,
 * accepts or resolves a host name, for {@code java.net} and NIO alike), then runs a plain library
 * run: load a model through {@link ModelBackends}, compose adapters on two tokenized examples.
 * Prints {@code sockets: [...]} on stdout last and exits with the run's code.
 */
public final class EmbeddedRunMain {
    private static final List<String> ATTEMPTS = Collections.synchronizedList(new ArrayList<>());

    private EmbeddedRunMain() {}

    /**
     * @param args {@code library MODEL ADAPTERS}
     * @throws Exception on any failure of the run
     */
    @SuppressWarnings("removal") // SecurityManager: deprecated, works on 17 with -Djava.security.manager=allow
    public static void main(String[] args) throws Exception {
        System.setSecurityManager(
                new SecurityManager() {
                    @Override
                    public void checkPermission(Permission perm) {
                        if (perm instanceof SocketPermission) {
                            ATTEMPTS.add(perm.getName() + " " + perm.getActions());
                            throw new SecurityException("no network in lorahub runs: " + perm);
                        }
                    }

                    @Override
                    public void checkPermission(Permission perm, Object context) {
                        checkPermission(perm);
                    }
                });
        int code;
        try {
            code = library(Path.of(args[1]), Path.of(args[2]));
        } catch (Throwable t) {
            t.printStackTrace();
            code = 99;
        }
        System.out.println("sockets: " + ATTEMPTS);
        System.out.flush();
        System.exit(code);
    }

    /** Loads the model through {@link ModelBackends}, composes the adapters on two examples. */
    private static int library(Path model, Path adapters) throws Exception {
        List<Path> dirs;
        try (Stream<Path> s = Files.list(adapters)) {
            dirs = s.sorted().toList();
        }
        try (BaseModel m = ModelBackends.load(model)) {
            LoraHubResult r =
                    LoraHub.load(dirs)
                            .fewShot(
                                    List.of(
                                            FewShotExample.tokenized(
                                                    new int[] {1, 17, 42, 99, 7},
                                                    new int[] {-100, -100, 42, 99, 7}),
                                            FewShotExample.tokenized(
                                                    new int[] {1, 200, 12, 5},
                                                    new int[] {-100, -100, 12, 5})))
                            .on(m)
                            .budget(3)
                            .run();
            System.out.println("weights: " + r.weights());
            System.out.println(
                    "threads: "
                            + DjlRuntime.threads()
                            + " of "
                            + Runtime.getRuntime().availableProcessors());
        }
        return 0;
    }
}
