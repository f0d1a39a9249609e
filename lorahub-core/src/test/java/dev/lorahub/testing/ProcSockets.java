package dev.lorahub.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * This process's sockets as Linux shows them: the socket inodes of {@code /proc/self/fd}, and the
 * rows of {@code /proc/self/net/*} that name their addresses. Everything here is empty on a system
 * without {@code /proc}. Used by {@link NoSockets}.
 */
final class ProcSockets {
    private static final String[] NET_TABLES = {"tcp", "tcp6", "udp", "udp6", "raw", "raw6"};

    private ProcSockets() {}

    /** The inodes of this process's socket file descriptors (empty where /proc is absent). */
    static Set<String> socketInodes() {
        Set<String> out = new HashSet<>();
        Path fds = Path.of("/proc/self/fd");
        if (!Files.isDirectory(fds)) {
            return out;
        }
        try (Stream<Path> s = Files.list(fds)) {
            for (Path fd : s.toList()) {
                String target;
                try {
                    target = Files.readSymbolicLink(fd).toString();
                } catch (IOException e) {
                    continue; // closed between the listing and the look
                }
                if (target.startsWith("socket:[")) {
                    out.add(target.substring("socket:[".length(), target.length() - 1));
                }
            }
        } catch (IOException e) {
            // an fd closed while listed; the next look sees the rest
        }
        return out;
    }

    /** The inodes listed in /proc/self/net tables of another kind than TCP/UDP/raw. */
    static Set<String> inodesOf(String... tables) {
        Set<String> out = new HashSet<>();
        for (String table : tables) {
            List<String> lines;
            try {
                lines = Files.readAllLines(Path.of("/proc/self/net", table));
            } catch (IOException e) {
                continue;
            }
            if (lines.isEmpty()) {
                continue;
            }
            int column = List.of(lines.get(0).trim().split("\\s+")).indexOf("Inode");
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.trim().split("\\s+");
                if (column >= 0 && column < f.length) {
                    out.add(f[column]);
                }
            }
        }
        return out;
    }

    /** A row of /proc/self/net/*. */
    record NetSocket(String table, String local, String remote, boolean loopback) {
        @Override
        public String toString() {
            return table + " " + local + " -> " + remote;
        }
    }

    /** The network sockets of this process's network namespace, by inode. */
    static Map<String, NetSocket> netSockets() {
        Map<String, NetSocket> out = new HashMap<>();
        for (String table : NET_TABLES) {
            List<String> lines;
            try {
                lines = Files.readAllLines(Path.of("/proc/self/net", table));
            } catch (IOException e) {
                continue;
            }
            for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
                String[] f = line.trim().split("\\s+");
                if (f.length < 10) {
                    continue;
                }
                String[] local = address(f[1]);
                String[] remote = address(f[2]);
                boolean loopback = isLoopbackOrAny(local[0]) && isLoopbackOrAny(remote[0]);
                out.put(
                        f[9],
                        new NetSocket(
                                table,
                                local[0] + ":" + local[1],
                                remote[0] + ":" + remote[1],
                                loopback));
            }
        }
        return out;
    }

    /** {@code 0100007F:1F90} to {@code [127.0.0.1, 8080]} (IPv4 and IPv6 rows of /proc/net). */
    static String[] address(String hexAddressAndPort) {
        int colon = hexAddressAndPort.indexOf(':');
        String hex = hexAddressAndPort.substring(0, colon);
        int port = Integer.parseInt(hexAddressAndPort.substring(colon + 1), 16);
        byte[] bytes = new byte[hex.length() / 2];
        // each 32-bit word is in the kernel's (little-endian) byte order
        for (int word = 0; word < bytes.length / 4; word++) {
            for (int b = 0; b < 4; b++) {
                int at = word * 8 + (3 - b) * 2;
                bytes[word * 4 + b] = (byte) Integer.parseInt(hex.substring(at, at + 2), 16);
            }
        }
        try {
            return new String[] {
                InetAddress.getByAddress(bytes).getHostAddress(), Integer.toString(port)
            };
        } catch (IOException e) {
            return new String[] {hex, Integer.toString(port)};
        }
    }

    static boolean isLoopbackOrAny(String host) {
        try {
            InetAddress a = InetAddress.getByName(host);
            return a.isLoopbackAddress() || a.isAnyLocalAddress();
        } catch (IOException e) {
            return false;
        }
    }
}
