package dev.ferry.bench.e2e;

import dev.ferry.engine.MemoryFactory;
import dev.ferry.memory.BlockSpec;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.RamBlock;
import dev.ferry.memory.internal.MemoryFiles;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The raw baseline: the same bytes between two processes over N loopback connections with nothing on top (no
 * header, no barrier, no verification). Each connection carries one contiguous slice of the guest.
 * <pre>
 * receiver: RawTransfer receive PORT N FILE SIZE fresh|prefault   prints "listening", then "transfer-ns T"
 * sender:   RawTransfer send PORT N FILE transferTo|write
 * </pre>
 * The receiver reads into a mapping prepared the way Ferry's destination prepares its memory in the same scenario
 * (created afresh at connect, or preallocated and prefaulted beforehand), so the comparison is fair; its time runs
 * from the first connection to the last byte. The sender either {@code transferTo}s from the file (sendfile) or
 * writes 1 MiB slices of its mapping.
 */
public final class RawTransfer {
    private static final int SLICE_BYTES = 1 << 20;
    private static final long WINDOW_BYTES = 1L << 30;

    private RawTransfer() {
    }

    public static void main(final String[] args) throws Exception {
        if ("receive".equals(args[0])) {
            receive(Integer.parseInt(args[1]), Integer.parseInt(args[2]), Path.of(args[3]), Long.parseLong(args[4]),
                "prefault".equals(args[5]));
        } else {
            send(Integer.parseInt(args[1]), Integer.parseInt(args[2]), Path.of(args[3]), "transferTo".equals(args[4]));
        }
    }

    private static void receive(final int port, final int channels, final Path file, final long size,
        final boolean prefault) throws Exception {
        final List<BlockSpec> specs = List.of(new BlockSpec(0, "ram", size));
        final MemoryFactory factory = prefault ? MemoryFactory.preallocatedFile(file, size, true) : null;
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress("127.0.0.1", port));
            System.out.println("listening");
            System.out.flush();
            final List<SocketChannel> sockets = new ArrayList<>();
            sockets.add(server.accept());
            final long startNs = System.nanoTime();
            final GuestMemory memory = null == factory ? GuestMemory.createFile(file, specs, RamBlock.DEFAULT_PAGE_SIZE) :
                factory.create(specs, RamBlock.DEFAULT_PAGE_SIZE);
            while (sockets.size() < channels) {
                sockets.add(server.accept());
            }
            final List<Thread> readers = new ArrayList<>();
            for (int c = 0; c < channels; c++) {
                final SocketChannel socket = sockets.get(c);
                final int channel = c;
                final Thread reader = new Thread(() -> readSlice(socket, memory.block(0), channel, channels));
                readers.add(reader);
                reader.start();
            }
            for (final Thread reader : readers) {
                reader.join();
            }
            System.out.println("transfer-ns " + (System.nanoTime() - startNs));
            memory.close();
            for (final SocketChannel socket : sockets) {
                socket.close();
            }
        } finally {
            MemoryFiles.deleteQuietly(file);
            if (null != factory) {
                factory.discardUnused(); // the partial file it made ahead (raw.ram.PID.partial), never committed
            }
        }
    }

    private static void readSlice(final SocketChannel socket, final RamBlock block, final int channel,
        final int channels) {
        final long from = sliceStart(block.lengthBytes(), channel, channels);
        final long to = sliceStart(block.lengthBytes(), channel + 1, channels);
        try {
            for (long at = from; at < to; at += SLICE_BYTES) {
                final int window = (int)(at >>> block.windowShift());
                final int offset = (int)(at & ((1L << block.windowShift()) - 1));
                final ByteBuffer view = block.windowByteBuffer(window).duplicate();
                view.limit(offset + (int)Math.min(SLICE_BYTES, to - at)).position(offset);
                while (view.hasRemaining()) {
                    if (socket.read(view) < 0) {
                        throw new IOException("early end of stream on channel " + channel);
                    }
                }
            }
        } catch (final IOException ex) {
            throw new IllegalStateException(ex);
        }
    }

    private static long sliceStart(final long size, final int channel, final int channels) {
        return size / RamBlock.DEFAULT_PAGE_SIZE * channel / channels * RamBlock.DEFAULT_PAGE_SIZE;
    }

    private static void send(final int port, final int channels, final Path file, final boolean transferTo)
        throws Exception {
        try (FileChannel source = FileChannel.open(file, StandardOpenOption.READ)) {
            final long size = source.size();
            final List<Thread> writers = new ArrayList<>();
            for (int c = 0; c < channels; c++) {
                final int channel = c;
                final SocketChannel socket = SocketChannel.open(new InetSocketAddress("127.0.0.1", port));
                final Thread writer = new Thread(() -> writeSlice(socket, source, transferTo, size, channel, channels));
                writers.add(writer);
            }
            writers.forEach(Thread::start);
            for (final Thread writer : writers) {
                writer.join();
            }
        }
    }

    private static void writeSlice(final SocketChannel socket, final FileChannel source, final boolean transferTo,
        final long size, final int channel, final int channels) {
        final long from = sliceStart(size, channel, channels);
        final long to = sliceStart(size, channel + 1, channels);
        try (socket) {
            if (transferTo) {
                for (long at = from; at < to; ) {
                    at += source.transferTo(at, to - at, socket);
                }
                return;
            }
            for (long window = from; window < to; window += WINDOW_BYTES) {
                final MappedByteBuffer mapping = source.map(FileChannel.MapMode.READ_ONLY, window,
                    Math.min(WINDOW_BYTES, to - window));
                while (mapping.hasRemaining()) {
                    mapping.limit(Math.min(mapping.capacity(), mapping.position() + SLICE_BYTES));
                    socket.write(mapping);
                    mapping.limit(mapping.capacity());
                }
            }
        } catch (final IOException ex) {
            throw new IllegalStateException(ex);
        }
    }
}
