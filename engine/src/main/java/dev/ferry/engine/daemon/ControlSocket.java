package dev.ferry.engine.daemon;

import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;
import dev.ferry.engine.stats.CountersDirectory;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
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

    /**
     * The default: {@code /run/ferry/control.sock} as root, else {@code $XDG_RUNTIME_DIR/ferry/control.sock}, else
     * {@code ferry-USER/control.sock} in the temporary directory (made mode 0700, and refused if another user made it).
     */
    static Path defaultPath() {
        final String user = System.getProperty("user.name");
        final String runtimeDir = System.getenv("XDG_RUNTIME_DIR");
        if ("root".equals(user)) {
            return Path.of("/run", "ferry", "control.sock");
        }
        if (null != runtimeDir && !runtimeDir.isEmpty()) {
            return Path.of(runtimeDir, "ferry", "control.sock");
        }
        return Path.of(System.getProperty("java.io.tmpdir"), "ferry-" + user, "control.sock");
    }

    /**
     * Readies {@code socket} for binding and holds it: its directory made or checked, a lock taken on
     * {@code PATH.lock} beside it (so that a second daemon starting on the same path at the same moment is refused
     * before it can touch the path), a stale socket of a dead daemon removed (said through {@code log}); anything
     * else at the path refused with a CONFIGURATION error naming it. Closing the claim removes the socket and
     * releases the lock.
     */
    static Claim claim(final Path socket, final Consumer<String> log) {
        final Path absolute = socket.toAbsolutePath();
        final Path directory = absolute.getParent();
        if (null == directory) {
            throw new FerryException(ErrorCode.CONFIGURATION, "--control unix:" + socket + ": no directory to make it in");
        }
        CountersDirectory.prepare(directory, "control socket's directory", "another directory with --control " +
            "unix:PATH");
        final Path lockFile = absolute.resolveSibling(absolute.getFileName() + ".lock");
        final FileChannel channel;
        final FileLock lock;
        try {
            channel = FileChannel.open(lockFile, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(
                "rw-------")));
        } catch (final IOException ex) {
            throw new FerryException(ErrorCode.CONFIGURATION, "--control " + socket + ": cannot open its lock file " +
                lockFile + ": " + CountersDirectory.reason(ex));
        }
        FileLock taken;
        try {
            taken = channel.tryLock();
        } catch (final java.nio.channels.OverlappingFileLockException heldInThisJvm) {
            taken = null;
        } catch (final IOException ex) {
            closeQuietly(channel);
            throw new FerryException(ErrorCode.CONFIGURATION, "--control " + socket + ": cannot lock " + lockFile +
                ": " + CountersDirectory.reason(ex));
        }
        lock = taken;
        if (null == lock) {
            closeQuietly(channel);
            throw new FerryException(ErrorCode.CONFIGURATION, "--control " + socket + " is held by another daemon " +
                "(its lock " + lockFile + " is taken): stop that one first, or choose another path");
        }
        try {
            removeIfStale(absolute, "--control", log);
        } catch (final RuntimeException ex) {
            deleteQuietly(lockFile); // ours while we held it: nothing of this refused start is left behind
            closeQuietly(channel);
            throw ex;
        }
        return new Claim(absolute, lockFile, channel);
    }

    /**
     * Removes {@code path} if it is the stale socket of a process that no longer answers on it (said through
     * {@code log}); refuses (CONFIGURATION, naming {@code option}) a live socket or anything that is not a socket.
     * Nothing there: nothing to do.
     */
    static void removeIfStale(final Path path, final String option, final Consumer<String> log) {
        final BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (final IOException ex) {
            return; // nothing there
        }
        if (!isSocket(path, attributes)) {
            throw new FerryException(ErrorCode.CONFIGURATION, option + " " + path + " exists and is not a socket " +
                "(" + kind(attributes) + "): the daemon never removes what is not a stale socket of its own; choose " +
                "another path or remove it");
        }
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(path));
            throw new FerryException(ErrorCode.CONFIGURATION, option + " " + path + " is the socket of a running " +
                "daemon, which answers on it: stop that one first, or choose another path");
        } catch (final IOException refused) {
            try {
                Files.delete(path);
                log.accept("ferry: removed the stale socket " + path + " (" + option + ") of a daemon that is no " +
                    "longer running");
            } catch (final IOException ex) {
                throw new FerryException(ErrorCode.CONFIGURATION, option + " " + path + ": a stale socket is there " +
                    "and cannot be removed: " + ex.getMessage());
            }
        }
    }

    /** A socket path held by this daemon: removed, and its lock released, on close. */
    static final class Claim implements AutoCloseable {
        private final Path socket;
        private final Path lockFile;
        private final FileChannel lock;

        private Claim(final Path socket, final Path lockFile, final FileChannel lock) {
            this.socket = socket;
            this.lockFile = lockFile;
            this.lock = lock;
        }

        Path socket() {
            return socket;
        }

        @Override
        public void close() {
            try {
                Files.deleteIfExists(socket);
                Files.deleteIfExists(lockFile);
            } catch (final IOException ignore) {
                // what is left is stale, and removed by the next daemon on this path.
            }
            closeQuietly(lock);
        }
    }

    private static void deleteQuietly(final Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (final IOException ignore) {
            // a lock file left behind is harmless: the next daemon opens and locks it.
        }
    }

    private static void closeQuietly(final FileChannel channel) {
        try {
            channel.close();
        } catch (final IOException ignore) {
            // closing: nothing more to do.
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
