package dev.ferry.bench;

import dev.ferry.memory.RamBlock;
import dev.ferry.memory.internal.Fill;
import dev.ferry.memory.internal.Pages;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Zero-page detection, the sender's per-page check. A zero page is the worst case (the whole page is read); a
 * random page exits at the first 64 bytes. The pages cycle through 64 MiB so the zero scan reads memory, not a hot
 * L1 line: GB/s = 4096 / score(ns).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--add-opens=java.base/jdk.internal.misc=ALL-UNNAMED")
@State(Scope.Thread)
public class PagesBenchmark {
    private static final long PAGES = (64L << 20) / 4096;
    private RamBlock zero;
    private RamBlock random;
    private long page;

    @Setup
    public void setUp() {
        zero = RamBlock.anonymous(0, "zero", PAGES * 4096, 4096);
        random = RamBlock.anonymous(1, "random", PAGES * 4096, 4096);
        Fill.random(random, 1);
    }

    @TearDown
    public void tearDown() {
        zero.close();
        random.close();
    }

    @Benchmark
    public boolean isZeroOnZeroPage() {
        page = (page + 1) & (PAGES - 1);
        return Pages.isZero(zero, page);
    }

    @Benchmark
    public boolean isZeroOnRandomPage() {
        page = (page + 1) & (PAGES - 1);
        return Pages.isZero(random, page);
    }
}
