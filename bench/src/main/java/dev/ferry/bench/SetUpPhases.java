package dev.ferry.bench;

import dev.ferry.engine.MemoryFactory;
import dev.ferry.engine.MigrationDestination;
import dev.ferry.engine.MigrationResult;
import dev.ferry.engine.MigrationRuntime;
import dev.ferry.engine.MigrationSource;
import dev.ferry.engine.Secret;
import dev.ferry.memory.BlockSpec;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.RamBlock;
import dev.ferry.memory.internal.Fill;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Where a warm migration's set-up goes: two runtimes in one JVM, {@code count} migrations of a {@code size} MiB random
 * guest one after another into a destination prefaulted beforehand, each source's set-up read phase by phase from its
 * {@code dev.ferry.SetUp} flight-recorder event; beside it, what starting a thread costs on this machine in the same
 * run (the set-up starts several). Medians of the later half (the first are warm-up).
 * <pre>
 * java --add-opens java.base/jdk.internal.misc=ALL-UNNAMED -cp bench/target/benchmarks.jar \
 *     dev.ferry.bench.SetUpPhases [SIZE_MIB=64] [COUNT=40]
 * </pre>
 */
public final class SetUpPhases {
    private static final List<String> PHASES = List.of("threadStartMicros", "connectMicros", "handshakeMicros",
        "setupSendMicros", "setupAckMicros", "dataChannelsMicros", "sendersMicros");

    private SetUpPhases() {
    }

    public static void main(final String[] args) throws Exception {
        final long size = (args.length > 0 ? Long.parseLong(args[0]) : 64) << 20;
        final int count = args.length > 1 ? Integer.parseInt(args[1]) : 40;
        final Path dir = Files.createTempDirectory(Path.of(Files.isDirectory(Path.of("/dev/shm")) ? "/dev/shm" :
            System.getProperty("java.io.tmpdir")), "ferry-setup-");
        final Path jfr = dir.resolve("setup.jfr");
        final Secret secret = Secret.of(new byte[32]);
        final Map<String, MemoryFactory> prepared = new ConcurrentHashMap<>();
        final List<Long> setUpMs = new ArrayList<>();
        try (Recording recording = new Recording();
             GuestMemory guest = GuestMemory.anonymous(List.of(new BlockSpec(0, "ram", size)), RamBlock.DEFAULT_PAGE_SIZE);
             MigrationRuntime receiver = MigrationRuntime.start(new MigrationRuntime.Context().incoming(
                 new MigrationDestination.Context().listen(new InetSocketAddress("127.0.0.1", 0)).secret(secret)
                     .memoryFor(prepared::remove)));
             MigrationRuntime sender = MigrationRuntime.start(new MigrationRuntime.Context())) {
            Fill.random(guest.block(0), 1);
            recording.enable("dev.ferry.SetUp");
            recording.start();
            for (int i = 0; i < count; i++) {
                prepared.put("g" + i, MemoryFactory.preallocatedFile(dir.resolve("g" + i), size, true, true));
                try (MigrationSource source = sender.send(new MigrationSource.Context()
                    .destination(receiver.localAddress()).secret(secret).memory(guest).name("g" + i))) {
                    final MigrationResult sent = source.result().get();
                    final MigrationResult received = receiver.nextIncoming(1, TimeUnit.MINUTES).result().get();
                    if (!sent.isCompleted()) {
                        throw new IllegalStateException("migration " + i + ": " + sent.error());
                    }
                    received.memory().close();
                    Files.deleteIfExists(dir.resolve("g" + i));
                    setUpMs.add(sent.stats().setupTimeMs());
                }
            }
            recording.stop();
            recording.dump(jfr);
            report(RecordingFile.readAllEvents(jfr).stream().filter(event -> "dev.ferry.SetUp".equals(
                event.getEventType().getName())).toList(), setUpMs, count);
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }

    private static void report(final List<RecordedEvent> events, final List<Long> setUpMs, final int count)
        throws InterruptedException {
        final List<RecordedEvent> later = events.subList(events.size() / 2, events.size());
        final Map<String, Long> medians = new LinkedHashMap<>();
        long sum = 0;
        for (final String phase : PHASES) {
            final long median = median(later.stream().map(event -> event.getLong(phase)).toList());
            medians.put(phase, median);
            sum += median;
        }
        System.out.printf(Locale.ROOT, "set-up of the later %d of %d warm migrations, medians (us):%n", later.size(),
            count);
        medians.forEach((phase, micros) -> System.out.printf(Locale.ROOT, "  %-20s %6d%n", phase, micros));
        System.out.printf(Locale.ROOT, "  %-20s %6d%n", "sum of medians", sum);
        System.out.printf(Locale.ROOT, "source's set-up-time-ms, median of the later half: %d%n",
            median(setUpMs.subList(setUpMs.size() / 2, setUpMs.size())));
        System.out.printf(Locale.ROOT, "a thread's start to its first instruction on this machine, median: %d us%n",
            threadStartMicros());
    }

    /** What {@code Thread.start()} takes until the new thread runs, median of 50. */
    private static long threadStartMicros() throws InterruptedException {
        final List<Long> micros = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            final CountDownLatch running = new CountDownLatch(1);
            final long startNs = System.nanoTime();
            final Thread thread = new Thread(running::countDown);
            thread.start();
            running.await();
            micros.add((System.nanoTime() - startNs) / 1000);
            thread.join();
        }
        return median(micros);
    }

    private static long median(final List<Long> values) {
        final List<Long> sorted = new ArrayList<>(values);
        sorted.sort(null);
        return sorted.get(sorted.size() / 2);
    }
}
