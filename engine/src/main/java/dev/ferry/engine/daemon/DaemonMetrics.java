package dev.ferry.engine.daemon;

import dev.ferry.engine.MigrationRuntime;
import dev.ferry.engine.MigrationStats;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.ToDoubleFunction;

/**
 * {@code GET /metrics}: the daemon in Prometheus' text format, written by the Prometheus Java client. The runtime's
 * aggregates ({@code ferry_migrations_running{role}}, {@code ferry_migrated_bytes_total{direction}}, ...) and one
 * series per migration the daemon lists, labelled {@code id}, {@code name} (the guest) and {@code role}, with the
 * same meanings as the keys of {@code --stats-json}. Each scrape reads every migration's statistics once.
 */
final class DaemonMetrics {
    static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;
    private static final String[] MIGRATION_LABELS = {"id", "name", "role"};

    private final Daemon daemon;
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
    /** The migrations and their statistics of the scrape under way (scrapes are serialized). */
    private List<Sample> samples = List.of();

    /** One migration's statistics, read once per scrape. */
    private record Sample(TrackedMigration migration, MigrationStats stats) {
        void call(final Callback callback, final double value) {
            callback.call(value, migration.id(), guest(migration), migration.role());
        }
    }

    /** The guest's name, or "" while it is not known (an incoming migration before its SETUP). */
    private static String guest(final TrackedMigration migration) {
        final String name = migration.name();
        return null == name ? "" : name;
    }

    /** What both callback types have in common. */
    @FunctionalInterface
    private interface Callback {
        void call(double value, String... labels);
    }

    DaemonMetrics(final Daemon daemon) {
        this.daemon = daemon;
        final MigrationRuntime runtime = daemon.runtime();
        GaugeWithCallback.builder().name("ferry_migrations_running").help("Migrations running now, by role")
            .labelNames("role").callback(cb -> {
                cb.call(runtime.outgoingRunning(), "source");
                cb.call(runtime.incomingRunning(), "destination");
            }).register(registry);
        GaugeWithCallback.builder().name("ferry_migrations_queued")
            .help("Outgoing migrations waiting for one of the --max-outgoing places")
            .callback(cb -> cb.call(daemon.list(t -> TrackedMigration.QUEUED.equals(t.state())).size()))
            .register(registry);
        CounterWithCallback.builder().name("ferry_migrations_refused")
            .help("Migrations refused for want of a place: incoming at the endpoint's door, outgoing by the runtime")
            .labelNames("direction").callback(cb -> {
                cb.call(runtime.incomingRefused(), "in");
                cb.call(runtime.outgoingRefused(), "out");
            }).register(registry);
        CounterWithCallback.builder().name("ferry_migrated_bytes")
            .help("Bytes moved by migrations since the daemon started, by direction").labelNames("direction")
            .callback(cb -> {
                cb.call(runtime.bytesIn(), "in");
                cb.call(runtime.bytesOut(), "out");
            }).register(registry);
        GaugeWithCallback.builder().name("ferry_daemon_draining").help("1 once the daemon drains, else 0")
            .callback(cb -> cb.call(daemon.isDraining() ? 1 : 0)).register(registry);
        perMigration();
    }

    private void perMigration() {
        counter("ferry_migration_transferred_bytes", "Bytes of pages moved so far (transferred-bytes)",
            MigrationStats::transferredBytes);
        counter("ferry_migration_rounds", "Rounds so far (rounds)", MigrationStats::rounds);
        gauge("ferry_migration_guest_bytes", "The guest's memory size (total-bytes)", MigrationStats::totalBytes);
        gauge("ferry_migration_remaining_bytes", "Dirty bytes not yet handed to the channels, on the source " +
            "(remaining-bytes)",
            stats -> stats.isSource() ? stats.remainingBytes() : Double.NaN);
        gauge("ferry_migration_throughput_bytes_per_second", "Average throughput so far " +
            "(throughput-bytes-per-sec)",
            MigrationStats::throughputBytesPerSec);
        gauge("ferry_migration_downtime_seconds", "The guest's downtime (downtime-ms), once switched over",
            stats -> stats.downtimeMs() < 0 ? Double.NaN : stats.downtimeMs() / 1000.0);
        gauge("ferry_migration_verified", "1 once the destination's digest matched the source's (verified)",
            stats -> stats.verified() ? 1 : 0);
        GaugeWithCallback.builder().name("ferry_migration_state")
            .help("1 for the migration's state (queued, setup, active, device, verifying, completed, failed, " +
                "cancelled, unknown)")
            .labelNames("id", "name", "role", "state")
            .callback(cb -> samples.forEach(sample -> cb.call(1, sample.migration().id(),
                guest(sample.migration()), sample.migration().role(), sample.migration().state())))
            .register(registry);
    }

    private void counter(final String name, final String help, final ToDoubleFunction<MigrationStats> value) {
        CounterWithCallback.builder().name(name).help(help).labelNames(MIGRATION_LABELS)
            .callback(cb -> each(cb::call, value)).register(registry);
    }

    private void gauge(final String name, final String help, final ToDoubleFunction<MigrationStats> value) {
        GaugeWithCallback.builder().name(name).help(help).labelNames(MIGRATION_LABELS)
            .callback(cb -> each(cb::call, value)).register(registry);
    }

    private void each(final Callback callback, final ToDoubleFunction<MigrationStats> value) {
        for (final Sample sample : samples) {
            final double now = null == sample.stats() ? Double.NaN : value.applyAsDouble(sample.stats());
            if (!Double.isNaN(now)) { // NaN: the key means nothing for this migration (yet), as null in its JSON
                sample.call(callback, now);
            }
        }
    }

    /** The text format of everything now. */
    synchronized String scrape() {
        final List<Sample> now = new ArrayList<>();
        final Consumer<TrackedMigration> read = migration -> now.add(new Sample(migration, migration.stats()));
        daemon.list(migration -> true).forEach(read);
        samples = now;
        final ByteArrayOutputStream out = new ByteArrayOutputStream(4096);
        try {
            writer.write(out, registry.scrape(), io.prometheus.metrics.config.EscapingScheme.UNDERSCORE_ESCAPING);
        } catch (final IOException ex) {
            throw new UncheckedIOException(ex);
        } finally {
            samples = List.of();
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
