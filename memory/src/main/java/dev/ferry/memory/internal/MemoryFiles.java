package dev.ferry.memory.internal;

import com.sun.jna.LastErrorException;
import dev.ferry.memory.MappedFile;
import dev.ferry.memory.MemoryException;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Creating, checking and putting in place memory files, as data: never through a link, never truncating a file in
 * place, private to their owner.
 * <p>
 * A file is created afresh and exclusively (mode 0600, {@code O_EXCL | O_NOFOLLOW}) and sized or reserved on the
 * descriptor that created it, so nothing can swap the path for a link in between. An existing regular file at the
 * path is <em>replaced</em> (unlinked first), never truncated: a process that still maps it, a source reading its
 * guest from it say, keeps its bytes. A link or anything that is not a regular file is refused.
 * <p>
 * A file is either sparse ({@link #createSparse}: no page allocated until written) or reserved
 * ({@link #createReserved}: its blocks allocated now, so a full file system is a clear error at creation, never a
 * SIGBUS later), with {@code posix_fallocate} where the file system supports it and zeros written otherwise.
 * <p>
 * A destination writes its guest to a partial file beside its target ({@link #partialOf}) and puts it in place
 * only once it is verified ({@link #commit}): a failed, cancelled or killed migration leaves the target as it was.
 */
public final class MemoryFiles {
    private static final int ZERO_CHUNK_BYTES = 1 << 20;
    private static final int ENOSPC = 28;
    private static final String PARTIAL_SUFFIX = ".partial";
    private static final Pattern PARTIAL = Pattern.compile("(.+)\\.(\\d+)\\.partial");

    private MemoryFiles() {
    }

    /**
     * Whether files are created through the native calls (Linux, JNA bound); the first call binds them, which a
     * cold process may do ahead, off the migration's clock.
     */
    public static boolean nativeCallsBound() {
        return NativeFiles.available();
    }

    /**
     * Creates {@code path} afresh with {@code lengthBytes} reserved; an existing regular file there is replaced.
     *
     * @throws MemoryException naming the path and the reason: a link or other non-regular file in the way, a missing
     *                         directory, or the space needed and the space there is.
     */
    public static void createReserved(final Path path, final long lengthBytes) {
        create(path, lengthBytes, true);
    }

    /**
     * Creates {@code path} afresh at {@code lengthBytes}, sparse: no page is allocated until written, so creating
     * costs nothing and a page never written is never allocated; an existing regular file there is replaced. The
     * file store must have the space when this is called (else a clear error), but nothing reserves it: a writer
     * into the mapping must treat running out of space as an error of its own (a failed read into the mapping is an
     * {@code IOException}; a failed store through it, an {@code InternalError}).
     *
     * @throws MemoryException naming the path and the reason, as {@link #createReserved}.
     */
    public static void createSparse(final Path path, final long lengthBytes) {
        create(path, lengthBytes, false);
    }

    private static void create(final Path path, final long lengthBytes, final boolean reserve) {
        requireDirectoryOf(path);
        final BasicFileAttributes existing = attributes(path);
        if (null != existing) {
            requireRegular(path, existing, "memory file");
            deleteQuietly(path);
        }
        boolean created = false;
        try {
            if (NativeFiles.available()) {
                created = createNative(path, lengthBytes, reserve);
            } else {
                Files.createFile(path, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                created = true;
                checkSpace(path, lengthBytes);
                try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw")) {
                    file.setLength(lengthBytes);
                }
                if (reserve) {
                    writeZeros(path, lengthBytes);
                }
            }
        } catch (final FileAlreadyExistsException ex) {
            throw new MemoryException("cannot create memory file " + path + ": something else created it meanwhile");
        } catch (final IOException ex) {
            if (created) {
                deleteQuietly(path);
            }
            throw new MemoryException("cannot create memory file " + path + " of " + lengthBytes + " bytes: " +
                ex.getMessage(), ex);
        } catch (final MemoryException ex) {
            if (created) {
                deleteQuietly(path);
            }
            throw ex;
        }
    }

    /** Creates, checks the space, sizes or reserves on one descriptor; returns true (the file exists now). */
    private static boolean createNative(final Path path, final long lengthBytes, final boolean reserve)
        throws IOException {
        final int fd;
        try {
            fd = NativeFiles.createExclusive(path.toString());
        } catch (final LastErrorException ex) {
            throw new MemoryException("cannot create memory file " + path + ": " + errno(ex));
        }
        boolean done = false;
        try {
            checkSpace(path, lengthBytes);
            if (reserve) {
                final int error = NativeFiles.reserve(fd, lengthBytes);
                if (error == NativeFiles.EOPNOTSUPP) {
                    NativeFiles.truncate(fd, lengthBytes);
                    writeZeros(path, lengthBytes);
                } else if (error == ENOSPC) {
                    throw new MemoryException("not enough space for memory file " + path + ": reserving " +
                        lengthBytes + " bytes failed (no space left on device)");
                } else if (error != 0) {
                    throw new MemoryException("cannot reserve " + lengthBytes + " bytes for memory file " + path +
                        ": error " + error);
                }
            } else {
                NativeFiles.truncate(fd, lengthBytes);
            }
            done = true;
        } catch (final LastErrorException ex) {
            throw new MemoryException("cannot size memory file " + path + " at " + lengthBytes + " bytes: " + errno(ex));
        } finally {
            NativeFiles.closeQuietly(fd);
            if (!done) {
                deleteQuietly(path);
            }
        }
        return true;
    }

    private static String errno(final LastErrorException ex) {
        return switch (ex.getErrorCode()) {
            case 17 -> "something is already there (created meanwhile?)";
            case 40 -> "it is a symbolic link, and Ferry never writes through a link";
            case 13, 1 -> "permission denied";
            case 28 -> "no space left on device";
            default -> "error " + ex.getErrorCode();
        };
    }

    private static void checkSpace(final Path path, final long lengthBytes) throws IOException {
        final FileStore store = Files.getFileStore(path);
        final long usable = store.getUsableSpace();
        if (usable < lengthBytes) {
            throw new MemoryException("not enough space for memory file " + path + ": need " + lengthBytes +
                " bytes, " + store + " has " + usable + " usable");
        }
    }

    private static void writeZeros(final Path path, final long lengthBytes) throws IOException {
        final ByteBuffer zeros = ByteBuffer.allocateDirect(ZERO_CHUNK_BYTES);
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
            long at = 0;
            while (at < lengthBytes) {
                zeros.clear().limit((int)Math.min(ZERO_CHUNK_BYTES, lengthBytes - at));
                while (zeros.hasRemaining()) {
                    at += channel.write(zeros, at);
                }
            }
        }
    }

    /** What is at {@code path} itself (a link is not followed), or null when nothing is. */
    private static BasicFileAttributes attributes(final Path path) {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (final IOException ex) {
            return null;
        }
    }

    private static void requireDirectoryOf(final Path path) {
        final Path parent = path.toAbsolutePath().getParent();
        if (null != parent && !Files.isDirectory(parent)) {
            throw new MemoryException("directory " + parent + " of memory file " + path + " does not exist");
        }
    }

    private static void requireRegular(final Path path, final BasicFileAttributes attributes, final String what) {
        if (attributes.isSymbolicLink()) {
            throw new MemoryException(what + " " + path + " is a symbolic link: Ferry never reads or writes through " +
                "a link; name the file itself");
        }
        if (attributes.isDirectory()) {
            throw new MemoryException(what + " " + path + " is a directory, not a file");
        }
        if (!attributes.isRegularFile()) {
            throw new MemoryException(what + " " + path + " is not a regular file (a device, a pipe or a socket)");
        }
    }

    /**
     * Checks that {@code path} is an existing regular file, itself and not a link, before it is opened or mapped
     * (which then also refuses a link, in case one was put there since).
     *
     * @throws MemoryException naming the path and what is wrong with it.
     */
    public static void requireRegularFile(final Path path, final String what) {
        final BasicFileAttributes attributes = attributes(path);
        if (null == attributes) {
            throw new MemoryException(what + " " + path + " does not exist");
        }
        requireRegular(path, attributes, what);
    }

    /**
     * Checks that a destination may later put a guest at {@code target}: its directory exists, and nothing is there,
     * or (with {@code overwrite}) a regular file is, to be replaced once the guest is verified. Never a link, a
     * directory or another kind of file.
     *
     * @throws MemoryException naming the path and what is wrong with it.
     */
    public static void checkTarget(final Path target, final boolean overwrite) {
        requireDirectoryOf(target);
        final BasicFileAttributes attributes = attributes(target);
        if (null == attributes) {
            return;
        }
        requireRegular(target, attributes, "memory file");
        if (!overwrite) {
            throw new MemoryException("memory file " + target + " already exists: a destination never replaces a file " +
                "unless told to (--overwrite): the verified guest then replaces it, and a failed migration leaves it");
        }
    }

    /**
     * The partial file of this process for {@code target}: {@code NAME.PID.partial} beside it, where a destination
     * writes the guest until it is verified.
     */
    public static Path partialOf(final Path target) {
        return target.resolveSibling(target.getFileName() + "." + ProcessHandle.current().pid() + PARTIAL_SUFFIX);
    }

    /**
     * Removes the partial files that destinations which are no longer running (killed, crashed) left for
     * {@code target} ({@code NAME.PID.partial} of a process that is gone; regular files only); returns them.
     */
    public static List<Path> removeStalePartials(final Path target) {
        final Path directory = target.toAbsolutePath().getParent();
        return null == directory ? new ArrayList<>() : removeStalePartials(directory,
            target.getFileName().toString()::equals);
    }

    /** As {@link #removeStalePartials(Path)}, for every target in {@code directory} (a daemon's data directory). */
    public static List<Path> removeStalePartialsIn(final Path directory) {
        return removeStalePartials(directory, name -> true);
    }

    private static List<Path> removeStalePartials(final Path directory, final Predicate<String> forTarget) {
        final List<Path> removed = new ArrayList<>();
        if (!Files.isDirectory(directory)) {
            return removed;
        }
        try (Stream<Path> files = Files.list(directory)) {
            for (final Path file : (Iterable<Path>)files::iterator) {
                final Matcher matcher = PARTIAL.matcher(file.getFileName().toString());
                if (!matcher.matches() || !forTarget.test(matcher.group(1))) {
                    continue;
                }
                final long pid = parsePid(matcher.group(2));
                final BasicFileAttributes attributes = attributes(file);
                if (pid > 0 && null != attributes && attributes.isRegularFile() &&
                    ProcessHandle.of(pid).map(handle -> !handle.isAlive()).orElse(true)) {
                    Files.deleteIfExists(file);
                    removed.add(file);
                }
            }
        } catch (final IOException ignore) {
            // a leftover we could not remove costs space, not correctness: the next destination uses its own name.
        }
        return removed;
    }

    /**
     * The size of {@code path} as a guest's memory file to send: a regular file (not a link) of whole pages, else a
     * {@link MemoryException} naming {@code what} (the option or field that gave it), the path and what is wrong.
     */
    public static long guestFileSize(final Path path, final String what, final int pageBytes) {
        requireRegularFile(path, what);
        final BasicFileAttributes attributes = attributes(path);
        final long size = null == attributes ? 0 : attributes.size();
        if (size == 0 || size % pageBytes != 0) {
            throw new MemoryException(what + " " + path + " is " + size + " bytes: expected a positive multiple of " +
                "the page size " + pageBytes);
        }
        return size;
    }

    private static long parsePid(final String digits) {
        try {
            return Long.parseLong(digits);
        } catch (final NumberFormatException ex) {
            return -1;
        }
    }

    /**
     * Puts the verified guest in {@code partial} at {@code target}: with {@code overwrite} by one atomic rename
     * (a file at the target is replaced, an open mapping of it keeps its bytes); without, only if nothing is at the
     * target (a hard link, which fails if something is, then the partial name removed).
     *
     * @throws MemoryException if the target is taken or the file system refuses; {@code partial} is then unchanged.
     */
    public static void commit(final Path partial, final Path target, final boolean overwrite) {
        try {
            place(partial, target, overwrite);
            syncDirectory(target.toAbsolutePath().getParent()); // a target has a directory: checkTarget required it
        } catch (final AtomicMoveNotSupportedException ex) {
            throw new MemoryException("cannot put the guest at " + target + ": the file system cannot rename " +
                partial + " onto it atomically");
        } catch (final IOException ex) {
            throw new MemoryException("cannot put the guest at " + target + ": " + ex.getMessage(), ex);
        }
    }

    /** Makes the rename of a guest into {@code directory} durable: after a power loss, the whole file or nothing. */
    private static void syncDirectory(final Path directory) {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (final IOException ignore) {
            // some file systems refuse to sync a directory; the rename is still atomic.
        }
    }

    private static void place(final Path partial, final Path target, final boolean overwrite) throws IOException {
        if (overwrite) {
            checkTarget(target, true);
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
            return;
        }
        try {
            Files.createLink(target, partial);
            Files.delete(partial);
        } catch (final FileAlreadyExistsException ex) {
            throw new MemoryException("memory file " + target + " appeared during the migration; it was left as " +
                "it is and the guest discarded (--overwrite replaces it)");
        } catch (final UnsupportedOperationException | IOException ex) {
            if (null != attributes(target)) { // a file system without hard links: check, then rename.
                throw new MemoryException("memory file " + target + " appeared during the migration; it was left " +
                    "as it is and the guest discarded (--overwrite replaces it)");
            }
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
        }
    }

    /**
     * Writes a zero into every {@code pageBytes} page of the first {@code lengthBytes} of {@code path}, with
     * {@code threads} threads, so that every page is allocated; the mapping is dropped after, and its page tables with
     * it (to keep them for a migration, touch through a {@link MappedFile} and cut the guest from it). The file must
     * already be that long.
     *
     * @throws MemoryException if the file cannot be mapped, or its file system runs out of space while touching.
     */
    public static void touchEveryPage(final Path path, final long lengthBytes, final int pageBytes, final int threads) {
        try (MappedFile file = MappedFile.map(path, lengthBytes)) {
            file.touchEveryPage(pageBytes, threads);
        }
    }

    /** Deletes {@code path} if it exists (a link itself, never its target), ignoring errors (clean-up after a failure). */
    public static void deleteQuietly(final Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (final IOException ignore) {
            // best effort: the failure being reported matters more than the clean-up's.
        }
    }
}
