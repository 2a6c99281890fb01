package dev.ferry.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * A bandwidth cap shared by every migration given it ({@code MigrationSource.Context.bandwidthBudget}): a host
 * that migrates several guests at once over one link says "at most this much for migrations" once, and each running
 * migration gets a share in proportion to its weight, recomputed whenever one starts or ends or the budget changes.
 * A migration's own cap ({@code maxBandwidthBytesPerSec}) still applies when it is lower than its share, and its
 * convergence plans with what it may use. 0 is unlimited. Thread-safe.
 * <p>
 * It is a budget for the transfer, not a hard cap on the link: a migration's paused final round runs uncapped
 * (every millisecond is downtime), and a migration holds its share from its start to its end, also while it sets
 * up and verifies.
 */
public final class BandwidthBudget {
    private final List<Share> shares = new ArrayList<>();
    private long bytesPerSec;

    /** A budget of {@code bytesPerSec} across all the migrations that join it; 0 is unlimited. */
    public BandwidthBudget(final long bytesPerSec) {
        bytesPerSec(bytesPerSec);
    }

    /** Changes the budget; every running migration's share follows at once (its waiting senders too, if raised). */
    public synchronized void bytesPerSec(final long bytesPerSec) {
        if (bytesPerSec < 0) {
            throw new FerryException(ErrorCode.CONFIGURATION, "bandwidth budget " + bytesPerSec + " must be >= 0 " +
                "(0: unlimited)");
        }
        this.bytesPerSec = bytesPerSec;
        reshare();
    }

    public synchronized long bytesPerSec() {
        return bytesPerSec;
    }

    /** Participants sharing the budget now: the migrations running with it. */
    public synchronized int participants() {
        return shares.size();
    }

    /**
     * Joins the budget with {@code weight} (1..1000): {@code onShare} is told the participant's share in bytes per
     * second now (0: unlimited) and again whenever it changes, under this budget's lock, so it must be quick and
     * take no lock a thread may hold while it calls this budget. The
     * source engine joins for each migration and leaves when it ends; an embedder may share the budget with traffic
     * of its own the same way. Closing the handle leaves.
     */
    public synchronized AutoCloseable join(final int weight, final LongConsumer onShare) {
        if (weight < 1 || weight > 1000) {
            throw new FerryException(ErrorCode.CONFIGURATION, "bandwidth weight " + weight + " must be 1..1000");
        }
        final Share share = new Share(weight, onShare);
        shares.add(share);
        reshare();
        return () -> leave(share);
    }

    private synchronized void leave(final Share share) {
        if (shares.remove(share)) {
            reshare();
        }
    }

    /** Each participant's part of the budget, by weight; never 0 while the budget is not (0 would lift the cap). */
    private void reshare() {
        long totalWeight = 0;
        for (final Share share : shares) {
            totalWeight += share.weight;
        }
        for (final Share share : shares) {
            share.onShare.accept(0 == bytesPerSec ? 0 : Math.max(1, part(bytesPerSec, share.weight, totalWeight)));
        }
    }

    /** {@code whole * weight / totalWeight} without overflow, whatever {@code whole} (weight at most totalWeight). */
    static long part(final long whole, final int weight, final long totalWeight) {
        return whole / totalWeight * weight + whole % totalWeight * weight / totalWeight;
    }

    private static final class Share {
        private final int weight;
        private final LongConsumer onShare;

        private Share(final int weight, final LongConsumer onShare) {
            this.weight = weight;
            this.onShare = onShare;
        }
    }
}
