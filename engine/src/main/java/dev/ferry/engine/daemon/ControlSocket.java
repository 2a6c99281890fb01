package dev.ferry.engine.daemon;

import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;
import dev.ferry.engine.stats.CountersDirectory;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.function.Consumer;

/**
 * The control socket's path, made safe before Jetty binds it: its directory is private (made mode 0700, or an
 * existing one owned by this user and writable by no one else, as the counters directory), nothing but a stale
 * socket is ever removed from the path (a live daemon's socket, a file, a link or a directory there is refused),
 * and the socket is mode 0600 once bound. In a private directory no other user can reach the socket even in the
 * moment between its bind and its chmod.
 */
final class ControlSocket {
    /** The file type bits of a socket in {@code st_mode}. */
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;

    private ControlSocket() {
    }

    /** The default: {@code /run/ferry/control.sock} as root, else {@code $XDG_RUNTIME_DIR/ferry/control.sock}. */
    static Path defaultPath() {
        final boolean root = "root".equals(System.getProperty("user.name"));
        final String runtimeDir = System.getenv("XDG_RUNTIME_DIR");
        final Path base = root || null == runtimeDir || runtimeDir.isEmpty() ? Path.of("/run") : Path.of(runtimeDir);
        return base.resolve("ferry").resolve("control.sock");
    }

    /**
     * Readies {@code socket} for binding: its directory made or checked, a stale socket of a dead daemon removed
     * (said through {@code log}); anything else at the path refused with a CONFIGURATION error naming it.
     */
    static void prepare(final Path socket, final Consumer<String> log) {
        final Path absolute = socket.toAbsolutePath();
        final Path directory = absolute.getParent();
        if (null == directory) {
            throw new FerryException(ErrorCode.CONFIGURATION, "--control unix:" + socket + ": no directory to make it in");
        }
        CountersDirectory.prepare(directory, "another directory with --control unix:PATH");
        final BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(absolute, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (final IOException ex) {
            return; // nothing there
        }
        if (!isSocket(absolute, attributes)) {
            throw new FerryException(ErrorCode.CONFIGURATION, "--control " + socket + " exists and is not a socket " +
                "(" + kind(attributes) + "): the daemon never removes what is not a stale socket of its own; choose " +
                "another path or remove it");
        }
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(absolute));
            throw new FerryException(ErrorCode.CONFIGURATION, "--control " + socket + " is the socket of a running " +
                "daemon, which answers on it: stop that one first, or choose another path");
        } catch (final IOException refused) {
            try {
                Files.delete(absolute);
                log.accept("ferry: removed the stale control socket " + absolute + " of a daemon that is no longer " +
                    "running");
            } catch (final IOException ex) {
                throw new FerryException(ErrorCode.CONFIGURATION, "--control " + socket + ": a stale socket is there " +
                    "and cannot be removed: " + ex.getMessage());
            }
        }
    }

    /** After the bind: owner read and write only. */
    static void restrict(final Path socket) {
        try {
            Files.setPosixFilePermissions(socket.toAbsolutePath(), PosixFilePermissions.fromString("rw-------"));
        } catch (final IOException ex) {
            throw new FerryException(ErrorCode.CONFIGURATION, "cannot make the control socket " + socket +
                " private (mode 0600): " + ex.getMessage());
        }
    }

    private static boolean isSocket(final Path path, final BasicFileAttributes attributes) {
        if (!attributes.isOther()) {
            return false;
        }
        try {
            final int mode = (Integer)Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            return (mode & S_IFMT) == S_IFSOCK;
        } catch (final IOException | UnsupportedOperationException ex) {
            return false;
        }
    }

    private static String kind(final BasicFileAttributes attributes) {
        return attributes.isSymbolicLink() ? "a link" : attributes.isDirectory() ? "a directory" :
            attributes.isRegularFile() ? "a regular file" : "a device or pipe";
    }
}
