package dev.ferry.engine;

/**
 * One precopy round as the source saw it: an element of the JSON's {@code round-history}.
 *
 * @param round              the round's number, 0 first.
 * @param durationMs         harvest to FLUSH written.
 * @param bytesSent          bytes the data channels wrote during the round.
 * @param dirtyPages         pages harvested from the dirty bitmap at its start (round 0: every page).
 * @param expectedDowntimeMs what pausing after it would have cost, by the dirty set and the measured bandwidth.
 * @param throttlePercent    the auto-converge throttle while it ran.
 */
public record RoundRecord(int round, long durationMs, long bytesSent, long dirtyPages, long expectedDowntimeMs,
    int throttlePercent) {

    String toJson() {
        return "{\"round\": " + round + ", \"duration-ms\": " + durationMs + ", \"bytes-sent\": " + bytesSent +
            ", \"dirty-pages\": " + dirtyPages + ", \"expected-downtime-ms\": " + expectedDowntimeMs +
            ", \"throttle-percent\": " + throttlePercent + "}";
    }
}
