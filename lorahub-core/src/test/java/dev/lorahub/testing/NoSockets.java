package dev.lorahub.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketImpl;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The guard behind "no test opens a socket": installed in every test JVM of the build before the
 * first test ({@link NoSocketsSessionListener}), and in the child JVMs tests start ({@link
 * #installInChild()}). It records every socket use it can see, with the test that was running:
 *
 * <ul>
 *   <li>{@link Socket} and {@link ServerSocket} (so {@code HttpURLConnection}, {@code
 *       URL.openStream} and everything else on {@code java.net}'s classic sockets): their
 *       implementation factories are replaced by one whose {@code connect} and {@code bind} record
 *       the address and throw {@link ConnectException} / {@link BindException}, so the caller
 *       fails then and there;
 *   <li>every URL connection and {@code java.net.http.HttpClient} request without an explicit
 *       proxy: the default {@link ProxySelector} records the URI's host and port (HttpClient and
 *       NIO channels bypass the socket factories);
 *   <li>anything else, native code included (libtorch, the tokenizers library, NIO channels):
 *       every socket file descriptor of this process, read from {@code /proc/self/fd} and named
 *       from {@code /proc/self/net/{tcp,tcp6,udp,udp6,raw,raw6}}, checked every {@value
 *       #SAMPLE_MILLIS} ms by a daemon thread and at the end of each test. A socket opened and
 *       closed between two looks is missed; so is a DNS look-up made in native code. Unix-domain
 *       and netlink sockets are not network sockets and are not counted.
 * </ul>
 *
 * With {@value #MODE}{@code =loopback} (the Spark tests' JVM: Spark's local mode binds its driver
 * and block manager on 127.0.0.1) the socket factories are left alone and uses whose addresses are
 * all loopback are not recorded; any other address still is.
 *
 * <p>Thread-safe: the record is synchronized on the class.
 */
public final class NoSockets {
    /** System property: {@code none} (default: no socket at all) or {@code loopback}. */
    public static final String MODE = "lorahub.test.sockets";

    /**
     * System property of a child JVM ({@link #installInChild()}): the file each use is appended to,
     * one line each, as it happens (so a child killed with SIGKILL still reports).
     */
    public static final String REPORT = "lorahub.test.sockets.report";

    static final long SAMPLE_MILLIS = 50;

    private static final List<Use> USES = new ArrayList<>();
    private static final Set<String> SEEN_INODES = new HashSet<>();
    private static boolean installed;
    private static boolean loopbackAllowed;
    private static String current = "no test (between tests, or in a background thread)";
    private static Path report;

    private NoSockets() {}

    /**
     * One socket use.
     *
     * @param what {@code connect}, {@code bind}, {@code proxy look-up} or {@code open socket}
     * @param where host:port, a URI, or what {@code /proc} says of the socket
     * @param during the test (or class) running when it happened
     */
    public record Use(String what, String where, String during) {
        @Override
        public String toString() {
            return what + " " + where + " during " + during;
        }
    }

    /**
     * Installs the guard in this JVM (see the class comment). Idempotent.
     *
     * @throws IllegalStateException if another socket factory was installed before
     */
    public static synchronized void install() {
        if (installed) {
            return;
        }
        installed = true;
        loopbackAllowed = "loopback".equals(System.getProperty(MODE, "none"));
        if (!loopbackAllowed) {
            try {
                Socket.setSocketImplFactory(RefusingSocketImpl::new);
                ServerSocket.setSocketFactory(RefusingSocketImpl::new);
            } catch (IOException e) {
                throw new IllegalStateException(
                        "cannot install the no-socket guard: a socket factory is set already", e);
            }
        }
        ProxySelector.setDefault(new RecordingProxySelector(ProxySelector.getDefault()));
        SEEN_INODES.addAll(ProcSockets.socketInodes());
        Thread sampler =
                new Thread(
                        () -> {
                            while (true) {
                                try {
                                    Thread.sleep(SAMPLE_MILLIS);
                                } catch (InterruptedException e) {
                                    return;
                                }
                                scan();
                            }
                        },
                        "lorahub-no-sockets");
        sampler.setDaemon(true);
        sampler.start();
    }

    /**
     * Installs the guard in a child JVM a test started ({@link #childJvmArguments(Path)} gave its
     * command line the report file): each use is also appended to that file as it happens, for
     * the parent to read with {@link #childUses(Path)}.
     */
    public static void installInChild() {
        String file = System.getProperty(REPORT);
        synchronized (NoSockets.class) {
            if (file != null) {
                report = Path.of(file);
            }
            current = "the child JVM " + ProcessHandle.current().pid();
        }
        install();
    }

    /**
     * @param reportFile where the child appends its uses (created empty now)
     * @return the JVM arguments that make {@link #installInChild()} report there
     */
    public static List<String> childJvmArguments(Path reportFile) {
        try {
            Files.writeString(reportFile, "");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return List.of("-D" + REPORT + "=" + reportFile.toAbsolutePath());
    }

    /**
     * @param reportFile a child's report file
     * @return the uses the child reported, one line each
     */
    public static List<String> childUses(Path reportFile) throws IOException {
        return Files.readAllLines(reportFile, StandardCharsets.UTF_8).stream()
                .filter(l -> !l.isBlank())
                .toList();
    }

    /**
     * @param name the test or class that runs from now on (uses are attributed to it)
     * @return the number of uses recorded so far (pass it to {@link #usesSince(int)})
     */
    public static synchronized int enter(String name) {
        current = name;
        return USES.size();
    }

    /** Marks that no test runs from now on. */
    public static synchronized void leave() {
        current = "no test (between tests, or in a background thread)";
    }

    /**
     * Looks at this process's sockets now, then returns the uses recorded from a mark on.
     *
     * @param mark a value {@link #enter(String)} returned
     * @return the uses recorded since, each once: a use returned here is not returned again
     */
    public static List<Use> usesSince(int mark) {
        scan();
        synchronized (NoSockets.class) {
            List<Use> out = new ArrayList<>();
            for (int i = mark; i < USES.size(); i++) {
                if (USES.get(i) != null) {
                    out.add(USES.get(i));
                    USES.set(i, null);
                }
            }
            return out;
        }
    }

    /**
     * @return every use not yet returned by {@link #usesSince(int)}
     */
    public static List<Use> unreported() {
        return usesSince(0);
    }

    /**
     * @param uses uses, as {@link #usesSince(int)} returns them
     * @param who what opened them (a test, the session)
     * @return the one-line failure message
     */
    public static String message(List<Use> uses, String who) {
        return who
                + " used the network ("
                + uses.size()
                + (uses.size() == 1 ? " socket use" : " socket uses")
                + "; lorahub runs open no socket, see docs/embedding.md#network; a -Dtest run of"
                + " Spark's tests needs -D"
                + MODE
                + "=loopback): "
                + uses;
    }

    static void record(String what, String where) {
        synchronized (NoSockets.class) {
            Use u = new Use(what, where, current);
            USES.add(u);
            if (report != null) {
                try {
                    Files.writeString(
                            report,
                            u + "\n",
                            StandardCharsets.UTF_8,
                            StandardOpenOption.CREATE,
                            StandardOpenOption.APPEND);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
    }

    /** Whether a use of this host is allowed: a loopback name or literal in loopback mode. */
    private static boolean allowed(String host) {
        if (!loopbackAllowed) {
            return false;
        }
        String h = host.toLowerCase(Locale.ROOT).replace("[", "").replace("]", "");
        if (h.equals("localhost")) {
            return true;
        }
        // only literals: a host name would need a DNS look-up, itself a use of the network
        return h.matches("[0-9.]+|[0-9a-f:]+")
                && ProcSockets.isLoopbackOrAny(h)
                && !h.matches("0[.0]*|[0:]+");
    }

    /** Records each network socket of this process not seen before. */
    static synchronized void scan() {
        Set<String> inodes = ProcSockets.socketInodes();
        inodes.removeAll(SEEN_INODES);
        if (inodes.isEmpty()) {
            return;
        }
        Map<String, ProcSockets.NetSocket> net = ProcSockets.netSockets();
        Set<String> local = ProcSockets.inodesOf("unix", "netlink");
        // a socket closed while the tables were read is in none of them: classify only those
        // still open now (a unix-domain socket of a short name-service look-up is the usual one)
        Set<String> stillOpen = ProcSockets.socketInodes();
        for (String inode : inodes) {
            ProcSockets.NetSocket s = net.get(inode);
            if (s == null && (local.contains(inode) || !stillOpen.contains(inode))) {
                continue; // unix-domain or netlink (not a network socket), or gone
            }
            SEEN_INODES.add(inode);
            if (s == null && !loopbackAllowed) {
                // in no table: a TCP or UDP socket not bound or connected (yet, or any more)
                record("open socket", "inode " + inode + " (unconnected or closed TCP/UDP)");
            } else if (s != null && !(loopbackAllowed && s.loopback())) {
                record("open socket", s.toString());
            }
        }
    }

    /** Records every look-up, then answers as the JDK's default would. */
    private static final class RecordingProxySelector extends ProxySelector {
        private final ProxySelector previous;

        RecordingProxySelector(ProxySelector previous) {
            this.previous = previous;
        }

        @Override
        public List<Proxy> select(URI uri) {
            String host = uri.getHost() == null ? String.valueOf(uri) : uri.getHost();
            if (!allowed(host)) {
                record("proxy look-up", uri.toString());
            }
            return previous == null ? List.of(Proxy.NO_PROXY) : previous.select(uri);
        }

        @Override
        public void connectFailed(URI uri, SocketAddress sa, IOException ioe) {
            if (previous != null) {
                previous.connectFailed(uri, sa, ioe);
            }
        }
    }

    /** A socket that records, then refuses, every connect and bind. */
    private static final class RefusingSocketImpl extends SocketImpl {
        private IOException refuse(String what, String where) {
            record(what, where);
            String m = "lorahub tests open no socket: " + what + " " + where + " refused";
            return what.equals("bind") ? new BindException(m) : new ConnectException(m);
        }

        @Override
        protected void create(boolean stream) {}

        @Override
        protected void connect(String host, int port) throws IOException {
            throw refuse("connect", host + ":" + port);
        }

        @Override
        protected void connect(InetAddress address, int port) throws IOException {
            throw refuse("connect", address.getHostAddress() + ":" + port);
        }

        @Override
        protected void connect(SocketAddress address, int timeout) throws IOException {
            throw refuse("connect", show(address));
        }

        @Override
        protected void bind(InetAddress host, int port) throws IOException {
            throw refuse("bind", host.getHostAddress() + ":" + port);
        }

        @Override
        protected void listen(int backlog) throws IOException {
            throw refuse("listen", "backlog " + backlog);
        }

        @Override
        protected void accept(SocketImpl s) throws IOException {
            throw refuse("accept", "-");
        }

        @Override
        protected InputStream getInputStream() throws IOException {
            throw new ConnectException("lorahub tests open no socket");
        }

        @Override
        protected OutputStream getOutputStream() throws IOException {
            throw new ConnectException("lorahub tests open no socket");
        }

        @Override
        protected int available() {
            return 0;
        }

        @Override
        protected void close() {}

        @Override
        protected void sendUrgentData(int data) throws IOException {
            throw new ConnectException("lorahub tests open no socket");
        }

        @Override
        public void setOption(int optID, Object value) {}

        @Override
        public Object getOption(int optID) {
            return null;
        }

        private static String show(SocketAddress a) {
            if (a instanceof InetSocketAddress i) {
                String host =
                        i.getAddress() != null
                                ? i.getAddress().getHostAddress()
                                : i.getHostString();
                return host.toLowerCase(Locale.ROOT) + ":" + i.getPort();
            }
            return String.valueOf(a);
        }
    }
}
