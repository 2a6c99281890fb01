package dev.ferry.engine.cli;

import dev.ferry.engine.Compression;
import dev.ferry.engine.MigrationSource;
import dev.ferry.memory.RamBlock;
import dev.ferry.memory.internal.Workload;
import picocli.CommandLine.Option;

/** Source-side options shared by {@code send} and {@code demo}: channels, rounds, the synthetic workload. */
final class MigrationOptions {
    @Option(names = "--channels", paramLabel = "N",
        description = "Data channels (default: ${DEFAULT-VALUE}).")
    int channels;

    @Option(names = "--dirty-rate", paramLabel = "PAGES_PER_S", defaultValue = "0",
        description = "For tests and demos: a synthetic workload that writes this many pages per second of random "
            + "data into the guest's memory while migrating; with send, that is --memory-file itself, which it changes "
            + "(default: 0, off).")
    long dirtyRate;

    @Option(names = "--hot-set", paramLabel = "SIZE", defaultValue = "64m", converter = Converters.Size.class,
        description = "Size of the region --dirty-rate's workload writes into, from the middle of memory (default: "
            + "${DEFAULT-VALUE}).")
    long hotSetBytes;

    @Option(names = "--writers", paramLabel = "N", defaultValue = "1",
        description = "Workload writer threads (default: ${DEFAULT-VALUE}).")
    int writers;

    @Option(names = "--max-rounds", paramLabel = "N",
        description = "Most rounds, the final one included; reaching it switches over whatever the downtime "
            + "(default: 0, no limit; 1 is stop-and-copy).")
    int maxRounds;

    @Option(names = "--downtime-limit", paramLabel = "DURATION",
        converter = Converters.DurationMs.class,
        description = "Switch over once the dirty set fits this downtime at the measured bandwidth (default: "
            + "${DEFAULT-VALUE}).")
    long downtimeLimitMs;

    @Option(names = "--auto-converge", negatable = true, fallbackValue = "true",
        description = "Throttle a guest that dirties memory faster than the channels send it (default: on; "
            + "--no-auto-converge turns it off).")
    boolean autoConverge;

    @Option(names = "--max-bandwidth", paramLabel = "SIZE/s",
        converter = Converters.Rate.class,
        description = "Cap across all data channels, e.g. 20m/s (default: ${DEFAULT-VALUE}); the paused final round "
            + "runs uncapped.")
    long maxBandwidth;

    @Option(names = {"--compress", "--compression"}, paramLabel = "none|zstd|zlib",
        converter = Converters.Codec.class,
        description = "Compress normal pages on the data channels; pays only on a link slower than the CPU "
            + "(default: ${DEFAULT-VALUE}, zero copy). The receiver needs no flag.")
    Compression compress;

    @Option(names = {"--compress-level", "--compression-level"}, paramLabel = "N",
        description = "The codec's level: zstd -7..19, zlib 1..9 (default: 1 for both); lower is faster and "
            + "compresses less.")
    Integer compressLevel;

    @Option(names = "--timeout", paramLabel = "DURATION", converter = Converters.DurationMs.class,
        description = "Fail the migration if it has not converged and switched over by then; the guest runs on "
            + "(default: ${DEFAULT-VALUE}).")
    long timeoutMs;

    @Option(names = "--switchover-dirty", paramLabel = "SIZE", converter = Converters.Size.class,
        description = "Switch over once at most this much is dirty after a round (default: ${DEFAULT-VALUE}).")
    long switchoverDirtyBytes;

    @Option(names = "--connect-timeout", paramLabel = "DURATION",
        converter = Converters.DurationMs.class,
        description = "Longest wait to connect and authenticate each connection (default: ${DEFAULT-VALUE}).")
    long connectTimeoutMs;

    @Option(names = "--barrier-timeout", paramLabel = "DURATION",
        converter = Converters.DurationMs.class,
        description = "Longest wait at the SYNC barrier without a byte written by any channel, or for a stalled "
            + "channel (default: ${DEFAULT-VALUE}).")
    long barrierTimeoutMs;

    void apply(final MigrationSource.Context context) {
        context.connectTimeoutMs(connectTimeoutMs)
            .barrierTimeoutMs(barrierTimeoutMs)
            .channels(channels)
            .maxRounds(maxRounds)
            .switchoverDirtyBytes(switchoverDirtyBytes)
            .downtimeLimitMs(downtimeLimitMs)
            .autoConverge(autoConverge)
            .maxBandwidthBytesPerSec(maxBandwidth)
            .compression(compress)
            .compressionLevel(compressLevel)
            .timeoutMs(timeoutMs);
    }

    /** The workload over the middle of {@code block}, started, or null when the dirty rate is 0. */
    Workload workload(final RamBlock block) {
        if (dirtyRate < 0) {
            throw FerryCli.bad("--dirty-rate", Long.toString(dirtyRate), "a rate >= 0");
        }
        if (dirtyRate == 0) {
            return null;
        }
        final long hotPages = Math.min(block.pageCount(), Math.max(1,
            hotSetBytes / block.pageSizeBytes()));
        if (writers < 1 || writers > hotPages) {
            throw FerryCli.bad("--writers", Integer.toString(writers), "1.." + hotPages);
        }
        final long first = (block.pageCount() - hotPages) / 2;
        return new Workload(block, first, hotPages, writers, dirtyRate, 42).start();
    }
}
