package dev.ferry.bench;

import com.github.luben.zstd.ZstdCompressCtx;
import dev.ferry.memory.RamBlock;
import dev.ferry.memory.internal.Fill;
import io.airlift.compress.zstd.ZstdCompressor;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.zip.Deflater;

/**
 * Compressing one packet (128 pages of 4 KiB, about 3:1 or random) on one thread: page by page (a frame per page,
 * what a sender does) or as one frame per packet, with zstd-jni (native), aircompressor (pure Java zstd) and
 * {@code java.util.zip} zlib. Score: microseconds per packet; MB/s = 524288 / score.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = "--add-opens=java.base/jdk.internal.misc=ALL-UNNAMED")
@State(Scope.Thread)
public class CodecBenchmark {
    private static final int PAGE = 4096;
    private static final int PAGES = 128;

    @Param({"compressible", "random"})
    public String content;

    /** zstd's level: 1 is Ferry's; negative levels are zstd's "fast" modes. */
    @Param({"1"})
    public int level;

    private RamBlock block;
    private ByteBuffer memory;
    private byte[] heap;
    private final ByteBuffer out = ByteBuffer.allocateDirect(2 * PAGES * PAGE);
    private final byte[] heapOut = new byte[2 * PAGES * PAGE];
    private ZstdCompressCtx zstd;
    private final ZstdCompressor air = new ZstdCompressor();
    private final Deflater deflater = new Deflater(1);

    @Setup
    public void setUp() {
        block = RamBlock.anonymous(0, "packet", (long)PAGES * PAGE, PAGE);
        if ("random".equals(content)) {
            Fill.random(block, 1);
        } else {
            Fill.compressible(block, 1.0 / 3, 1);
        }
        memory = block.windowByteBuffer(0).duplicate();
        heap = new byte[PAGES * PAGE];
        memory.duplicate().get(heap);
        zstd = new ZstdCompressCtx().setLevel(level).setChecksum(false);
    }

    @TearDown
    public void tearDown() {
        block.close();
        zstd.close();
        deflater.end();
    }

    @Benchmark
    public int zstdJniPerPage() {
        int total = 0;
        for (int p = 0; p < PAGES; p++) {
            total += zstd.compressDirectByteBuffer(out, total, out.capacity() - total, memory, p * PAGE, PAGE);
        }
        return total;
    }

    @Benchmark
    public int zstdJniPerPacket() {
        return zstd.compressDirectByteBuffer(out, 0, out.capacity(), memory, 0, PAGES * PAGE);
    }

    @Benchmark
    public int aircompressorPerPage() {
        int total = 0;
        for (int p = 0; p < PAGES; p++) {
            total += air.compress(heap, p * PAGE, PAGE, heapOut, total, heapOut.length - total);
        }
        return total;
    }

    @Benchmark
    public int zlibPerPage() {
        int total = 0;
        for (int p = 0; p < PAGES; p++) {
            deflater.reset();
            deflater.setInput(memory.duplicate().position(p * PAGE).limit((p + 1) * PAGE));
            deflater.finish();
            total += deflater.deflate(out.duplicate().position(total));
        }
        return total;
    }

    @Benchmark
    public int zlibPerPacket() {
        deflater.reset();
        deflater.setInput(memory.duplicate());
        deflater.finish();
        return deflater.deflate(out.duplicate());
    }
}
