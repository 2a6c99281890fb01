package dev.ferry.engine.destination;

import dev.ferry.engine.FerryException;
import dev.ferry.engine.channel.TlsEngines;

import java.io.EOFException;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import javax.net.ssl.SSLException;

/**
 * Logs refused connections once per cause per {@link #PERIOD_NS}, not once per connection: a flood of garbage
 * connections must not flood the log. The first refusal of a cause is logged at once; later ones in the period are
 * counted and reported with the next line of that cause. Every refusal is counted elsewhere regardless.
 */
final class RefusalLog {
    /** At most one line per cause per this period. */
    static final long PERIOD_NS = 10_000_000_000L;

    private final Consumer<String> out;
    private final Map<String, long[]> causes = new HashMap<>();

    RefusalLog(final Consumer<String> out) {
        this.out = out;
    }

    /** A refusal for {@code cause} (a short stable key), described by {@code line}, at {@code nowNs}. */
    synchronized void refused(final String cause, final String line, final long nowNs) {
        final long[] state = causes.computeIfAbsent(cause, key -> new long[] {nowNs - PERIOD_NS, 0});
        if (nowNs - state[0] >= PERIOD_NS) {
            final long suppressed = state[1];
            state[0] = nowNs;
            state[1] = 0;
            out.accept(suppressed == 0 ? line : line + " (and " + suppressed + " more refused for this cause since the" +
                " last such line)");
        } else {
            state[1]++;
        }
    }

    /** The cause (a short stable key) and the reason to log for a handshake that failed with {@code ex}. */
    static String[] describe(final Exception ex) {
        if (ex instanceof FerryException failure) {
            return new String[] {failure.code().name(), failure.getMessage()};
        }
        if (ex instanceof SSLException) {
            return new String[] {"tls", "TLS handshake failed: " + TlsEngines.reason(ex, "source")};
        }
        if (ex instanceof EOFException) {
            return new String[] {"closed", "closed by the peer during the handshake"};
        }
        return new String[] {ex.getClass().getSimpleName(), "handshake failed: " + ex.getMessage()};
    }
}
