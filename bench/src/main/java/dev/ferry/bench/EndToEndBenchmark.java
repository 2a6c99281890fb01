package dev.ferry.bench;

import dev.ferry.engine.MemoryFactory;
import dev.ferry.engine.MigrationDestination;
import dev.ferry.engine.MigrationResult;
import dev.ferry.engine.MigrationSource;
import dev.ferry.engine.MigrationStats;
import dev.ferry.engine.Secret;
import dev.ferry.engine.VerifyMode;
import dev.ferry.memory.BlockSpec;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.RamBlock;
import dev.ferry.memory.internal.Fill;
import dev.ferry.memory.internal.MemoryFiles;
import dev.ferry.memory.internal.PageViews;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A whole migration of an idle guest beside a raw-socket baseline, both measured in the same run on the same
 * machine, reported as medians and a ratio.
 * <p>
 * Baseline: the same guest bytes moved over the same number of loopback TCP connections by the simplest possible
 * zero-copy program: each connection's thread writes its share of the source mapping in 512 KiB gathering writes of
 * page views, and the receiving thread reads straight into the destination mapping. No header, no barrier, no zero
 * detection, no verification: the physical limit of this machine's loopback for this access pattern.
 * <p>
 * Ferry: {@link MigrationSource} to {@link MigrationDestination} in this JVM, verification off (its cost is
 * reported apart), the destination creating and reserving its memory file as in production. The guest is random
 * (no zero pages), so both move the same bytes. "transfer" is total time minus setup, the comparable phase.
 * <p>
 * {@code java -cp bench/target/benchmarks.jar dev.ferry.bench.EndToEndBenchmark [size] [channels] [runs]}: one
 * warm-up run of each (not counted, it pays for class loading and JIT compilation: its time is printed apart, beside
 * the warm runs with the same verification, as what a cold JVM costs), then {@code runs} runs of each,
 * interleaved so that noise from the shared machine falls on both.
 */
public final class EndToEndBenchmark {
    private static final int CHUNK_PAGES = 128;

    private EndToEndBenchmark() {
    }

    public static void main(final String[] args) throws Exception {
        final long size = args.length > 0 ? parseSize(args[0]) : 1L << 30;
        final int channels = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        final int runs = args.length > 2 ? Integer.parseInt(args[2]) : 7;
        final Path base = Files.isDirectory(Path.of("/dev/shm")) ? Path.of("/dev/shm") :
            Path.of(System.getProperty("java.io.tmpdir"));
        final Path work = Files.createTempDirectory(base, "ferry-bench-");
        final Path sourceFile = work.resolve("source.ram");
        final Path destinationFile = work.resolve("destination.ram");
        final List<BlockSpec> specs = List.of(new BlockSpec(0, "pc.ram", size));
        final double[] raw = new double[runs];
        final double[] ferryTransfer = new double[runs];
        final double[] ferryTotal = new double[runs];
        final double[] verifyMs = new double[runs];
        final double[] warmFull = new double[runs];
        MigrationStats cold;
        try (GuestMemory source = GuestMemory.createFile(sourceFile, specs, RamBlock.DEFAULT_PAGE_SIZE)) {
            Fill.random(source.block(0), 1);
            try (GuestMemory destination = GuestMemory.createFile(destinationFile, specs, RamBlock.DEFAULT_PAGE_SIZE)) {
                rawSeconds(source, destination, channels);
            }
            MemoryFiles.deleteQuietly(destinationFile);
            cold = ferry(source, destinationFile, channels, VerifyMode.FULL).stats();
            MemoryFiles.deleteQuietly(destinationFile);
            for (int run = 0; run < runs; run++) {
                try (GuestMemory destination = GuestMemory.createFile(destinationFile, specs, RamBlock.DEFAULT_PAGE_SIZE)) {
                    raw[run] = rawSeconds(source, destination, channels);
                }
                MemoryFiles.deleteQuietly(destinationFile);
                final MigrationResult result = ferry(source, destinationFile, channels, VerifyMode.NONE);
                ferryTotal[run] = result.stats().totalTimeMs() / 1e3;
                ferryTransfer[run] = (result.stats().totalTimeMs() - result.stats().setupTimeMs()) / 1e3;
                MemoryFiles.deleteQuietly(destinationFile);
                final MigrationStats full = ferry(source, destinationFile, channels, VerifyMode.FULL).stats();
                verifyMs[run] = full.verifyTimeMs();
                warmFull[run] = full.totalTimeMs() / 1e3;
                MemoryFiles.deleteQuietly(destinationFile);
                System.out.printf(Locale.ROOT, "run %d: raw %.3f s, ferry transfer %.3f s (total %.3f s), verify %.0f ms%n",
                    run + 1, raw[run], ferryTransfer[run], ferryTotal[run], verifyMs[run]);
            }
        } finally {
            MemoryFiles.deleteQuietly(sourceFile);
            MemoryFiles.deleteQuietly(destinationFile);
            Files.deleteIfExists(work);
        }
        final double gib = size / (double)(1L << 30);
        final double rawMedian = median(raw);
        final double ferryMedian = median(ferryTransfer);
        System.out.printf(Locale.ROOT, "%nguest %.2f GiB, %d channels, %d runs, %d cores (medians)%n", gib, channels,
            runs, Runtime.getRuntime().availableProcessors());
        System.out.printf(Locale.ROOT, "raw sockets baseline : %.3f s  %.2f GiB/s%n", rawMedian, gib / rawMedian);
        System.out.printf(Locale.ROOT, "ferry transfer       : %.3f s  %.2f GiB/s%n", ferryMedian, gib / ferryMedian);
        System.out.printf(Locale.ROOT, "ferry total (+setup) : %.3f s  %.2f GiB/s%n", median(ferryTotal),
            gib / median(ferryTotal));
        System.out.printf(Locale.ROOT, "ferry verify (full)  : %.0f ms%n", median(verifyMs));
        System.out.printf(Locale.ROOT, "cold JIT: the first migration in this JVM (full verification) took %.3f s " +
            "(setup %d ms, verify %d ms) against %.3f s warm (median): warm-up costs %.3f s%n", cold.totalTimeMs() / 1e3,
            cold.setupTimeMs(), cold.verifyTimeMs(), median(warmFull), cold.totalTimeMs() / 1e3 - median(warmFull));
        System.out.printf(Locale.ROOT, "ratio ferry/raw throughput: %.2f%n", rawMedian / ferryMedian);
    }

    private static MigrationResult ferry(
        final GuestMemory source, final Path destinationFile, final int channels, final VerifyMode verify) {
        final Secret secret = Secret.of("benchmark secret: 32 bytes long!".getBytes());
        final MigrationDestination destination = MigrationDestination.start(new MigrationDestination.Context()
            .secret(secret).verify(verify).memoryFactory(MemoryFactory.file(destinationFile)));
        final MigrationResult result = MigrationSource.start(new MigrationSource.Context()
            .destination(destination.localAddress()).memory(source).secret(secret).channels(channels)
            .verify(verify)).result().join();
        final MigrationResult received = destination.result().join();
        if (!result.isCompleted() || !received.isCompleted()) {
            throw new IllegalStateException("migration failed: " + result.error() + " / " + received.error());
        }
        received.memory().close();
        return result;
    }

    /** Seconds to move every page of {@code source} into {@code destination} over {@code channels} raw sockets. */
    static double rawSeconds(final GuestMemory source, final GuestMemory destination, final int channels)
        throws Exception {
        final ExecutorService pool = Executors.newFixedThreadPool(2 * channels);
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress("127.0.0.1", 0));
            final long pages = source.block(0).pageCount();
            final long perChannel = (pages + channels - 1) / channels;
            final long startNs = System.nanoTime();
            final List<Future<?>> futures = new ArrayList<>();
            for (int c = 0; c < channels; c++) {
                final long first = c * perChannel;
                final long end = Math.min(pages, first + perChannel);
                final SocketChannel out = SocketChannel.open(server.getLocalAddress());
                final SocketChannel in = server.accept();
                futures.add(pool.submit(() -> pump(source, first, end, out, true)));
                futures.add(pool.submit(() -> pump(destination, first, end, in, false)));
            }
            for (final Future<?> future : futures) {
                future.get();
            }
            return (System.nanoTime() - startNs) / 1e9;
        } finally {
            pool.shutdownNow();
        }
    }

    private static Void pump(final GuestMemory memory, final long first, final long end, final SocketChannel socket,
        final boolean send) throws IOException {
        try (socket) {
            final PageViews views = new PageViews(memory, CHUNK_PAGES);
            final ByteBuffer[] iov = new ByteBuffer[CHUNK_PAGES];
            for (long page = first; page < end; page += CHUNK_PAGES) {
                final int count = (int)Math.min(CHUNK_PAGES, end - page);
                for (int i = 0; i < count; i++) {
                    iov[i] = views.page(0, page + i, i);
                }
                int index = 0;
                while (index < count) {
                    if (send) {
                        socket.write(iov, index, count - index);
                    } else if (socket.read(iov, index, count - index) < 0) {
                        throw new IOException("early EOF");
                    }
                    while (index < count && !iov[index].hasRemaining()) {
                        index++;
                    }
                }
            }
        }
        return null;
    }

    static double median(final double[] values) {
        final double[] sorted = values.clone();
        Arrays.sort(sorted);
        final int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private static long parseSize(final String text) {
        final char unit = Character.toLowerCase(text.charAt(text.length() - 1));
        final long value = Long.parseLong(Character.isDigit(unit) ? text : text.substring(0, text.length() - 1));
        switch (unit) {
            case 'k':
                return value << 10;
            case 'm':
                return value << 20;
            case 'g':
                return value << 30;
            default:
                return value;
        }
    }
}
