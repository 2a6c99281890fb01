package dev.ferry.memory;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

/**
 * Creating memory files whose space is <em>reserved</em>, not merely sized.
 * <p>
 * A sparse file on a tmpfs or disk that later runs out of space turns a store into the mapping into a SIGBUS that
 * kills the JVM mid-migration. So a file is created afresh, checked against the file store's usable space, and
 * then its blocks are allocated up front: with {@code fallocate(1)} (util-linux, on every Debian-like system; one
 * fast syscall that fails cleanly with "No space left on device"), or, where that command is missing, by writing
 * zeros through the file channel.
 */
public final class MemoryFiles {
    private static final int ZERO_CHUNK_BYTES = 1 << 20;

    private MemoryFiles() {
    }

    /**
     * Creates {@code path} afresh (an existing file is truncated) with {@code lengthBytes} reserved.
     *
     * @throws MemoryException naming the path, the size needed and the space there is, if the space is not there.
     */
    public static void createReserved(final Path path, final long lengthBytes) {
        create(path, lengthBytes, true);
    }

    /**
     * Creates {@code path} afresh (an existing file is truncated) at {@code lengthBytes}, sparse: no page is
     * allocated until written, so creating costs nothing and a page never written is never allocated. The file
     * store must have the space when this is called (else a clear error), but nothing reserves it: a writer into the
     * mapping must treat running out of space as an error of its own (a failed read into the mapping is an
     * {@code IOException}; a failed store through it, an {@code InternalError}).
     *
     * @throws MemoryException naming the path, the size needed and the space there is, if the space is not there.
     */
    public static void createSparse(final Path path, final long lengthBytes) {
        create(path, lengthBytes, false);
    }

    private static void create(final Path path, final long lengthBytes, final boolean reserve) {
        try {
            final Path parent = path.toAbsolutePath().getParent();
            if (null != parent && !Files.isDirectory(parent)) {
                throw new MemoryException("directory " + parent + " of memory file " + path + " does not exist");
            }
            try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw")) {
                file.setLength(0);
                final FileStore store = Files.getFileStore(path);
                final long usable = store.getUsableSpace();
                if (usable < lengthBytes) {
                    throw new MemoryException("not enough space for memory file " + path + ": need " + lengthBytes +
                        " bytes, " + store + " has " + usable + " usable");
                }
                if (!reserve) {
                    file.setLength(lengthBytes);
                }
            }
            if (reserve && !fallocate(path, lengthBytes)) {
                writeZeros(path, lengthBytes);
            }
        } catch (final IOException ex) {
            deleteQuietly(path);
            throw new MemoryException("cannot create memory file " + path + " of " + lengthBytes + " bytes: " +
                ex.getMessage(), ex);
        } catch (final MemoryException ex) {
            deleteQuietly(path);
            throw ex;
        }
    }

    private static boolean fallocate(final Path path, final long lengthBytes) throws IOException {
        final Process process;
        try {
            process = new ProcessBuilder("fallocate", "-l", Long.toString(lengthBytes), path.toString())
                .redirectErrorStream(true).start();
        } catch (final IOException ex) {
            return false;
        }
        try {
            final String output = new String(process.getInputStream().readAllBytes()).trim();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException("fallocate did not finish within 60 s");
            }
            if (process.exitValue() == 0) {
                return true;
            }
            if (output.contains("not supported")) {
                return false;
            }
            throw new IOException("reserving space failed: " + output);
        } catch (final InterruptedException ex) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IOException("interrupted while reserving space");
        }
    }

    private static void writeZeros(final Path path, final long lengthBytes) throws IOException {
        final ByteBuffer zeros = ByteBuffer.allocateDirect(ZERO_CHUNK_BYTES);
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.WRITE)) {
            long at = 0;
            while (at < lengthBytes) {
                zeros.clear().limit((int)Math.min(ZERO_CHUNK_BYTES, lengthBytes - at));
                while (zeros.hasRemaining()) {
                    at += channel.write(zeros, at);
                }
            }
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

    /** Deletes {@code path} if it exists, ignoring errors (clean-up after a failure). */
    public static void deleteQuietly(final Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (final IOException ignore) {
            // best effort: the failure being reported matters more than the clean-up's.
        }
    }
}
