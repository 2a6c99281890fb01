package dev.ferry.bench.e2e;

import dev.ferry.engine.MemoryFactory;
import dev.ferry.engine.Migration;
import dev.ferry.engine.MigrationDestination;
import dev.ferry.engine.MigrationResult;
import dev.ferry.engine.MigrationRuntime;
import dev.ferry.engine.MigrationSource;
import dev.ferry.engine.MigrationStats;
import dev.ferry.engine.Secret;
import dev.ferry.memory.BlockSpec;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.RamBlock;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One process, one {@link MigrationRuntime}, driven line by line on standard input by {@link ManyRuns}, so that the
 * many-migrations benchmark times warm runtimes in two processes, as a daemon on each host would be.
 * <pre>
 * receiver: RuntimeProcess receive DATA_DIR SECRET_FILE MAX_INCOMING   prints "listening PORT"
 *   prepare NAME SIZE   a prefaulted file for NAME, made now (outside the migration)   prints "prepared NAME"
 *   expect K            waits for K migrations; one line each: "received NAME STATUS SETUP_MS TRANSFER_MS TOTAL_MS",
 *                       deletes each guest's file, then prints "done"
 * sender:   RuntimeProcess send SECRET_FILE PORT MAX_OUTGOING
 *   send BUDGET CHANNELS FILE NAME [FILE NAME ...]   all at once, the host budget BUDGET bytes/s (0: none); one
 *                       line each: "sent NAME STATUS START_MS END_MS SETUP_MS TRANSFER_MS BYTES", then "done WALL_MS"
 * both: "quit" ends the process.
 * </pre>
 */
public final class RuntimeProcess {
    private RuntimeProcess() {
    }

    public static void main(final String[] args) throws Exception {
        final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        if ("receive".equals(args[0])) {
            receive(Path.of(args[1]), Secret.fromFile(Path.of(args[2])), Integer.parseInt(args[3]), in);
        } else {
            send(Secret.fromFile(Path.of(args[1])), Integer.parseInt(args[2]), Integer.parseInt(args[3]), in);
        }
    }

    private static void receive(final Path dataDir, final Secret secret, final int maxIncoming,
        final BufferedReader in) throws Exception {
        final Map<String, MemoryFactory> prepared = new ConcurrentHashMap<>();
        final var fresh = MemoryFactory.inDirectory(dataDir, true);
        try (MigrationRuntime runtime = MigrationRuntime.start(new MigrationRuntime.Context().maxIncoming(maxIncoming)
            .incoming(new MigrationDestination.Context().listen(new InetSocketAddress("127.0.0.1", 0)).secret(secret)
                .memoryFor(name -> {
                    final MemoryFactory ready = prepared.remove(name);
                    return null != ready ? ready : fresh.apply(name);
                })))) {
            say("listening " + ((InetSocketAddress)runtime.localAddress()).getPort());
            for (String line = in.readLine(); null != line && !"quit".equals(line); line = in.readLine()) {
                final String[] words = line.split(" ");
                if ("prepare".equals(words[0])) {
                    prepared.put(words[1], MemoryFactory.preallocatedFile(dataDir.resolve(words[1]),
                        Long.parseLong(words[2]), true, true));
                    say("prepared " + words[1]);
                } else if ("expect".equals(words[0])) {
                    final List<Migration> coming = new ArrayList<>();
                    for (int i = 0; i < Integer.parseInt(words[1]); i++) {
                        coming.add(runtime.nextIncoming(10, TimeUnit.MINUTES));
                    }
                    for (final Migration migration : coming) {
                        final MigrationResult result = migration.result().get();
                        final MigrationStats stats = result.stats();
                        say("received " + stats.guest() + " " + result.status().jsonName() + " " +
                            stats.setupTimeMs() + " " + stats.transferTimeMs() + " " + stats.totalTimeMs());
                        if (null != result.memory()) {
                            result.memory().close();
                        }
                        Files.deleteIfExists(dataDir.resolve(stats.guest()));
                    }
                    say("done");
                }
            }
        }
    }

    private static void send(final Secret secret, final int port, final int maxOutgoing, final BufferedReader in)
        throws Exception {
        try (MigrationRuntime runtime = MigrationRuntime.start(new MigrationRuntime.Context().maxOutgoing(maxOutgoing)
            .outgoingWaitMs(TimeUnit.MINUTES.toMillis(10)))) {
            for (String line = in.readLine(); null != line && !"quit".equals(line); line = in.readLine()) {
                final String[] words = line.split(" ");
                runtime.bandwidthBudget().bytesPerSec(Long.parseLong(words[1]));
                final int channels = Integer.parseInt(words[2]);
                final long startNs = System.nanoTime();
                final List<GuestMemory> guests = new ArrayList<>();
                final List<MigrationSource> sources = new ArrayList<>();
                for (int i = 3; i + 1 < words.length; i += 2) {
                    final Path file = Path.of(words[i]);
                    final GuestMemory guest = GuestMemory.mapFile(file, List.of(new BlockSpec(0, "ram",
                        Files.size(file))), RamBlock.DEFAULT_PAGE_SIZE);
                    guests.add(guest);
                    sources.add(runtime.send(new MigrationSource.Context().destination(new InetSocketAddress(
                        "127.0.0.1", port)).secret(secret).memory(guest).name(words[i + 1]).channels(channels)));
                }
                final List<CompletableFuture<Long>> ends = new ArrayList<>();
                for (final MigrationSource source : sources) {
                    ends.add(source.result().thenApply(result -> System.nanoTime()));
                }
                for (int i = 0; i < sources.size(); i++) {
                    final MigrationResult result = sources.get(i).result().get();
                    final MigrationStats stats = result.stats();
                    final long endMs = TimeUnit.NANOSECONDS.toMillis(ends.get(i).get() - startNs);
                    say("sent " + stats.guest() + " " + result.status().jsonName() + " " + (endMs -
                        stats.totalTimeMs()) + " " + endMs + " " + stats.setupTimeMs() + " " + stats.transferTimeMs() +
                        " " + stats.transferredBytes());
                }
                say("done " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs));
                sources.forEach(MigrationSource::close);
                guests.forEach(GuestMemory::close);
            }
        }
    }

    private static void say(final String line) {
        System.out.println(line);
        System.out.flush();
    }
}
