package dev.ferry.bench;

import dev.ferry.bench.e2e.MigrationBenchmark;
import org.openjdk.jmh.Main;

/**
 * {@code java -jar bench/target/benchmarks.jar}: {@code e2e ...} runs the end-to-end benchmark
 * ({@link MigrationBenchmark}); anything else goes to JMH as usual.
 */
public final class BenchMain {
    private BenchMain() {
    }

    public static void main(final String[] args) throws Exception {
        if (args.length > 0 && "e2e".equals(args[0])) {
            MigrationBenchmark.main(args);
        } else {
            Main.main(args);
        }
    }
}
