package dev.ferry.engine.fuzz;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Seeded property runs, the whole of what this project's fuzzers need from a framework: a property is checked
 * against {@code tries} generated inputs, each try drawn from its own generator seeded by the run's seed and the
 * try's index, so one failing try replays alone. The first tries lean on edge values (empty and longest arrays,
 * 0, -1, the extremes of a range), as property-testing libraries do; the rest are random.
 * <p>
 * {@code -Dferry.fuzz.tries=N} sets the tries of every property (the campaigns of docs/reliability.md);
 * {@code -Dferry.fuzz.seed=S} fixes the seed (printed at the start of every run) and {@code -Dferry.fuzz.try=I}
 * runs try I of it alone.
 */
public final class Fuzz {
    /** The system property that sets every property's tries. */
    public static final String TRIES = "ferry.fuzz.tries";
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;
    private static final int EDGE_TRIES = 64;

    private Fuzz() {
    }

    /** One property: throws (an assertion, or any exception) when {@code input} breaks it. */
    @FunctionalInterface
    public interface Property {
        void check(Input input) throws Exception;
    }

    /**
     * Checks {@code property} on {@code defaultTries} inputs (or {@code -Dferry.fuzz.tries}); fails with the seed and
     * the try that broke it.
     */
    public static void check(final String name, final int defaultTries, final Property property) {
        final long seed = Long.getLong("ferry.fuzz.seed", new SplittableRandom().nextLong());
        final int only = Integer.getInteger("ferry.fuzz.try", -1);
        final int tries = Integer.getInteger(TRIES, defaultTries);
        System.out.printf("fuzz %s: %d tries from seed %d%n", name, only >= 0 ? 1 : tries, seed);
        for (int i = only >= 0 ? only : 0; i < (only >= 0 ? only + 1 : tries); i++) {
            final Input input = new Input(new SplittableRandom(seed + GOLDEN * (i + 1)), i < EDGE_TRIES);
            try {
                property.check(input);
            } catch (final Throwable ex) {
                throw new AssertionError(name + " failed at try " + i + " of seed " + seed + " (replay: -Dferry.fuzz.seed=" +
                    seed + " -Dferry.fuzz.try=" + i + "): " + ex, ex);
            }
        }
    }

    /** The values one try draws. */
    public static final class Input {
        private static final int[] EDGE_INTS = {0, 1, -1, 2, 255, 256, 4096, 65535, 65536, Integer.MAX_VALUE,
            Integer.MIN_VALUE, Integer.MAX_VALUE - 1, Integer.MIN_VALUE + 1};
        private final SplittableRandom random;
        private final boolean edgy;

        private Input(final SplittableRandom random, final boolean edgy) {
            this.random = random;
            this.edgy = edgy;
        }

        private boolean edge() {
            return random.nextInt(edgy ? 2 : 16) == 0;
        }

        /** Any int, edge values mixed in. */
        public int anyInt() {
            return edge() ? EDGE_INTS[random.nextInt(EDGE_INTS.length)] : random.nextInt();
        }

        /** Any long. */
        public long anyLong() {
            return edge() ? EDGE_INTS[random.nextInt(EDGE_INTS.length)] : random.nextLong();
        }

        /** An int in {@code [min, max]}, its ends mixed in. */
        public int intIn(final int min, final int max) {
            if (edge()) {
                return random.nextBoolean() ? min : max;
            }
            return (int)(min + random.nextLong((long)max - min + 1));
        }

        /** {@code min..max} bytes: random, or now and then all one value. */
        public byte[] bytes(final int min, final int max) {
            final byte[] bytes = new byte[intIn(min, max)];
            if (edge()) {
                java.util.Arrays.fill(bytes, (byte)(random.nextBoolean() ? 0 : 0xFF));
            } else {
                random.nextBytes(bytes);
            }
            return bytes;
        }

        /** {@code min..max} ints of {@link #anyInt()}. */
        public List<Integer> ints(final int min, final int max) {
            final int size = intIn(min, max);
            final List<Integer> ints = new ArrayList<>(size);
            for (int i = 0; i < size; i++) {
                ints.add(anyInt());
            }
            return ints;
        }

        /** {@code min..max} ints, each in {@code [low, high]}. */
        public List<Integer> intsIn(final int min, final int max, final int low, final int high) {
            final int size = intIn(min, max);
            final List<Integer> ints = new ArrayList<>(size);
            for (int i = 0; i < size; i++) {
                ints.add(intIn(low, high));
            }
            return ints;
        }

        /** One of {@code choices}. */
        @SafeVarargs
        public final <T> T oneOf(final T... choices) {
            return choices[random.nextInt(choices.length)];
        }
    }
}
