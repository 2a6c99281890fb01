package dev.ferry.bench.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The baseline a VMM migrates with: QEMU's multifd migration (Debian's qemu-system-x86, 7.2 on bookworm) of the
 * very memory file Ferry sends, between two QEMU processes on loopback. Both are {@code -machine none} with the file
 * as their RAM ({@code memory-backend-file share=on}) and no device, so what moves is the guest's RAM and nothing
 * else; the source is paused ({@code -S}), as Ferry's CLI source is idle; the destination is prepared as Ferry's is
 * in the same scenario (a file created by the migration for "fresh", {@code prealloc=on} for "prefault", which
 * touches every page before listening, as {@code receive --ram --prefault} does). Both get multifd with the same
 * number of channels and {@code max-bandwidth} raised to 1 TB/s; QMP over a Unix socket. The time is from the
 * {@code migrate} command until both sides' {@code query-migrate} say "completed": time until both are done, as
 * Ferry's total is (QEMU verifies nothing, so Ferry's total with verification is the honest comparison).
 */
final class QemuMigration {
    private static final String QEMU = "qemu-system-x86_64";
    private static final long LIMIT_NS = TimeUnit.SECONDS.toNanos(600);

    private final Path work;

    QemuMigration(final Path work) {
        this.work = work;
    }

    /** Installs qemu-system-x86 from Debian's packages when it is missing; false if it cannot be had. */
    static boolean ensure(final Path work) {
        if (Participants.exits0(work, List.of(QEMU, "--version"))) {
            return true;
        }
        System.out.println("installing qemu-system-x86 (Debian's package) for the QEMU baseline");
        final List<String> install = List.of("apt-get", "install", "-y", "--no-install-recommends", "qemu-system-x86");
        if (!Participants.exits0(work, install)) {
            Participants.exits0(work, List.of("apt-get", "update"));
            Participants.exits0(work, install);
        }
        return Participants.exits0(work, List.of(QEMU, "--version"));
    }

    /** Seconds from {@code migrate} until both sides completed, for {@code source} into a {@code destination} one. */
    double run(final Path source, final long size, final String destination, final int channels) throws Exception {
        final Path target = work.resolve("qemu-destination.ram");
        Files.deleteIfExists(target);
        final Path sourceQmp = work.resolve("qemu-source.qmp");
        final Path destinationQmp = work.resolve("qemu-destination.qmp");
        Files.deleteIfExists(sourceQmp);
        Files.deleteIfExists(destinationQmp);
        final Process sourceVm = Runs.start(work.resolve("qemu-source.log"), command(source, size, sourceQmp, "", false));
        Process destinationVm = null;
        try {
            destinationVm = Runs.start(work.resolve("qemu-destination.log"), command(target, size, destinationQmp,
                ",prealloc=" + ("prefault".equals(destination) ? "on" : "off"), true));
            try (Qmp from = Qmp.connect(sourceQmp, sourceVm); Qmp to = Qmp.connect(destinationQmp, destinationVm)) {
                for (final Qmp side : List.of(from, to)) {
                    side.execute("migrate-set-capabilities",
                        "{\"capabilities\": [{\"capability\": \"multifd\", \"state\": true}]}");
                    side.execute("migrate-set-parameters",
                        "{\"multifd-channels\": " + channels + ", \"max-bandwidth\": 1000000000000}");
                }
                final int port = Runs.freePort();
                to.execute("migrate-incoming", "{\"uri\": \"tcp:127.0.0.1:" + port + "\"}");
                final long startNs = System.nanoTime();
                from.execute("migrate", "{\"uri\": \"tcp:127.0.0.1:" + port + "\"}");
                boolean sourceDone = false;
                boolean destinationDone = false;
                while (!(sourceDone && destinationDone)) {
                    if (System.nanoTime() - startNs > LIMIT_NS) {
                        throw new IllegalStateException("QEMU's migration did not complete within 600 s");
                    }
                    sourceDone = sourceDone || completed(from);
                    destinationDone = destinationDone || completed(to);
                    if (!(sourceDone && destinationDone)) {
                        Thread.sleep(1);
                    }
                }
                return (System.nanoTime() - startNs) / 1e9;
            }
        } finally {
            sourceVm.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            if (null != destinationVm) {
                destinationVm.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
            Files.deleteIfExists(target);
        }
    }

    private static boolean completed(final Qmp side) throws IOException {
        final String answer = side.execute("query-migrate", null);
        if (answer.contains("\"status\": \"failed\"") || answer.contains("\"status\": \"cancelled\"")) {
            throw new IllegalStateException("QEMU's migration failed: " + answer);
        }
        return answer.contains("\"status\": \"completed\"");
    }

    private static List<String> command(final Path memory, final long size, final Path qmp, final String backend,
        final boolean incoming) {
        final List<String> command = new ArrayList<>(List.of(QEMU, "-machine", "none", "-nodefaults", "-display",
            "none", "-S", "-m", size + "B", "-object", "memory-backend-file,id=ram,size=" + size + ",mem-path=" + memory +
                ",share=on" + backend, "-machine", "memory-backend=ram", "-qmp", "unix:" + qmp + ",server=on,wait=off"));
        if (incoming) {
            command.addAll(List.of("-incoming", "defer"));
        }
        return command;
    }

    /** A QMP client over a Unix socket: one command at a time, events skipped. */
    private static final class Qmp implements AutoCloseable {
        private final SocketChannel channel;
        private final BufferedReader in;
        private final Writer out;

        private Qmp(final SocketChannel channel) {
            this.channel = channel;
            this.in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
            this.out = new OutputStreamWriter(Channels.newOutputStream(channel), StandardCharsets.UTF_8);
        }

        static Qmp connect(final Path socket, final Process vm) throws Exception {
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (true) {
                try {
                    final SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
                    try {
                        channel.connect(UnixDomainSocketAddress.of(socket));
                    } catch (final IOException ex) {
                        channel.close();
                        throw ex;
                    }
                    final Qmp qmp = new Qmp(channel);
                    qmp.read(); // the greeting
                    qmp.execute("qmp_capabilities", null);
                    return qmp;
                } catch (final IOException ex) {
                    if (!vm.isAlive()) {
                        throw new IllegalStateException("QEMU exited " + vm.exitValue() + " at start-up (see " +
                            socket.resolveSibling(socket.getFileName().toString().replace(".qmp", ".log")) + ")");
                    }
                    if (System.nanoTime() > deadlineNs) {
                        throw new IllegalStateException("QEMU's QMP socket " + socket + " did not answer in 60 s", ex);
                    }
                    Thread.sleep(10);
                }
            }
        }

        String execute(final String command, final String arguments) throws IOException {
            out.write("{\"execute\": \"" + command + "\"" + (null == arguments ? "" : ", \"arguments\": " + arguments) +
                "}\n");
            out.flush();
            final String answer = read();
            if (answer.contains("\"error\"")) {
                throw new IllegalStateException("QEMU refused " + command + ": " + answer);
            }
            return answer;
        }

        private String read() throws IOException {
            while (true) {
                final String line = in.readLine();
                if (null == line) {
                    throw new IOException("QMP closed");
                }
                if (!line.contains("\"event\"")) {
                    return line;
                }
            }
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }
}
