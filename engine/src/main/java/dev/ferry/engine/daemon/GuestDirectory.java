package dev.ferry.engine.daemon;

import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;
import dev.ferry.engine.GuestName;
import dev.ferry.engine.MemoryFactory;
import dev.ferry.memory.MemoryException;
import dev.ferry.memory.RamBlock;
import dev.ferry.memory.internal.MemoryFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The daemon's data directory: each incoming guest lands in {@code DIR/NAME}, written first to
 * {@code NAME.PID.partial} beside it and renamed onto {@code NAME} only once verified, so a failed, cancelled or
 * killed migration never leaves a {@code NAME}. Only names that pass {@link GuestName} reach the file system (no
 * separator, no leading dot, no {@code ..}), links are never followed, and an existing {@code NAME} is refused at
 * SETUP unless the daemon was started with {@code --overwrite}. Partial files of a daemon that was killed are
 * removed when the next one starts.
 */
final class GuestDirectory {
    private final Path directory;
    private final boolean overwrite;
    /** Guests received since the daemon started: name to whether verified, and when. */
    private final Map<String, Received> received = new ConcurrentHashMap<>();
    /** Whether a guest of this name is being received now (the daemon's running incoming migrations say). */
    private final Predicate<String> receiving;
    /** Guards the names' three states below: being prepared, prepared, and whether this directory takes more. */
    private final Object names = new Object();
    /** Guests prepared ahead of their migration (a file made now, its space reserved, maybe prefaulted), by name. */
    private final Map<String, MemoryFactory> prepared = new HashMap<>();
    /** Names whose preparation (a file made, maybe every page touched: seconds) is under way. */
    private final Set<String> preparing = new HashSet<>();
    private boolean closed;

    /** One guest prepared ahead: its size and how long making (and touching) its file took. */
    record Prepared(String name, long sizeBytes, boolean prefaulted, long prepareMs) {
    }

    /** One guest this daemon received. */
    record Received(boolean verified, Instant at) {
    }

    /** One guest file in the directory. */
    record Guest(String name, long sizeBytes, Instant modified, Received received) {
    }

    GuestDirectory(final Path directory, final boolean overwrite, final Predicate<String> receiving) {
        this.directory = directory;
        this.overwrite = overwrite;
        this.receiving = receiving;
    }

    Path directory() {
        return directory;
    }

    /** Removes every partial guest left by a process that is no longer running; their file names. */
    List<String> removeStalePartials() {
        return MemoryFiles.removeStalePartialsIn(directory).stream().map(Path::toString).toList();
    }

    /**
     * Prepares the guest {@code name} ahead of its migration, as a VMM with preallocated RAM does: its partial file
     * made now at {@code sizeBytes} with its space reserved, and with {@code prefault} every page touched, so that
     * the migration pays neither (as {@code receive --ram --prefault}). The SETUP of that name then takes it, and
     * must be exactly that size. A 400 for a bad name or size; a 409 if the name is being prepared, prepared, taken
     * or coming in. The name is held from the first check on (under {@link #names}), so a SETUP or a second
     * preparation of it in the meantime is refused, never given the same partial file.
     */
    Prepared prepare(final String name, final long sizeBytes, final boolean prefault) {
        final String problem = GuestName.problem(name);
        if (null != problem) {
            throw ApiException.badField("name", problem);
        }
        if (sizeBytes <= 0 || sizeBytes % RamBlock.DEFAULT_PAGE_SIZE != 0) {
            throw ApiException.badField("size", sizeBytes + " bytes: expected a positive multiple of the page size " +
                RamBlock.DEFAULT_PAGE_SIZE);
        }
        synchronized (names) {
            if (closed) {
                throw new FerryException(ErrorCode.RUNTIME_BUSY, "the daemon is draining: it prepares no guest");
            }
            if (preparing.contains(name) || prepared.containsKey(name) || receiving.test(name)) {
                throw ApiException.conflict("guest " + name + " is already being prepared, prepared or received");
            }
            preparing.add(name);
        }
        final long startNs = System.nanoTime();
        MemoryFactory factory = null;
        try {
            factory = MemoryFactory.preallocatedFile(directory.resolve(name), sizeBytes, prefault, overwrite);
        } catch (final MemoryException ex) {
            throw ApiException.conflict(ex.getMessage());
        } finally {
            synchronized (names) {
                preparing.remove(name);
                if (null != factory && !closed) {
                    prepared.put(name, factory);
                }
            }
        }
        if (closed) {
            factory.discardUnused();
            throw new FerryException(ErrorCode.RUNTIME_BUSY, "the daemon began to drain while guest " + name +
                " was being prepared: it was thrown away");
        }
        return new Prepared(name, sizeBytes, prefault, (System.nanoTime() - startNs) / 1_000_000);
    }

    /** Throws away every prepared guest no migration took, and prepares no more (the daemon is stopping). */
    void discardPrepared() {
        final List<MemoryFactory> unused;
        synchronized (names) {
            closed = true;
            unused = List.copyOf(prepared.values());
            prepared.clear();
        }
        unused.forEach(MemoryFactory::discardUnused);
    }

    /**
     * Where the guest {@code name} lands (its prepared file, if any): refused at SETUP if invalid, taken, or being
     * prepared. Called by the engine once it holds the name for this migration.
     */
    MemoryFactory factoryFor(final String name) {
        GuestName.require(name);
        synchronized (names) {
            if (preparing.contains(name)) {
                throw new MemoryException("guest " + name + " is being prepared (POST /v1/guests) right now");
            }
            final MemoryFactory ready = prepared.remove(name);
            return null != ready ? ready : MemoryFactory.inDirectory(directory, overwrite).apply(name);
        }
    }

    /** A guest's migration ended with its memory in place. */
    void received(final String name, final boolean verified) {
        received.put(name, new Received(verified, Instant.now()));
    }

    /** The guest files in the directory (regular files with a guest's name; partial files are not guests), by name. */
    List<Guest> list() {
        final List<Guest> guests = new ArrayList<>();
        try (Stream<Path> files = Files.list(directory)) {
            for (final Path file : (Iterable<Path>)files::iterator) {
                final String name = file.getFileName().toString();
                final BasicFileAttributes attributes = attributes(file);
                if (null == GuestName.problem(name) && null != attributes && attributes.isRegularFile()) {
                    guests.add(new Guest(name, attributes.size(), attributes.lastModifiedTime().toInstant(),
                        received.get(name)));
                }
            }
        } catch (final IOException ex) {
            throw new MemoryException("cannot list the data directory " + directory + ": " + ex.getMessage());
        }
        guests.sort((a, b) -> a.name().compareTo(b.name()));
        return guests;
    }

    /**
     * Deletes the guest file {@code name} (or its preparation): a 400 for a bad name, 404 if none, 409 while it is
     * being received.
     */
    void delete(final String name) {
        final String problem = GuestName.problem(name);
        if (null != problem) {
            throw ApiException.badField("name", problem);
        }
        final MemoryFactory unused;
        synchronized (names) {
            if (receiving.test(name) || preparing.contains(name)) {
                throw ApiException.conflict("guest " + name + " is being received or prepared now: cancel its " +
                    "migration first, or wait for its preparation");
            }
            unused = prepared.remove(name);
        }
        if (null != unused) {
            unused.discardUnused();
            return;
        }
        final Path file = directory.resolve(name);
        final BasicFileAttributes attributes = attributes(file);
        if (null == attributes || !attributes.isRegularFile()) {
            throw ApiException.notFound("no guest '" + name + "' in " + directory);
        }
        try {
            Files.delete(file);
            received.remove(name);
        } catch (final IOException ex) {
            throw new MemoryException("cannot delete " + file + ": " + ex.getMessage());
        }
    }

    private static BasicFileAttributes attributes(final Path file) {
        try {
            return Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (final IOException ex) {
            return null;
        }
    }
}
