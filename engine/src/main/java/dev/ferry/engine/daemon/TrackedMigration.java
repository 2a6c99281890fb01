package dev.ferry.engine.daemon;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.Migration;
import dev.ferry.engine.MigrationResult;
import dev.ferry.engine.MigrationSource;
import dev.ferry.engine.MigrationStats;
import dev.ferry.engine.MigrationStatus;

import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;

/**
 * One migration the daemon runs or ran, either way, by its id ({@code out-N} or {@code in-N}): queued (an outgoing
 * one waiting for a place), then running with its engine handle, then ended with its result. Its JSON is the
 * {@code --stats-json} object of the migration, live, plus {@code id}, {@code state} and {@code created}; an ended
 * one adds {@code report}, the text a one-shot command prints at its end.
 */
final class TrackedMigration {
    /** The state of an outgoing migration still waiting for one of the daemon's --max-outgoing places. */
    static final String QUEUED = "queued";

    private final String id;
    private final String role;
    private final String givenName;
    private final Path memoryFile;
    private final Instant created = Instant.now();
    private final CompletableFuture<MigrationResult> ended = new CompletableFuture<>();
    private volatile Migration migration;
    private volatile MigrationResult result;
    /** The worker thread waiting to start it, while it waits; guarded by this. */
    private Thread starter;
    /** Why it ended before it ever started (refused, cancelled while queued), else null. */
    private volatile String failedToStart;
    private volatile ErrorCode failedToStartCode;
    private volatile boolean cancelRequested;

    TrackedMigration(final String id, final String role, final String name, final Path memoryFile) {
        this.id = id;
        this.role = role;
        this.givenName = name;
        this.memoryFile = memoryFile;
    }

    String id() {
        return id;
    }

    String role() {
        return role;
    }

    boolean isSource() {
        return "source".equals(role);
    }

    /** The guest's name: given for an outgoing one, known from SETUP for an incoming one (null before). */
    String name() {
        if (null != givenName) {
            return givenName;
        }
        final MigrationResult ended = result;
        if (null != ended) {
            return ended.stats().guest();
        }
        final Migration running = migration;
        return null == running ? null : running.stats().guest();
    }

    /** Completes with the result when the migration ends (null if it ended before it started). */
    CompletableFuture<MigrationResult> ended() {
        return ended;
    }

    synchronized void starter(final Thread thread) {
        this.starter = thread;
    }

    /** Its worker is done with it: a cancel no longer interrupts that thread, which may run another task. */
    synchronized void starterDone() {
        this.starter = null;
    }

    void running(final Migration started) {
        this.migration = started;
    }

    Migration migration() {
        return migration;
    }

    MigrationSource source() {
        return migration instanceof MigrationSource source ? source : null;
    }

    void end(final MigrationResult ending) {
        this.result = ending;
        ended.complete(ending);
    }

    /** It ended before its engine started: refused for want of a place, or cancelled while queued. */
    void endBeforeStart(final ErrorCode code, final String why) {
        this.failedToStartCode = code;
        this.failedToStart = why;
        ended.complete(null);
    }

    MigrationResult result() {
        return result;
    }

    /** Cancels it: a queued one never starts, a running one is cancelled with {@code reason}; false if it ended. */
    synchronized boolean cancel(final String reason) {
        if (ended.isDone()) {
            return false;
        }
        cancelRequested = true;
        final Migration running = migration;
        if (null != running) {
            running.cancel(reason);
        } else if (null != starter) {
            starter.interrupt();
        }
        return true;
    }

    boolean cancelRequested() {
        return cancelRequested;
    }

    /** {@code queued}, a {@link MigrationStatus} name, or {@code cancelled}/{@code failed} if it ended unstarted. */
    String state() {
        final MigrationResult ending = result;
        return state(ending, null == ending ? stats() : ending.stats());
    }

    /** The state that goes with {@code stats} (read with {@code ending}), so that one answer never mixes two moments. */
    private String state(final MigrationResult ending, final MigrationStats stats) {
        if (null != ending) {
            return ending.status().jsonName();
        }
        if (null != failedToStart) {
            return ErrorCode.CANCELLED == failedToStartCode ? MigrationStatus.CANCELLED.jsonName() :
                MigrationStatus.FAILED.jsonName();
        }
        return null == stats ? QUEUED : stats.status();
    }

    boolean isEnded() {
        return ended.isDone();
    }

    /** Whether it ended as the daemon's exit code wants: completed, or cancelled cleanly. */
    boolean endedCleanly() {
        final String state = state();
        return MigrationStatus.CANCELLED.jsonName().equals(state) || MigrationStatus.COMPLETED.jsonName().equals(state);
    }

    /** The migration's statistics now (the final ones once ended), or null while it has not started. */
    MigrationStats stats() {
        final MigrationResult ending = result;
        if (null != ending) {
            return ending.stats();
        }
        final Migration running = migration;
        return null == running ? null : running.stats();
    }

    /**
     * Its JSON object: the statistics' keys, live, plus id, state, created (and report once ended). The result, or
     * else one live snapshot, is read once, and state and report are taken from it.
     */
    ObjectNode toJson(final ObjectMapper json) {
        final MigrationResult ending = result;
        final Migration running = migration;
        final MigrationStats stats = null != ending ? ending.stats() : null == running ? null : running.stats();
        final ObjectNode node = json.createObjectNode();
        node.put("id", id);
        node.put("state", state(ending, stats));
        node.put("created", created.toString());
        if (null != memoryFile) {
            node.put("memory-file", memoryFile.toString());
        }
        if (null == stats) {
            node.put("role", role);
            node.put("guest", name());
            if (null != failedToStart) {
                node.put("error", failedToStart);
                node.put("error-code", failedToStartCode.name());
            }
            return node;
        }
        try {
            node.setAll((ObjectNode)json.readTree(stats.toJson()));
        } catch (final com.fasterxml.jackson.core.JsonProcessingException ex) {
            throw new IllegalStateException("the statistics' JSON did not parse", ex);
        }
        if (null != ending) {
            node.put("report", stats.toReport());
        }
        return node;
    }
}
