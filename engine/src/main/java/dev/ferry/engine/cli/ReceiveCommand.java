package dev.ferry.engine.cli;

import java.nio.file.Files;
import dev.ferry.engine.api.MemoryFactory;
import dev.ferry.engine.MigrationDestination;
import dev.ferry.engine.error.ErrorCode;
import dev.ferry.engine.error.FerryException;
import dev.ferry.engine.api.MigrationResult;
import dev.ferry.engine.stats.ProgressLine;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.RamBlock;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "receive", mixinStandardHelpOptions = true,
    description = "Wait for one migration and write the guest's memory to a file created afresh.")
final class ReceiveCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    CommonOptions common;

    @Mixin
    SecretOptions secret;

    @Option(names = "--listen", required = true, paramLabel = "HOST:PORT", converter = Converters.HostPort.class,
        description = "Address to listen on.")
    InetSocketAddress listen;

    @Option(names = "--memory-file", required = true, paramLabel = "PATH",
        description = "File to create (truncated if it exists), sized from the source's SETUP.")
    Path memoryFile;

    @Option(names = "--idle-timeout", paramLabel = "DURATION", defaultValue = "60s",
        converter = Converters.DurationMs.class,
        description = "Fail when nothing arrives from the source for this long (default: ${DEFAULT-VALUE}).")
    long idleTimeoutMs;

    @Option(names = "--barrier-timeout", paramLabel = "DURATION", defaultValue = "60s",
        converter = Converters.DurationMs.class,
        description = "Longest wait at the SYNC/FLUSH barrier (default: ${DEFAULT-VALUE}).")
    long barrierTimeoutMs;

    @Override
    public Integer call() {
        final PrintWriter err = spec.commandLine().getErr();
        final Path directory = memoryFile.toAbsolutePath().getParent();
        if (null == directory || !Files.isDirectory(directory)) {
            throw new FerryException(ErrorCode.CONFIGURATION, "--memory-file " +
                memoryFile + ": directory " + directory + " does not exist");
        }
        final MigrationDestination destination = MigrationDestination.start(new MigrationDestination.Context()
            .listen(listen)
            .idleTimeoutMs(idleTimeoutMs)
            .barrierTimeoutMs(barrierTimeoutMs)
            .memoryFactory(MemoryFactory.file(memoryFile))
            .secret(secret.secret("receive", err))
            .verify(common.verifyMode())
            .countersDirectory(common.countersDirectory())
            .warnings(message -> err.println("ferry: warning: " + message)));
        final MigrationResult result;
        try (destination;
             Interrupts interrupts = Interrupts.cancelOnShutdown(destination::cancel, destination.result(),
                 interrupted -> common.report(interrupted, err, destination::writeHistogramLog), destination::close)) {
            // Said only once Ctrl-C and SIGTERM cancel cleanly: whoever waits for this line may stop us at once.
            final InetSocketAddress bound = destination.localAddress();
            err.println("ferry: listening on " + bound.getAddress().getHostAddress() + ":" + bound.getPort() +
                ", memory file " + memoryFile);
            err.flush();
            try (ProgressLine progress = new ProgressLine(destination::stats, err, ProgressLine.isTerminal())) {
                result = destination.result().join();
            }
        }
        final GuestMemory memory = result.memory();
        if (null != memory) {
            memory.blocks().forEach(RamBlock::force);
            memory.close();
        }
        common.report(result, err, destination::writeHistogramLog);
        return common.exitCode(result);
    }
}
