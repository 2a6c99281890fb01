package dev.ferry.bench.e2e;

import dev.ferry.memory.internal.MemoryFiles;

import java.nio.file.Path;
import java.util.Locale;

/**
 * How the cost grows with the guest: 256 MiB, 1, 2, 4 and 8 GiB random guests, 2 channels, into a fresh
 * destination (the default; {@code --destination prefault} for one whose memory is there already, which tells the
 * engine's own growth apart from the host's page allocation); a least-squares fit total = a + b x size, and the
 * marginal cost per GiB from 1 to 8 GiB against 1 to 2 GiB.
 */
final class Growth {
    private static final long[] SIZES = {256L << 20, 1L << 30, 2L << 30, 4L << 30, 8L << 30};

    private final MigrationBenchmark.Options options;
    private final Path work;

    Growth(final MigrationBenchmark.Options options, final Path work) {
        this.options = options;
        this.work = work;
    }

    void run() throws Exception {
        MigrationBenchmark.Options.requireRoom(2 * SIZES[SIZES.length - 1]);
        final String destination = options.destinationGiven ? options.destinations.get(0) : "fresh";
        System.out.println("destination: " + destination);
        final Participants participants = new Participants(work, options.ferryJar);
        final double[] medians = new double[SIZES.length];
        for (int s = 0; s < SIZES.length; s++) {
            final Path source = MigrationBenchmark.source(work, "random", SIZES[s]);
            final double[] totals = new double[options.runs];
            for (int run = 0; run < options.runs; run++) {
                totals[run] = participants.ferry(source, SIZES[s], destination, 2, false).total();
            }
            MemoryFiles.deleteQuietly(source);
            medians[s] = Runs.median(totals);
            System.out.printf(Locale.ROOT, "%5d MiB: total %.3f s (median of %d) [%.3f-%.3f]%n", SIZES[s] >> 20,
                medians[s], options.runs, Runs.min(totals), Runs.max(totals));
        }
        fit(medians);
    }

    private static void fit(final double[] totals) {
        double sx = 0;
        double sy = 0;
        double sxx = 0;
        double sxy = 0;
        for (int i = 0; i < SIZES.length; i++) {
            final double gib = SIZES[i] / (double)(1L << 30);
            sx += gib;
            sy += totals[i];
            sxx += gib * gib;
            sxy += gib * totals[i];
        }
        final int n = SIZES.length;
        final double b = (n * sxy - sx * sy) / (n * sxx - sx * sx);
        final double a = (sy - b * sx) / n;
        final double marginal = (totals[4] - totals[1]) / 7;
        final double first = totals[2] - totals[1];
        System.out.printf(Locale.ROOT, "fit: total = %.3f s + %.3f s/GiB x size%n", a, b);
        System.out.printf(Locale.ROOT, "marginal cost per GiB, 1 to 8 GiB: %.3f s; 1 to 2 GiB: %.3f s; ratio %.2f " +
            "(target within 15%%)%n", marginal, first, marginal / first);
    }
}
