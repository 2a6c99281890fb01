package dev.ferry.engine.cli;

import dev.ferry.engine.MigrationSource;
import dev.ferry.memory.RamBlock;
import dev.ferry.memory.Workload;
import picocli.CommandLine.Option;

/** Source-side options shared by {@code send} and {@code demo}: channels, rounds, the synthetic workload. */
final class MigrationOptions {
    @Option(names = "--channels", paramLabel = "N", defaultValue = "2",
        description = "Data channels (default: ${DEFAULT-VALUE}).")
    int channels;

    @Option(names = "--dirty-rate", paramLabel = "PAGES_PER_S", defaultValue = "0",
        description = "Synthetic workload writing this many pages per second while migrating (default: 0, idle).")
    long dirtyRate;

    @Option(names = "--hot-set", paramLabel = "SIZE", defaultValue = "64m",
        description = "Size of the region the workload dirties, from the middle of memory (default: ${DEFAULT-VALUE}).")
    String hotSet;

    @Option(names = "--writers", paramLabel = "N", defaultValue = "1",
        description = "Workload writer threads (default: ${DEFAULT-VALUE}).")
    int writers;

    @Option(names = "--max-rounds", paramLabel = "N", defaultValue = "30",
        description = "Most rounds before switching over, the final one included (default: ${DEFAULT-VALUE}).")
    int maxRounds;

    @Option(names = "--switchover-dirty", paramLabel = "SIZE", defaultValue = "16m",
        description = "Switch over once at most this much is dirty after a round (default: ${DEFAULT-VALUE}).")
    String switchoverDirty;

    @Option(names = "--connect-timeout", paramLabel = "DURATION", defaultValue = "10s",
        description = "Longest wait to connect and authenticate each connection (default: ${DEFAULT-VALUE}).")
    String connectTimeout;

    @Option(names = "--barrier-timeout", paramLabel = "DURATION", defaultValue = "60s",
        description = "Longest wait for every channel to write its SYNC, or for a stalled channel (default: "
            + "${DEFAULT-VALUE}).")
    String barrierTimeout;

    void apply(final MigrationSource.Context context) {
        context.connectTimeoutMs(Values.durationMs("--connect-timeout", connectTimeout))
            .barrierTimeoutMs(Values.durationMs("--barrier-timeout", barrierTimeout))
            .channels(channels)
            .maxRounds(maxRounds)
            .switchoverDirtyBytes(Values.size("--switchover-dirty", switchoverDirty));
    }

    /** The workload over the middle of {@code block}, started, or null when the dirty rate is 0. */
    Workload workload(final RamBlock block) {
        if (dirtyRate < 0) {
            throw Values.bad("--dirty-rate", Long.toString(dirtyRate), "a rate >= 0");
        }
        if (dirtyRate == 0) {
            return null;
        }
        final long hotPages = Math.min(block.pageCount(), Math.max(1,
            Values.size("--hot-set", hotSet) / block.pageSizeBytes()));
        if (writers < 1 || writers > hotPages) {
            throw Values.bad("--writers", Integer.toString(writers), "1.." + hotPages);
        }
        final long first = (block.pageCount() - hotPages) / 2;
        return new Workload(block, first, hotPages, writers, dirtyRate, 42).start();
    }
}
