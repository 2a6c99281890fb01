package dev.ferry.engine.daemon;

import dev.ferry.engine.FerryException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the daemon removes from a socket path (a stale socket) and what it refuses (anything else), and its lock. */
final class ControlSocketTest {
    @Test
    void onlyAStaleSocketIsRemovedAndALiveOneOrAFileIsRefused(@TempDir final Path dir) throws Exception {
        final List<String> log = new ArrayList<>();
        final Path stale = dir.resolve("stale.sock");
        try (ServerSocketChannel bound = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            bound.bind(UnixDomainSocketAddress.of(stale)); // closed below without removing its file: a killed daemon's
        }
        assertTrue(Files.exists(stale));
        ControlServer.removeStaleSocket(stale, "--listen", log::add);
        assertFalse(Files.exists(stale));
        assertTrue(log.get(0).contains("removed the stale socket " + stale + " (--listen)"), log.toString());

        final Path live = dir.resolve("live.sock");
        try (ServerSocketChannel bound = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            bound.bind(UnixDomainSocketAddress.of(live));
            assertTrue(assertThrows(FerryException.class, () -> ControlServer.removeStaleSocket(live, "--listen",
                log::add)).getMessage().contains("is the socket of a running daemon"));
            assertTrue(Files.exists(live));
        }
        final Path file = Files.writeString(dir.resolve("file.sock"), "data");
        assertTrue(assertThrows(FerryException.class, () -> ControlServer.removeStaleSocket(file, "--listen",
            log::add)).getMessage().contains("is not a socket (a regular file)"));
        final Path link = Files.createSymbolicLink(dir.resolve("link.sock"), live);
        assertTrue(assertThrows(FerryException.class, () -> ControlServer.removeStaleSocket(link, "--listen",
            log::add)).getMessage().contains("is not a socket (a link)"));
        assertTrue(Files.exists(file) && Files.isSymbolicLink(link), "nothing but a stale socket is removed");
    }

    @Test
    void aSecondClaimOfOneSocketIsRefusedWhileTheFirstHoldsIt(@TempDir final Path dir) throws Exception {
        final Path socket = dir.resolve("run").resolve("api.sock");
        try (ControlSocket.Claim first = ControlSocket.claim(socket, line -> { })) {
            assertTrue(assertThrows(FerryException.class, () -> ControlSocket.claim(socket, line -> { }))
                .getMessage().contains("is held by another daemon"));
        }
        ControlSocket.claim(socket, line -> { }).close(); // released: taken again
    }
}
