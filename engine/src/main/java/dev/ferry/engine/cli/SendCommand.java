package dev.ferry.engine.cli;

import dev.ferry.engine.ColdStart;
import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;
import dev.ferry.engine.GuestControl;
import dev.ferry.engine.GuestName;
import dev.ferry.engine.MigrationResult;
import dev.ferry.engine.MigrationSource;
import dev.ferry.engine.MigrationStatus;
import dev.ferry.engine.stats.ProgressLine;
import dev.ferry.memory.BlockSpec;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.MemoryException;
import dev.ferry.memory.RamBlock;
import dev.ferry.memory.internal.MemoryFiles;
import dev.ferry.memory.internal.Workload;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import javax.net.ssl.SSLContext;

@Command(name = "send", mixinStandardHelpOptions = true,
    description = "Migrate the content of an existing memory file to a waiting 'ferry receive'.")
final class SendCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    CommonOptions common;

    @Mixin
    SecretOptions secret;

    @Mixin
    MigrationOptions migration;

    @Option(names = "--connect", required = true, paramLabel = "HOST:PORT|unix:PATH",
        converter = Converters.HostPort.class,
        description = "The receiver's address.")
    SocketAddress connect;

    @Option(names = "--memory-file", required = true, paramLabel = "PATH",
        description = "Existing file holding the guest's memory; its size is the RAM size.")
    Path memoryFile;

    @Option(names = "--name", paramLabel = "NAME",
        description = "The guest's name, which a receive --data-dir places it by: 1 to 64 letters, digits, '.', '-' "
            + "or '_', not starting with '.' (default: the memory file's name).")
    String name;

    @Option(names = "--daemon", paramLabel = "unix:PATH", converter = Converters.HostPort.class,
        description = "Have the 'ferry daemon' whose control socket is PATH run this send (POST /v1/migrations): the "
            + "same options, report and exit code; the daemon reads --memory-file and uses its own secret and TLS.")
    SocketAddress daemon;

    /** --name, or the memory file's name; either must be a valid guest name. */
    private String guestName() {
        final String given = null != name ? name : String.valueOf(memoryFile.getFileName());
        final String problem = GuestName.problem(given);
        if (null != problem) {
            throw new FerryException(ErrorCode.CONFIGURATION, null != name ? "--name: " + problem :
                "the memory file's name cannot name the guest (" + problem + "): give --name NAME");
        }
        return given;
    }

    /** --daemon: the daemon runs this send; the same report and exit code. */
    private int throughDaemon(final PrintWriter err) throws IOException {
        if (!(daemon instanceof UnixDomainSocketAddress unix)) {
            throw FerryCli.bad("--daemon", String.valueOf(daemon), "unix:PATH, the daemon's control socket");
        }
        guestName();
        OutputFile.check(common.statsJson, "--stats-json");
        final DaemonSubmit submit = new DaemonSubmit(unix.getPath(), err);
        return submit.run(submit.body(spec.commandLine().getParseResult(), memoryFile), common.verifyMode(),
            common.statsJson);
    }

    @Override
    public Integer call() throws IOException {
        final PrintWriter err = spec.commandLine().getErr();
        if (null != daemon) {
            return throughDaemon(err);
        }
        ColdStart.prepareInBackground();
        final long size;
        try {
            size = MemoryFiles.guestFileSize(memoryFile, "--memory-file", RamBlock.DEFAULT_PAGE_SIZE);
        } catch (final MemoryException ex) {
            throw new FerryException(ErrorCode.CONFIGURATION, ex.getMessage());
        }
        common.checkOutputs();
        final SSLContext tls = secret.tls();
        final MigrationSource.Context context = new MigrationSource.Context()
            .destination(connect)
            .name(guestName())
            .tls(tls)
            .secret(secret.secret("send", err, null != tls))
            .verify(common.verifyMode())
            .countersDirectory(common.countersDirectory());
        migration.apply(context);
        try (GuestMemory memory = GuestMemory.mapFile(memoryFile, List.of(new BlockSpec(0, "ram", size)),
            RamBlock.DEFAULT_PAGE_SIZE)) {
            final Workload workload = migration.workload(memory.block(0));
            final GuestControl guest = null == workload ? GuestControl.NONE : WorkloadGuest.of(workload);
            final MigrationResult result;
            final MigrationSource source = MigrationSource.start(context.memory(memory).guestControl(guest));
            try (source;
                 Interrupts interrupts = Interrupts.cancelOnShutdown(source::cancel, source.result(),
                     interrupted -> common.report(interrupted, err, source::writeHistogramLog), source::close);
                 SwitchoverSignal forcing = SwitchoverSignal.install(source::forceSwitchover, err);
                 ProgressLine progress = new ProgressLine(source::stats, err, ProgressLine.isTerminal())) {
                result = source.result().join();
            } finally {
                if (null != workload) {
                    workload.close();
                }
            }
            if (result.status() == MigrationStatus.COMPLETED) {
                memory.blocks().forEach(RamBlock::force);
            }
            common.report(result, err, source::writeHistogramLog);
            return common.exitCode(result);
        }
    }
}
