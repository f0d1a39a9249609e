package dev.lorahub.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ProxySelector;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import org.junit.jupiter.api.Test;

/**
 * The guard every test JVM of the build runs ({@link NoSocketsSessionListener}): each check opens
 * a socket the guard must see, then takes the use off the record ({@link NoSockets#usesSince}) so
 * that this test itself does not fail for it.
 */
class NoSocketsTest {
    @Test
    void the_guard_is_installed_before_the_first_test() {
        assertThat(ProxySelector.getDefault().getClass().getName())
                .isEqualTo(NoSockets.class.getName() + "$RecordingProxySelector");
    }

    @Test
    void a_socket_to_the_loopback_address_is_refused_and_recorded_with_its_address() {
        int mark = NoSockets.enter("probe");
        assertThatThrownBy(() -> new Socket("127.0.0.1", 9).close())
                .isInstanceOf(ConnectException.class)
                .hasMessageContaining("connect 127.0.0.1:9");
        assertThat(NoSockets.usesSince(mark))
                .containsExactly(new NoSockets.Use("connect", "127.0.0.1:9", "probe"));
    }

    @Test
    void a_server_socket_is_refused_and_recorded() {
        int mark = NoSockets.enter("probe");
        assertThatThrownBy(() -> new ServerSocket(0).close()).hasMessageContaining("bind");
        assertThat(NoSockets.usesSince(mark))
                .extracting(NoSockets.Use::what)
                .containsExactly("bind");
    }

    @Test
    void a_url_connection_is_recorded_at_its_proxy_look_up() {
        int mark = NoSockets.enter("probe");
        // what HttpURLConnection and java.net.http.HttpClient ask before they connect
        ProxySelector.getDefault().select(URI.create("http://169.254.169.254/latest/meta-data/"));
        assertThat(NoSockets.usesSince(mark))
                .containsExactly(
                        new NoSockets.Use(
                                "proxy look-up",
                                "http://169.254.169.254/latest/meta-data/",
                                "probe"));
    }

    @Test
    void a_listening_nio_channel_which_bypasses_the_socket_factories_is_seen_in_proc()
            throws Exception {
        int mark = NoSockets.enter("probe");
        try (ServerSocketChannel c = ServerSocketChannel.open()) {
            c.bind(new InetSocketAddress("127.0.0.1", 0));
            int port = ((InetSocketAddress) c.getLocalAddress()).getPort();
            // tcp or tcp6 (Java's sockets are dual-stack where IPv6 is on), listening: no peer
            assertThat(NoSockets.usesSince(mark))
                    .singleElement()
                    .satisfies(u -> assertThat(u.what()).isEqualTo("open socket"))
                    .extracting(NoSockets.Use::where)
                    .asString()
                    .matches("tcp6? 127\\.0\\.0\\.1:" + port + " -> (0\\.0\\.0\\.0|[0:]+):0");
        }
    }

    @Test
    void an_unconnected_nio_channel_is_seen_in_proc_without_an_address() throws Exception {
        int mark = NoSockets.enter("probe");
        try (SocketChannel c = SocketChannel.open()) {
            assertThat(NoSockets.usesSince(mark))
                    .extracting(NoSockets.Use::where)
                    .singleElement()
                    .asString()
                    .matches("inode \\d+ \\(unconnected or closed TCP/UDP\\)");
        }
    }

    @Test
    void proc_net_addresses_are_decoded_in_the_kernels_byte_order() {
        assertThat(ProcSockets.address("0100007F:1F90")).containsExactly("127.0.0.1", "8080");
        assertThat(ProcSockets.address("FEA9FEA9:0050")).containsExactly("169.254.169.254", "80");
        assertThat(ProcSockets.address("00000000000000000000000001000000:0050"))
                .containsExactly("0:0:0:0:0:0:0:1", "80");
    }
}
