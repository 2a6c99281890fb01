package dev.ferry.engine.cli;

import dev.ferry.engine.ColdStart;
import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;
import dev.ferry.engine.GuestName;
import dev.ferry.engine.IncomingMigrations;
import dev.ferry.engine.MemoryFactory;
import dev.ferry.engine.Migration;
import dev.ferry.engine.MigrationDestination;
import dev.ferry.engine.MigrationResult;
import dev.ferry.engine.Secret;
import dev.ferry.engine.stats.CountersDirectory;
import dev.ferry.engine.stats.ProgressLine;
import dev.ferry.engine.text.Units;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.MemoryException;
import dev.ferry.memory.RamBlock;
import dev.ferry.memory.internal.MemoryFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import javax.net.ssl.SSLContext;

@Command(name = "receive", mixinStandardHelpOptions = true,
    description = "Wait for one migration and write the guest's memory to a file created afresh.")
final class ReceiveCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    CommonOptions common;

    @Mixin
    SecretOptions secret;

    @Option(names = "--listen", required = true, paramLabel = "HOST:PORT|unix:PATH",
        converter = Converters.HostPort.class,
        description = "Address to listen on, or a Unix-domain socket to create (owner-only, removed at the end).")
    SocketAddress listen;

    @Option(names = "--memory-file", paramLabel = "PATH",
        description = "Where the guest lands, sized from the source's SETUP: written to PATH.PID.partial beside it "
            + "and renamed onto PATH only once verified; an existing PATH is refused unless --overwrite. Give this "
            + "or --data-dir.")
    Path memoryFile;

    @Option(names = "--data-dir", paramLabel = "DIR",
        description = "Receive the guest into DIR/NAME, NAME being what the source gave with send --name (letters, "
            + "digits, '.', '-', '_'); written to DIR/NAME.PID.partial and renamed once verified. DIR must be this "
            + "user's and writable by no one else. An existing DIR/NAME is refused at SETUP unless --overwrite, which "
            + "then lets any source replace any guest file in DIR by naming it. Give this or --memory-file.")
    Path dataDir;

    @Option(names = "--count", paramLabel = "N", defaultValue = "1",
        description = "With --data-dir: receive N guests on this one endpoint, concurrently, then exit: 0 if every one "
            + "completed (and verified, unless --verify none), else 1 (default: 1).")
    int count;

    @Option(names = "--max-incoming", paramLabel = "M",
        description = "With --data-dir: at most M guests at once; a source past them is refused as busy, and its send "
            + "exits 1 saying so (default: --count).")
    Integer maxIncoming;

    @Option(names = "--overwrite", description = "Let a verified guest replace an existing --memory-file, or an "
        + "existing DIR/NAME with --data-dir (a failed migration leaves it as it was).")
    boolean overwrite;

    @Option(names = "--ram", paramLabel = "SIZE", converter = Converters.Size.class,
        description = "Create the memory file at SIZE now, before listening (its space reserved), as a VMM with "
            + "preallocated RAM; the source's guest must be exactly SIZE.")
    Long ramBytes;

    @Option(names = "--prefault", description = "With --ram: touch every page of the memory file before listening "
        + "(outside the migration's timer), so no page faults in during the migration.")
    boolean prefault;

    @Option(names = "--idle-timeout", paramLabel = "DURATION",
        converter = Converters.DurationMs.class,
        description = "Fail when nothing arrives from the source for this long (default: ${DEFAULT-VALUE}).")
    long idleTimeoutMs;

    @Option(names = "--barrier-timeout", paramLabel = "DURATION",
        converter = Converters.DurationMs.class,
        description = "Longest wait at the SYNC/FLUSH barrier (default: ${DEFAULT-VALUE}).")
    long barrierTimeoutMs;

    /** A fresh file at SETUP, or with --ram one made (and with --prefault touched) now, before listening. */
    private MemoryFactory memoryFactory(final PrintWriter err) {
        if (null != ramBytes && (ramBytes <= 0 || ramBytes % RamBlock.DEFAULT_PAGE_SIZE != 0)) {
            throw FerryCli.bad("--ram", Long.toString(ramBytes), "a positive multiple of 4k");
        }
        if (null == ramBytes && prefault) {
            throw new FerryException(ErrorCode.CONFIGURATION, "--prefault needs --ram SIZE: the size to prefault");
        }
        for (final Path stale : MemoryFiles.removeStalePartials(memoryFile)) {
            err.println("ferry: removed " + stale + ", left by a destination that is no longer running");
        }
        try {
            if (null == ramBytes) {
                return MemoryFactory.file(memoryFile, overwrite);
            }
            final long startNs = System.nanoTime();
            final MemoryFactory factory = MemoryFactory.preallocatedFile(memoryFile, ramBytes, prefault, overwrite);
            err.printf("ferry: %s %s in %d ms%n", prefault ? "prefaulted" : "reserved",
                MemoryFiles.partialOf(memoryFile), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs));
            return factory;
        } catch (final MemoryException ex) {
            throw new FerryException(ErrorCode.CONFIGURATION, "--memory-file: " + ex.getMessage());
        }
    }

    @Override
    public Integer call() {
        ColdStart.prepareInBackground();
        final PrintWriter err = spec.commandLine().getErr();
        checkWhere();
        common.checkOutputs();
        final SSLContext tls = secret.tls();
        final Secret key = secret.secret("receive", err, null != tls);
        final MemoryFactory factory = null == dataDir ? memoryFactory(err) : MemoryFactory.anonymous();
        final Function<String, MemoryFactory> where = null == dataDir ? name -> factory : inDataDir(err);
        if (count != 1 || null != maxIncoming) {
            return receiveMany(err, new MigrationDestination.Context().listen(listen).idleTimeoutMs(idleTimeoutMs)
                .barrierTimeoutMs(barrierTimeoutMs).memoryFor(where).secret(key).tls(tls).verify(common.verifyMode())
                .countersDirectory(common.countersDirectory())
                .warnings(message -> err.println("ferry: warning: " + message)));
        }
        final MigrationDestination destination;
        try {
            destination = MigrationDestination.start(new MigrationDestination.Context()
                .listen(listen)
                .idleTimeoutMs(idleTimeoutMs)
                .barrierTimeoutMs(barrierTimeoutMs)
                .memoryFactory(factory)
                .memoryFor(where)
                .secret(key)
                .tls(tls)
                .verify(common.verifyMode())
                .countersDirectory(common.countersDirectory())
                .warnings(message -> err.println("ferry: warning: " + message)));
        } catch (final RuntimeException ex) {
            factory.discardUnused();
            throw ex;
        }
        final MigrationResult result;
        try (destination;
             Interrupts interrupts = Interrupts.cancelOnShutdown(destination::cancel, destination.result(),
                 interrupted -> common.report(interrupted, err, destination::writeHistogramLog), destination::close)) {
            // Said only once Ctrl-C and SIGTERM cancel cleanly: whoever waits for this line may stop us at once.
            err.println("ferry: listening on " + describe(destination.localAddress()) + (null == dataDir ?
                ", memory file " + memoryFile : ", guests into " + dataDir + "/NAME"));
            err.flush();
            try (ProgressLine progress = new ProgressLine(destination::stats, err, ProgressLine.isTerminal())) {
                result = destination.result().join();
            }
        }
        final GuestMemory memory = result.memory();
        if (null != memory) {
            memory.close(); // on disk already: the file factory forced it before it named the guest
            if (null != dataDir) {
                final String guest = result.stats().guest();
                err.println("ferry: received guest " + guest + " into " + dataDir.resolve(guest));
            }
        }
        common.report(result, err, destination::writeHistogramLog);
        return common.exitCode(result);
    }

    /** Each guest into --data-dir as its name, once that name's stale partial files are gone. */
    private Function<String, MemoryFactory> inDataDir(final PrintWriter err) {
        return name -> {
            GuestName.require(name);
            for (final Path stale : MemoryFiles.removeStalePartials(dataDir.resolve(name))) {
                err.println("ferry: removed " + stale + ", left by a destination that is no longer running");
            }
            return MemoryFactory.inDirectory(dataDir, overwrite).apply(name);
        };
    }

    /**
     * {@code --count} guests on one endpoint, {@code --max-incoming} at once: each reported as it ends, then the
     * exit code of them all (0 only if every one completed, and verified unless --verify none).
     */
    private Integer receiveMany(final PrintWriter err, final MigrationDestination.Context context) {
        final int most = null == maxIncoming ? count : maxIncoming;
        final List<MigrationResult> results = new CopyOnWriteArrayList<>();
        final CompletableFuture<MigrationResult> allEnded = new CompletableFuture<>();
        try (IncomingMigrations incoming = IncomingMigrations.start(context, most, count);
             Interrupts interrupts = Interrupts.cancelOnShutdown(reason -> {
                 incoming.close();
                 allEnded.complete(null);
             }, allEnded, last -> {
                 err.println("ferry: interrupted: every guest still coming in was cancelled");
                 common.reportMany(List.copyOf(results));
             }, () -> { })) {
            err.println("ferry: listening on " + describe(incoming.localAddress()) + ", " + count + " guests into " +
                dataDir + "/NAME, up to " + most + " at once");
            err.flush();
            final List<Migration> migrations = new ArrayList<>();
            while (migrations.size() < count) {
                final Migration next = incoming.next(1, TimeUnit.HOURS);
                if (null != next) {
                    migrations.add(next);
                }
            }
            for (final Migration migration : migrations) {
                final MigrationResult result = migration.result().join();
                results.add(result);
                if (null != result.memory()) {
                    result.memory().close(); // forced by its file factory before it was named
                }
                err.print(result.stats().toReport());
                err.println("ferry: guest " + (null == result.stats().guest() ? "(unnamed: it ended before SETUP)" :
                    result.stats().guest()) + ": " + result.status().jsonName() +
                    (result.isCompleted() ? ", into " + dataDir.resolve(result.stats().guest()) : ""));
            }
            allEnded.complete(results.get(results.size() - 1));
        } catch (final InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new FerryException(ErrorCode.CANCELLED, "interrupted while waiting for guests");
        }
        common.reportMany(results);
        int exit = 0;
        for (final MigrationResult result : results) {
            exit = Math.max(exit, common.exitCode(result));
        }
        return exit;
    }

    /** Exactly one of --memory-file and --data-dir, in a directory that exists (a link to one is refused). */
    private void checkWhere() {
        if (count < 1 || null != maxIncoming && maxIncoming < 1) {
            throw FerryCli.bad(count < 1 ? "--count" : "--max-incoming", count < 1 ? Integer.toString(count) :
                Integer.toString(maxIncoming), "a count >= 1");
        }
        if ((count != 1 || null != maxIncoming) && null == dataDir) {
            throw new FerryException(ErrorCode.CONFIGURATION, "--count and --max-incoming need --data-dir: several "
                + "guests are told apart, and placed, by their names");
        }
        if ((null == memoryFile) == (null == dataDir)) {
            throw new FerryException(ErrorCode.CONFIGURATION, "give --memory-file PATH (where the guest lands) or " +
                "--data-dir DIR (each guest into DIR/NAME), one of them");
        }
        if (null != dataDir) {
            if (null != ramBytes || prefault) {
                throw new FerryException(ErrorCode.CONFIGURATION, "--ram and --prefault make one memory file now, " +
                    "before any guest is named: use them with --memory-file, not --data-dir");
            }
            final String refusal = Files.exists(dataDir, LinkOption.NOFOLLOW_LINKS) ?
                CountersDirectory.refusal(dataDir) : "it does not exist";
            if (null != refusal) {
                // Another user who may write there could swap a guest's partial file before it is put in place.
                throw new FerryException(ErrorCode.CONFIGURATION, "--data-dir " + dataDir + " refused: " + refusal);
            }
            return;
        }
        final Path directory = memoryFile.toAbsolutePath().getParent();
        if (null == directory || !Files.isDirectory(directory)) {
            throw new FerryException(ErrorCode.CONFIGURATION, "--memory-file " +
                memoryFile + ": directory " + directory + " does not exist");
        }
    }

    /** {@code HOST:PORT} of a TCP address, {@code unix:PATH} of a Unix-domain socket. */
    static String describe(final SocketAddress address) {
        return Units.describe(address);
    }
}
