package dev.ferry.engine.cli;

import dev.ferry.engine.MigrationDestination;
import dev.ferry.engine.MigrationSource;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * The CLI's defaults for every option that configures a migration, read from a fresh Context: each default is
 * written once, in {@code MigrationSource.Context} or {@code MigrationDestination.Context}, and {@code --help}
 * shows it in the CLI's units. Options that are the CLI's own (the synthetic workload, output files) keep theirs
 * in their annotations.
 */
final class ContextDefaults implements IDefaultValueProvider {
    private static final MigrationSource.Context SOURCE = new MigrationSource.Context();
    private static final MigrationDestination.Context DESTINATION = new MigrationDestination.Context();

    /** Option name to its default in the CLI's syntax; a name both sides have takes the side of its command. */
    private static final Map<String, Function<Boolean, String>> DEFAULTS = Map.ofEntries(
        Map.entry("--channels", source -> Integer.toString(SOURCE.channels())),
        Map.entry("--max-rounds", source -> Integer.toString(SOURCE.maxRounds())),
        Map.entry("--downtime-limit", source -> duration(SOURCE.downtimeLimitMs())),
        Map.entry("--auto-converge", source -> Boolean.toString(SOURCE.autoConverge())),
        Map.entry("--max-bandwidth", source -> 0 == SOURCE.maxBandwidthBytesPerSec() ? "unlimited" :
            size(SOURCE.maxBandwidthBytesPerSec()) + "/s"),
        Map.entry("--compression", source -> SOURCE.compression().cliName()),
        Map.entry("--timeout", source -> duration(SOURCE.timeoutMs())),
        Map.entry("--switchover-dirty", source -> size(SOURCE.switchoverDirtyBytes())),
        Map.entry("--connect-timeout", source -> duration(SOURCE.connectTimeoutMs())),
        Map.entry("--barrier-timeout", source -> duration(source ? SOURCE.barrierTimeoutMs() :
            DESTINATION.barrierTimeoutMs())),
        Map.entry("--idle-timeout", source -> duration(DESTINATION.idleTimeoutMs())),
        Map.entry("--verify", source -> (source ? SOURCE.verify() : DESTINATION.verify()).name().toLowerCase(Locale.ROOT)));

    @Override
    public String defaultValue(final ArgSpec argument) {
        if (!(argument instanceof OptionSpec option)) {
            return null;
        }
        final Function<Boolean, String> value = DEFAULTS.get(option.longestName());
        return null == value ? null : value.apply(!"receive".equals(option.command().name()));
    }

    /** The option names whose defaults come from here (tests check that no annotation repeats one). */
    static Iterable<String> optionNames() {
        return DEFAULTS.keySet();
    }

    /** Milliseconds as the CLI writes durations: 10m, 60s, 300ms (minutes from two on, as people say them). */
    static String duration(final long ms) {
        if (ms >= 120_000 && ms % 60_000 == 0) {
            return ms / 60_000 + "m";
        }
        return ms > 0 && ms % 1_000 == 0 ? ms / 1_000 + "s" : ms + "ms";
    }

    /** Bytes as the CLI writes sizes: 16m, 1g, or a plain count. */
    static String size(final long bytes) {
        if (bytes > 0 && bytes % (1L << 30) == 0) {
            return (bytes >> 30) + "g";
        }
        return bytes > 0 && bytes % (1L << 20) == 0 ? (bytes >> 20) + "m" : Long.toString(bytes);
    }
}
