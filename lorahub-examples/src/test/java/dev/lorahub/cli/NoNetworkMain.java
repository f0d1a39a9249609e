package dev.lorahub.cli;

import java.net.SocketPermission;
import java.security.Permission;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The child JVM of {@link NoNetworkTest}: installs a security manager that refuses, and records,
 * every {@link SocketPermission} check (Java checks one before any socket connects, listens,
 * accepts or resolves a host name, for {@code java.net} and NIO alike), then runs the command line
 * ({@code cli ARGS...}; lorahub-djl's {@code EmbeddedRunTest} checks a library run the same way).
 * Prints {@code sockets: [...]} on stdout last and exits with the run's code.
 */
public final class NoNetworkMain {
    private static final List<String> ATTEMPTS = Collections.synchronizedList(new ArrayList<>());

    private NoNetworkMain() {}

    /**
     * @param args {@code cli ARGS...}
     * @throws Exception on any failure of the run
     */
    @SuppressWarnings("removal") // SecurityManager: deprecated, still works on 17 with -Djava.security.manager=allow
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
            code = cli(args);
        } catch (Throwable t) {
            t.printStackTrace();
            code = 99;
        }
        System.out.println("sockets: " + ATTEMPTS);
        System.out.flush();
        System.exit(code);
    }

    private static int cli(String[] args) {
        String[] rest = new String[args.length - 1];
        System.arraycopy(args, 1, rest, 0, rest.length);
        return LoraHubCli.commandLine().execute(rest);
    }
}
