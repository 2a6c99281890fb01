package dev.ferry.bench;

import dev.ferry.memory.internal.Pages;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteBuffer;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;

/**
 * What reading a 1 MiB chunk of guest memory costs, per way of reading it: verification's CRC32C, the CRC32 the
 * JDK computes with carry-less multiplies, and a zero test by {@code ByteBuffer.mismatch} against a page of zeros
 * (the JDK's vectorised comparison). The chunks cycle through 512 MiB of direct memory, so each read comes from
 * memory, not cache: GB/s = 1048576 / score(ns).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--add-opens=java.base/jdk.internal.misc=ALL-UNNAMED")
@State(Scope.Thread)
public class ChunkReadBenchmark {
    private static final int CHUNK = 1 << 20;
    private static final int CHUNKS = 512;
    private static final int PAGE = 4096;

    @Param({"zeros", "random"})
    public String content;

    private ByteBuffer memory;
    private ByteBuffer view;
    private UnsafeBuffer unsafe;
    private final ByteBuffer zeroPage = ByteBuffer.allocateDirect(PAGE);
    private final CRC32C crc32c = new CRC32C();
    private final CRC32 crc32 = new CRC32();
    private int chunk;

    @Setup
    public void setUp() {
        memory = ByteBuffer.allocateDirect(CHUNK * CHUNKS);
        if ("random".equals(content)) {
            final byte[] bytes = new byte[CHUNK];
            for (int c = 0; c < CHUNKS; c++) {
                ThreadLocalRandom.current().nextBytes(bytes);
                memory.put(c * CHUNK, bytes);
            }
        } else {
            for (int c = 0; c < CHUNKS; c++) {
                memory.put(c * CHUNK, new byte[CHUNK]); // touched, as a written page of zeros is
            }
        }
        view = memory.duplicate();
        unsafe = new UnsafeBuffer(memory);
    }

    private ByteBuffer next() {
        chunk = (chunk + 1) % CHUNKS;
        view.limit(chunk * CHUNK + CHUNK).position(chunk * CHUNK);
        return view;
    }

    @Benchmark
    public long crc32c() {
        crc32c.reset();
        crc32c.update(next());
        return crc32c.getValue();
    }

    @Benchmark
    public long crc32() {
        crc32.reset();
        crc32.update(next());
        return crc32.getValue();
    }

    /** Page by page with the sender's check today ({@code Pages.isZero}: eight longs ORed per step). */
    @Benchmark
    public int zeroPagesByLongs() {
        final int start = next().position();
        int zeroPages = 0;
        for (int at = start; at < start + CHUNK; at += PAGE) {
            if (!Pages.isZero(unsafe, at, PAGE)) {
                break;
            }
            zeroPages++;
        }
        return zeroPages;
    }

    /** Page by page against a page of zeros, stopping at the first page with data (a random chunk's first). */
    @Benchmark
    public int zeroPagesByMismatch() {
        final ByteBuffer chunkView = next();
        final int start = chunkView.position();
        int zeroPages = 0;
        for (int at = start; at < start + CHUNK; at += PAGE) {
            chunkView.limit(at + PAGE).position(at);
            zeroPage.clear();
            if (chunkView.mismatch(zeroPage) >= 0) {
                break;
            }
            zeroPages++;
        }
        return zeroPages;
    }
}
