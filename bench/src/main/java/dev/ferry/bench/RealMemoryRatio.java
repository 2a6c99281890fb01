package dev.ferry.bench;

import com.github.luben.zstd.ZstdCompressCtx;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * How real memory compresses at each zstd level, as Ferry frames it (docs/benchmarks.md, "The default level stays
 * 1"): reads the writable mappings of a running process from {@code /proc/PID/mem} (root, or the same user with
 * ptrace allowed), leaves out zero pages as Ferry does, and compresses the rest in frames of 128 pages (512 KiB)
 * with zstd-jni at each level.
 * <pre>
 * java -cp bench/target/benchmarks.jar dev.ferry.bench.RealMemoryRatio PID [level,...]   (default 1,-1,-3)
 * </pre>
 */
public final class RealMemoryRatio {
    private static final int PAGE = 4096;
    private static final int FRAME = 128 * PAGE;
    private static final long MAX_BYTES = 1L << 30;

    private RealMemoryRatio() {
    }

    public static void main(final String[] args) throws IOException {
        if (args.length < 1) {
            System.err.println("usage: RealMemoryRatio PID [level,...]");
            System.exit(2);
        }
        final String pid = args[0];
        final String[] levels = (args.length > 1 ? args[1] : "1,-1,-3").split(",");
        final ByteBuffer pages = ByteBuffer.allocateDirect((int)MAX_BYTES);
        long zeroPages = 0;
        final byte[] page = new byte[PAGE];
        try (RandomAccessFile mem = new RandomAccessFile("/proc/" + pid + "/mem", "r")) {
            for (final String line : Files.readAllLines(Path.of("/proc", pid, "maps"))) {
                final String[] fields = line.split("\\s+");
                if (!fields[1].startsWith("rw")) {
                    continue;
                }
                final String[] range = fields[0].split("-");
                final long end = Long.parseUnsignedLong(range[1], 16);
                for (long at = Long.parseUnsignedLong(range[0], 16); at < end && pages.remaining() >= PAGE; at += PAGE) {
                    try {
                        mem.seek(at);
                        mem.readFully(page);
                    } catch (final IOException unreadable) {
                        continue; // a guard page or a mapping gone meanwhile
                    }
                    if (isZero(page)) {
                        zeroPages++;
                    } else {
                        pages.put(page);
                    }
                }
            }
        }
        pages.flip();
        System.out.printf(Locale.ROOT, "process %s: %d non-zero pages (%.1f MiB) kept, %d zero pages left out%n", pid,
            pages.limit() / PAGE, pages.limit() / 1048576.0, zeroPages);
        final ByteBuffer out = ByteBuffer.allocateDirect(FRAME * 2);
        for (final String level : levels) {
            long compressed = 0;
            final long startNs = System.nanoTime();
            try (ZstdCompressCtx zstd = new ZstdCompressCtx().setLevel(Integer.parseInt(level.trim()))) {
                for (int at = 0; at < pages.limit(); at += FRAME) {
                    final int length = Math.min(FRAME, pages.limit() - at);
                    compressed += zstd.compressDirectByteBuffer(out, 0, out.capacity(), pages, at, length);
                }
            }
            System.out.printf(Locale.ROOT, "zstd level %3s: %.2f:1 (%.0f MB/s on one thread)%n", level.trim(),
                (double)pages.limit() / compressed, pages.limit() / 1e6 / ((System.nanoTime() - startNs) / 1e9));
        }
    }

    private static boolean isZero(final byte[] page) {
        for (final byte b : page) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }
}
