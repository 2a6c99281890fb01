package dev.ferry.engine.cli;

import dev.ferry.engine.GuestControl;
import dev.ferry.engine.MemoryFactory;
import dev.ferry.engine.MigrationDestination;
import dev.ferry.engine.MigrationResult;
import dev.ferry.engine.MigrationSource;
import dev.ferry.engine.Secret;
import dev.ferry.engine.VerifyMode;
import dev.ferry.engine.stats.ProgressLine;
import dev.ferry.engine.text.Units;
import dev.ferry.memory.BlockSpec;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.RamBlock;
import dev.ferry.memory.internal.Fill;
import dev.ferry.memory.internal.MemoryFiles;
import dev.ferry.memory.internal.Workload;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Migrate a synthetic guest between a source and a destination in this JVM over loopback.")
final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--size", paramLabel = "SIZE", defaultValue = "1g", converter = Converters.Size.class,
        description = "Guest size (default: ${DEFAULT-VALUE}).")
    long sizeBytes;

    @Option(names = "--zero-share", paramLabel = "FRACTION", defaultValue = "0.25",
        description = "Share of zero pages in the guest (default: ${DEFAULT-VALUE}).")
    double zeroShare;

    @Option(names = "--dir", paramLabel = "DIR",
        description = "Where the two memory files go (default: /dev/shm if present, else the temp directory).")
    Path dir;

    @Mixin
    CommonOptions common;

    @Mixin
    MigrationOptions migration;

    DemoCommand() {
    }

    private static Secret randomSecret() {
        final byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return Secret.of(key);
    }

    /** The guest size, checked with --zero-share; the demo dirties 20,000 pages/s unless told otherwise. */
    private long checkedSize() {
        if (migration.dirtyRate == 0 && !spec.commandLine().getParseResult().hasMatchedOption("--dirty-rate")) {
            migration.dirtyRate = 20_000;
        }
        final long bytes = sizeBytes;
        if (bytes <= 0 || bytes % RamBlock.DEFAULT_PAGE_SIZE != 0) {
            throw FerryCli.bad("--size", Long.toString(bytes), "a positive multiple of 4k");
        }
        if (!(zeroShare >= 0 && zeroShare <= 1)) {
            throw FerryCli.bad("--zero-share", Double.toString(zeroShare), "a fraction from 0 to 1");
        }
        return bytes;
    }

    @Override
    public Integer call() throws IOException {
        final PrintWriter err = spec.commandLine().getErr();
        final long bytes = checkedSize();
        common.checkOutputs();
        final VerifyMode verifyMode = common.verifyMode();
        final Path base = null != dir ? dir : Files.isDirectory(Path.of("/dev/shm")) ?
            Path.of("/dev/shm") : Path.of(System.getProperty("java.io.tmpdir"));
        final Path work = Files.createTempDirectory(base, "ferry-demo-");
        final Path sourceFile = work.resolve("source.ram");
        final Path destinationFile = work.resolve("destination.ram");
        final Secret secret = randomSecret();
        try (GuestMemory memory = GuestMemory.createFile(sourceFile, List.of(new BlockSpec(0, "pc.ram", bytes)),
            RamBlock.DEFAULT_PAGE_SIZE)) {
            err.printf("ferry demo: %s guest (%.0f%% zero pages) in %s, %d channels, dirtying %d pages/s%n",
                Units.bytes(bytes), zeroShare * 100, work, migration.channels,
                migration.dirtyRate);
            Fill.mixed(memory.block(0), zeroShare, 1);
            final MigrationDestination destination = MigrationDestination.start(new MigrationDestination.Context()
                .listen(new InetSocketAddress("127.0.0.1", 0))
                .memoryFactory(MemoryFactory.file(destinationFile))
                .secret(secret)
                .verify(verifyMode)
                .countersDirectory(common.countersDirectory()));
            final MigrationResult[] results = migrate(memory, destination, secret, verifyMode, err);
            final MigrationResult sourceResult = results[0];
            final MigrationResult destinationResult = results[1];
            if (null != destinationResult.memory()) {
                destinationResult.memory().close();
            }
            err.print(destinationResult.stats().toReport());
            return destinationResult.isCompleted() ? common.exitCode(sourceResult) : FerryCli.EXIT_FAILED;
        } finally {
            MemoryFiles.deleteQuietly(sourceFile);
            MemoryFiles.deleteQuietly(destinationFile);
            Files.deleteIfExists(work);
        }
    }

    /** Runs the source against {@code destination}; returns the source's and the destination's results. */
    private MigrationResult[] migrate(final GuestMemory memory, final MigrationDestination destination,
        final Secret secret, final VerifyMode verifyMode, final PrintWriter err) {
        final MigrationSource.Context context = new MigrationSource.Context()
            .destination(destination.localAddress())
            .secret(secret)
            .verify(verifyMode)
            .countersDirectory(common.countersDirectory());
        migration.apply(context);
        final Workload workload = migration.workload(memory.block(0));
        final MigrationSource source = MigrationSource.start(context.memory(memory)
            .guestControl(null == workload ? GuestControl.NONE : WorkloadGuest.of(workload)));
        final MigrationResult sourceResult;
        final MigrationResult destinationResult;
        try (destination;
             source;
             Interrupts interrupts = Interrupts.cancelOnShutdown(source::cancel, source.result(),
                 interrupted -> common.report(interrupted, err, source::writeHistogramLog), () -> {
                     source.close();
                     destination.close();
                 });
             SwitchoverSignal forcing = SwitchoverSignal.install(source::forceSwitchover, err);
             ProgressLine progress = new ProgressLine(source::stats, err, ProgressLine.isTerminal())) {
            sourceResult = source.result().join();
            destinationResult = destination.result().join();
        } finally {
            if (null != workload) {
                workload.close();
            }
        }
        common.report(sourceResult, err, source::writeHistogramLog);
        return new MigrationResult[] {sourceResult, destinationResult};
    }
}
