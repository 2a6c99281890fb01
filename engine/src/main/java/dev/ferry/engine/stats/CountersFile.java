package dev.ferry.engine.stats;

import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Where one migration's counters live: an Agrona {@link CountersManager} over a memory-mapped file that other
 * processes read while the migration runs ({@code ferry stat}, in the manner of AeronStat), or over direct memory
 * when nothing is to be published.
 * <pre>
 * File layout: a header, then the counters' metadata, then their values
 *  +---------------------------------------------------------------+
 *  |                       magic "FRCT"                            |  0
 *  +---------------------------------------------------------------+
 *  |                         version                               |  4
 *  +---------------------------------------------------------------+
 *  |                  process id (8 bytes)                         |  8
 *  +---------------------------------------------------------------+
 *  |                  metadata length                              | 16
 *  +---------------------------------------------------------------+
 *  |                  values length                                | 20
 *  +---------------------------------------------------------------+
 *  |           role, US-ASCII, zero padded (16 bytes)              | 24
 *  +---------------------------------------------------------------+
 *  |        metadata: {@link CountersReader#METADATA_LENGTH} bytes per counter  | 64
 *  +---------------------------------------------------------------+
 *  |        values: {@link CountersReader#COUNTER_LENGTH} bytes per counter     |
 *  +---------------------------------------------------------------+
 * </pre>
 * The header is written last, the magic with a release store, so a reader never sees a half-made file as valid.
 */
public final class CountersFile implements AutoCloseable {
    public static final int MAGIC = 0x54435246;
    public static final int VERSION = 1;
    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 4;
    public static final int PID_OFFSET = 8;
    public static final int METADATA_LENGTH_OFFSET = 16;
    public static final int VALUES_LENGTH_OFFSET = 20;
    public static final int ROLE_OFFSET = 24;
    public static final int ROLE_LENGTH = 16;
    public static final int HEADER_LENGTH = 64;
    /** File names end so; {@code ferry stat} reads every such file in its directory. */
    public static final String SUFFIX = ".counters";
    /**
     * More counters than any side makes, and room for a runtime's many migrations: a file may hold no more (so a
     * reader can refuse a longer one).
     */
    public static final int MAX_COUNTERS = 8192;
    /** How many taken names {@link #create} skips before it gives up. */
    private static final int MAX_NAME_ATTEMPTS = 1000;
    /** Only a new file: never an existing one, never through a link (O_CREAT|O_EXCL does not follow one). */
    private static final Set<OpenOption> EXCLUSIVE = Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
        StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    private final Path path;
    private final ByteBuffer mapping;
    private final CountersManager manager;
    /** The file's channel, held open with an exclusive lock for as long as the file lives (null in memory). */
    private final FileChannel owner;
    private boolean closed;

    private CountersFile(final Path path, final ByteBuffer mapping, final int counters, final String role,
        final FileChannel owner) {
        this.path = path;
        this.mapping = mapping;
        this.owner = owner;
        final int valuesLength = counters * CountersReader.COUNTER_LENGTH;
        final int metadataLength = counters * CountersReader.METADATA_LENGTH;
        final UnsafeBuffer header = new UnsafeBuffer(mapping, 0, HEADER_LENGTH);
        this.manager = new CountersManager(new UnsafeBuffer(mapping, HEADER_LENGTH, metadataLength),
            new UnsafeBuffer(mapping, HEADER_LENGTH + metadataLength, valuesLength), StandardCharsets.US_ASCII);
        header.putInt(VERSION_OFFSET, VERSION);
        header.putLong(PID_OFFSET, ProcessHandle.current().pid());
        header.putInt(METADATA_LENGTH_OFFSET, metadataLength);
        header.putInt(VALUES_LENGTH_OFFSET, valuesLength);
        final byte[] name = role.getBytes(StandardCharsets.US_ASCII);
        header.putBytes(ROLE_OFFSET, name, 0, Math.min(ROLE_LENGTH, name.length));
        header.putIntRelease(MAGIC_OFFSET, MAGIC);
    }

    static int length(final int counters) {
        return HEADER_LENGTH + counters * (CountersReader.COUNTER_LENGTH + CountersReader.METADATA_LENGTH);
    }

    /** Counters in direct memory only, for {@code counters} counters. */
    public static CountersFile inMemory(final String role, final int counters) {
        return new CountersFile(null, ByteBuffer.allocateDirect(length(counters)), counters, role, null);
    }

    /**
     * A new file in {@code directory}, named after this process, the role and a sequence. The directory is made
     * (mode 0700) or checked by {@link CountersDirectory#prepare}; the file is made with mode 0600 and exclusively:
     * an existing file or link of that name (a crashed process's file whose process id came round again) is never
     * opened, truncated or followed, the next name is taken instead. Files of processes that are gone are removed
     * first ({@link StaleCountersFiles}).
     *
     * @throws FerryException (CONFIGURATION) if the directory is refused or the file cannot be made.
     */
    public static CountersFile create(final Path directory, final String role, final int counters) {
        if (counters < 0 || counters > MAX_COUNTERS) {
            throw new IllegalArgumentException("counters " + counters + " must be 0.." + MAX_COUNTERS);
        }
        CountersDirectory.prepare(directory, CountersDirectory.API_HINT);
        StaleCountersFiles.removeIn(directory);
        for (int attempt = 1; attempt <= MAX_NAME_ATTEMPTS; attempt++) {
            final Path path = directory.resolve(ProcessHandle.current().pid() + "-" + role + "-" +
                SEQUENCE.incrementAndGet() + SUFFIX);
            final FileChannel channel = openNew(path);
            if (null != channel) {
                try {
                    // Held until close: the lock, not the process id, tells another process (in another pid
                    // namespace, say) that this file is in use (StaleCountersFiles).
                    if (null == channel.tryLock()) {
                        throw new IOException("cannot lock a file just made");
                    }
                    final MappedByteBuffer mapping = channel.map(FileChannel.MapMode.READ_WRITE, 0, length(counters));
                    return new CountersFile(path, mapping, counters, role, channel);
                } catch (final IOException ex) {
                    closeQuietly(channel);
                    deleteQuietly(path);
                    throw cannotMake(path, ex);
                }
            }
        }
        throw new FerryException(ErrorCode.CONFIGURATION, "cannot make a counters file in " + directory + ": " +
            MAX_NAME_ATTEMPTS + " names in a row exist already");
    }

    /** A file made now at {@code path} (mode 0600), or null if the name is taken (by a file, a link, anything). */
    private static FileChannel openNew(final Path path) {
        try {
            return FileChannel.open(path, EXCLUSIVE, CountersDirectory.privateFile(path.getParent()));
        } catch (final FileAlreadyExistsException ex) {
            return null;
        } catch (final IOException ex) {
            throw cannotMake(path, ex);
        }
    }

    private static FerryException cannotMake(final Path path, final IOException ex) {
        return new FerryException(ErrorCode.CONFIGURATION, "cannot make the counters file " + path + ": " +
            CountersDirectory.reason(ex), ex);
    }

    private static void closeQuietly(final FileChannel channel) {
        try {
            channel.close();
        } catch (final IOException ignore) {
            // closing releases the lock; nothing else depends on it
        }
    }

    private static void deleteQuietly(final Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (final IOException ignore) {
            // nothing was published in it: a file left behind is reported by ferry stat.
        }
    }

    /** The default directory: {@code /dev/shm/ferry-USER} where /dev/shm exists, else under the temp directory. */
    public static Path defaultDirectory() {
        final String user = System.getProperty("user.name", "user");
        final Path shm = Path.of("/dev/shm");
        return (Files.isDirectory(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir"))).resolve("ferry-" + user);
    }

    public CountersManager manager() {
        return manager;
    }

    /** The file, or null for counters in memory. */
    public Path path() {
        return path;
    }

    /** Unmaps and deletes the file; once, however many threads call it. */
    @Override
    public synchronized void close() {
        if (null != path && !closed) {
            closed = true;
            IoUtil.unmap(mapping);
            try {
                Files.deleteIfExists(path);
            } catch (final IOException ignore) {
                // a counters file left behind is reported as stale by ferry stat.
            }
            closeQuietly(owner); // the lock goes last, with the file already gone
        }
    }

    /**
     * One published counter, as {@code ferry stat} shows it: {@code role} and {@code label} hold printable ASCII only
     * (other bytes are shown as {@code \xNN}), {@code file} is the counters file's name, printable likewise.
     */
    public record Sample(long pid, String role, boolean alive, String label, long value, String file) {
    }

    /** Every counter of every valid counters file in {@code directory}; a missing directory has none. */
    public static List<Sample> readAll(final Path directory) throws IOException {
        return CountersFileReader.readAll(directory, skipped -> { });
    }

    /**
     * Every counter of every valid counters file in {@code directory}, trusting no byte of any file; each file skipped
     * (not a regular file, unreadable, corrupt) is told to {@code skipped} in one printable line that names it. Never
     * blocks on a FIFO, never throws for a file's content; a missing directory has none.
     *
     * @throws IOException if the directory cannot be listed.
     */
    public static List<Sample> readAll(final Path directory, final Consumer<String> skipped) throws IOException {
        return CountersFileReader.readAll(directory, skipped);
    }
}
