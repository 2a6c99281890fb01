package dev.ferry.engine.stats;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Counters files left by processes that are gone (killed before they could delete their own), removed by the next
 * process that makes a counters file in the same directory, so that {@code ferry stat} does not report them for
 * ever. Only what Ferry itself names ({@code PID-ROLE-N.counters}), only regular files (a link is never followed nor
 * removed), only when no process with that id is alive here (a process id that came round again keeps its file, the
 * safe way to be wrong), and only when nobody holds the lock every live owner keeps on its file (a process of another
 * pid namespace is invisible to the first test). The directory has been checked to be this user's and private
 * ({@link CountersDirectory}).
 */
final class StaleCountersFiles {
    private static final Pattern NAME = Pattern.compile("(\\d{1,10})-[a-z]{1,16}-\\d{1,19}" +
        Pattern.quote(CountersFile.SUFFIX));
    /** A bound on the names looked at: a directory of millions of entries costs a start-up no more than this. */
    private static final int MAX_ENTRIES = 10_000;

    private StaleCountersFiles() {
    }

    /** Removes the stale counters files in {@code directory}; returns how many. Never throws. */
    static int removeIn(final Path directory) {
        int removed = 0;
        int seen = 0;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory, "*" + CountersFile.SUFFIX)) {
            for (final Path entry : entries) {
                if (++seen > MAX_ENTRIES) {
                    break;
                }
                if (isStale(entry)) {
                    try {
                        Files.delete(entry);
                        removed++;
                    } catch (final IOException ignore) {
                        // gone already, or not ours to remove: ferry stat still reports it
                    }
                }
            }
        } catch (final IOException | RuntimeException ignore) {
            // a directory that cannot be listed has nothing we may remove
        }
        return removed;
    }

    private static boolean isStale(final Path entry) {
        final Matcher name = NAME.matcher(entry.getFileName().toString());
        if (!name.matches() || !Files.isRegularFile(entry, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        final long pid = Long.parseLong(name.group(1));
        return pid > 0 && pid != ProcessHandle.current().pid() &&
            !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) && unlocked(entry);
    }

    /**
     * Whether no process holds the lock its owner keeps on a counters file for the file's whole life: the process id
     * alone is not enough, since a process in another pid namespace (a container sharing /dev/shm) has an id that
     * means nothing here. A file that cannot be opened, or whose lock is held, in this JVM too, is in use.
     */
    private static boolean unlocked(final Path entry) {
        try (FileChannel channel = FileChannel.open(entry, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
            final FileLock lock = channel.tryLock();
            if (null == lock) {
                return false;
            }
            lock.release();
            return true;
        } catch (final IOException | OverlappingFileLockException ex) {
            return false;
        }
    }
}
