package dev.ferry.engine.cli;

import dev.ferry.engine.MigrationDestination;
import dev.ferry.engine.MigrationSource;
import dev.ferry.engine.VerifyMode;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Each default of a migration's option is the Context's, written once: the CLI parses to exactly it. */
final class CliDefaultsTest {
    private final MigrationSource.Context source = new MigrationSource.Context();
    private final MigrationDestination.Context destination = new MigrationDestination.Context();

    @Test
    void sendParsesToTheSourceContextsDefaults() {
        final CommandSpec send = parse("send", "--connect", "127.0.0.1:1", "--memory-file", "/nonexistent");
        assertEquals(source.channels(), value(send, "--channels"));
        assertEquals(source.maxRounds(), value(send, "--max-rounds"));
        assertEquals(source.downtimeLimitMs(), value(send, "--downtime-limit"));
        assertEquals(source.autoConverge(), value(send, "--auto-converge"));
        assertEquals(source.maxBandwidthBytesPerSec(), value(send, "--max-bandwidth"));
        assertEquals(source.compression(), value(send, "--compress"));
        assertEquals(source.timeoutMs(), value(send, "--timeout"));
        assertEquals(source.switchoverDirtyBytes(), value(send, "--switchover-dirty"));
        assertEquals(source.connectTimeoutMs(), value(send, "--connect-timeout"));
        assertEquals(source.barrierTimeoutMs(), value(send, "--barrier-timeout"));
        assertEquals(source.verify(), VerifyMode.parse((String)value(send, "--verify")));
    }

    @Test
    void receiveParsesToTheDestinationContextsDefaults() {
        final CommandSpec receive = parse("receive", "--listen", "127.0.0.1:0", "--memory-file", "/nonexistent");
        assertEquals(destination.idleTimeoutMs(), value(receive, "--idle-timeout"));
        assertEquals(destination.barrierTimeoutMs(), value(receive, "--barrier-timeout"));
        assertEquals(destination.verify(), VerifyMode.parse((String)value(receive, "--verify")));
    }

    /** No annotation repeats a default the Contexts hold: there is one place to change it. */
    @Test
    void noAnnotationRepeatsAContextsDefault() {
        final CommandLine cli = new CommandLine(new FerryCli());
        for (final CommandLine command : cli.getSubcommands().values()) {
            for (final String name : ContextDefaults.optionNames()) {
                final OptionSpec option = command.getCommandSpec().findOption(name);
                if (null != option) {
                    assertNull(option.defaultValue(), command.getCommandName() + " " + name);
                }
            }
        }
    }

    @Test
    void durationsAndSizesAreWrittenAsTheCliReadsThem() {
        assertEquals("10m", ContextDefaults.duration(600_000));
        assertEquals("60s", ContextDefaults.duration(60_000));
        assertEquals("300ms", ContextDefaults.duration(300));
        assertEquals("16m", ContextDefaults.size(16L << 20));
        assertEquals("2g", ContextDefaults.size(2L << 30));
        assertEquals("-1", ContextDefaults.size(-1));
    }

    private static CommandSpec parse(final String... args) {
        final CommandLine cli = new CommandLine(new FerryCli());
        cli.setDefaultValueProvider(new ContextDefaults());
        return cli.parseArgs(args).subcommand().commandSpec();
    }

    private static Object value(final CommandSpec command, final String name) {
        return command.findOption(name).getValue();
    }
}
