package dev.ferry.bench.e2e;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The end-to-end benchmark's outputs: a table on the terminal, results.json, and two PNG charts. */
final class Report {
    private static final double GB = 1e9;

    private final MigrationBenchmark.Options options;
    private final MigrationBenchmark.Series series;
    private final boolean iperf;
    private final boolean qemu;

    Report(final MigrationBenchmark.Options options, final MigrationBenchmark.Series series, final boolean iperf,
        final boolean qemu) {
        this.options = options;
        this.series = series;
        this.iperf = iperf;
        this.qemu = qemu;
    }

    void print(final List<String[]> scenarios, final List<double[]> channelSamples) throws Exception {
        Files.createDirectories(options.out);
        final StringBuilder json = new StringBuilder("{\n  \"size-bytes\": ").append(options.sizeBytes)
            .append(",\n  \"runs\": ").append(options.runs).append(",\n  \"scenarios\": [\n");
        final List<String> names = new ArrayList<>();
        final List<Double> ferry = new ArrayList<>();
        final List<Double> raw = new ArrayList<>();
        final List<Double> net = new ArrayList<>();
        final List<Double> ferryTotals = new ArrayList<>();
        final List<Double> qemuTotals = new ArrayList<>();
        if (qemu) {
            printAgainstQemu(scenarios, json);
        }
        System.out.printf(Locale.ROOT, "%n%s guest, medians of %d runs [min-max]; GB/s = 10^9 bytes / transfer time%n",
            options.sizeBytes >= 1L << 30 ? options.sizeBytes / (1L << 30) + " GiB" :
                options.sizeBytes / (1 << 20) + " MiB", options.runs);
        System.out.println("scenario                  total s          setup  transfer verify  ferry GB/s  raw GB/s" +
            "  iperf3 GB/s  ferry/raw  ferry/iperf3");
        for (final String[] scenario : scenarios) {
            final String key = Matrix.key(scenario[0], scenario[1], Integer.parseInt(scenario[2]));
            final double transfer = Runs.median(series.of(key + " transfer"));
            final double rawBest = Math.min(Runs.median(series.of(key + " raw transferTo")),
                Runs.median(series.of(key + " raw write")));
            final double iperfBest = iperf ? Math.min(Runs.median(series.of("iperf3 -P" + scenario[2])),
                Runs.median(series.of("iperf3 -Z -P" + scenario[2]))) : Double.NaN;
            final double[] totals = series.of(key + " total");
            final double ferryGbs = options.sizeBytes / transfer / GB;
            final double rawGbs = options.sizeBytes / rawBest / GB;
            final double iperfGbs = options.sizeBytes / iperfBest / GB;
            System.out.printf(Locale.ROOT, "%-22s %6.3f [%.2f-%.2f] %6.3f %7.3f %6.3f %9.2f %9.2f %10.2f %10.2f %12.2f%n",
                key, Runs.median(totals), Runs.min(totals), Runs.max(totals), Runs.median(series.of(key + " setup")),
                transfer, Runs.median(series.of(key + " verify")), ferryGbs, rawGbs, iperfGbs, ferryGbs / rawGbs,
                ferryGbs / iperfGbs);
            appendScenario(json, scenario, totals, rawBest, iperfBest);
            names.add(key);
            ferryTotals.add(Runs.median(totals));
            qemuTotals.add(qemu ? Runs.median(series.of(key + " qemu")) : 0);
            ferry.add(ferryGbs);
            raw.add(rawGbs);
            net.add(Double.isNaN(iperfGbs) ? 0 : iperfGbs);
        }
        json.setLength(json.length() - 2);
        json.append("\n  ]\n}\n");
        Files.writeString(options.out.resolve("results.json"), json.toString());
        throughputChart(names, ferry, raw, net);
        channelChart(channelSamples);
        if (qemu) {
            qemuChart(names, ferryTotals, qemuTotals);
        }
        System.out.println("wrote " + options.out.resolve("results.json") + ", throughput.png, channels.png" +
            (qemu ? ", vs-qemu.png" : ""));
    }

    /** One scenario's object in results.json. */
    private void appendScenario(final StringBuilder json, final String[] scenario, final double[] totals,
        final double rawBest, final double iperfBest) {
        final String key = Matrix.key(scenario[0], scenario[1], Integer.parseInt(scenario[2]));
        final double transfer = Runs.median(series.of(key + " transfer"));
        final double ferryGbs = options.sizeBytes / transfer / GB;
        final double rawGbs = options.sizeBytes / rawBest / GB;
        final double iperfGbs = options.sizeBytes / iperfBest / GB;
        json.append(String.format(Locale.ROOT, "    {\"content\": \"%s\", \"destination\": \"%s\", " +
                "\"channels\": %s, \"total-s\": %.4f, \"total-min-s\": %.4f, \"total-max-s\": %.4f, " +
                "\"setup-s\": %.4f, \"transfer-s\": %.4f, \"verify-s\": %.4f, \"raw-transfer-s\": %.4f, " +
                "\"iperf3-s\": %.4f, \"ferry-vs-raw\": %.3f, \"ferry-vs-iperf3\": %.3f, \"qemu-s\": %.4f, " +
            "\"ferry-vs-qemu\": %.3f},%n", scenario[0],
            scenario[1], scenario[2], Runs.median(totals), Runs.min(totals), Runs.max(totals),
            Runs.median(series.of(key + " setup")), transfer, Runs.median(series.of(key + " verify")), rawBest,
            iperfBest, ferryGbs / rawGbs, ferryGbs / iperfGbs, qemuMedian(key),
            qemuMedian(key) / Runs.median(totals)));
        if (options.alsoJavaJar) { // the launcher's gain: Ferry as plain java -jar, same run
            appendField(json, "ferry-java-jar-total-s", Runs.median(series.of(key + " java-jar total")));
        }
        if (options.alsoVerifyNone) { // what verification costs: Ferry with --verify none, same run
            appendField(json, "ferry-verify-none-total-s", Runs.median(series.of(key + " verify-none total")));
        }
    }

    /** Adds a field to the scenario object {@code json} ends with ("...},\n"). */
    private static void appendField(final StringBuilder json, final String name, final double value) {
        json.setLength(json.length() - 3);
        json.append(String.format(Locale.ROOT, ", \"%s\": %.4f},%n", name, value));
    }

    private double qemuMedian(final String key) {
        return qemu ? Runs.median(series.of(key + " qemu")) : Double.NaN;
    }

    /**
     * Ferry against QEMU first: time until both sides are done (Ferry's with its verification, QEMU's without any),
     * and Ferry's speed as a multiple of QEMU's (above 1: Ferry is faster). Appended to {@code json} as its own list.
     */
    private void printAgainstQemu(final List<String[]> scenarios, final StringBuilder json) {
        System.out.println("Ferry against QEMU 7.2 multifd (time until both sides are done; Ferry verifies, QEMU does " +
            "not)");
        System.out.println("scenario                  QEMU s [min-max]      Ferry s [min-max]    Ferry's speed / QEMU's");
        for (final String[] scenario : scenarios) {
            final String key = Matrix.key(scenario[0], scenario[1], Integer.parseInt(scenario[2]));
            final double[] theirs = series.of(key + " qemu");
            final double[] ours = series.of(key + " total");
            System.out.printf(Locale.ROOT, "%-22s %7.3f [%.2f-%.2f] %8.3f [%.2f-%.2f] %12.2fx%n", key,
                Runs.median(theirs), Runs.min(theirs), Runs.max(theirs), Runs.median(ours), Runs.min(ours),
                Runs.max(ours), Runs.median(theirs) / Runs.median(ours));
            if (options.alsoJavaJar) {
                printVariant(series.of(key + " java-jar total"), theirs, "java -jar");
            }
            if (options.alsoVerifyNone) {
                printVariant(series.of(key + " verify-none total"), theirs, "--verify none");
            }
        }
        System.out.println();
    }

    private static void printVariant(final double[] ours, final double[] theirs, final String what) {
        System.out.printf(Locale.ROOT, "%-22s %24s %8.3f [%.2f-%.2f] %12.2fx   (%s)%n", "", "", Runs.median(ours),
            Runs.min(ours), Runs.max(ours), Runs.median(theirs) / Runs.median(ours), what);
    }

    private void qemuChart(final List<String> names, final List<Double> ferryTotals, final List<Double> qemuTotals)
        throws Exception {
        final CategoryChart chart = new CategoryChartBuilder().width(1400).height(600)
            .title("Ferry against QEMU 7.2 multifd: time until both sides are done (s, medians; lower is better)")
            .yAxisTitle("s").build();
        chart.getStyler().setXAxisLabelRotation(60);
        chart.addSeries("Ferry (verified)", names, ferryTotals);
        chart.addSeries("QEMU multifd", names, qemuTotals);
        BitmapEncoder.saveBitmap(chart, options.out.resolve("vs-qemu.png").toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private void throughputChart(final List<String> names, final List<Double> ferry, final List<Double> raw,
        final List<Double> net) throws Exception {
        final CategoryChart chart = new CategoryChartBuilder().width(1400).height(600)
            .title("Transfer throughput, two processes on loopback (GB/s, medians)").yAxisTitle("GB/s").build();
        chart.getStyler().setXAxisLabelRotation(60);
        chart.addSeries("Ferry", names, ferry);
        chart.addSeries("raw N sockets", names, raw);
        if (iperf) {
            chart.addSeries("iperf3 (better of -P, -Z -P)", names, net);
        }
        BitmapEncoder.saveBitmap(chart, options.out.resolve("throughput.png").toString(),
            BitmapEncoder.BitmapFormat.PNG);
    }

    private void channelChart(final List<double[]> samples) throws Exception {
        if (samples.size() < 2) {
            return;
        }
        final XYChart chart = new XYChartBuilder().width(900).height(450)
            .title("Ferry, 2 channels, random guest, fresh destination: throughput per channel").xAxisTitle("s")
            .yAxisTitle("MB/s").build();
        final int channels = samples.get(0).length - 1;
        for (int c = 1; c <= channels; c++) {
            final List<Double> time = new ArrayList<>();
            final List<Double> rate = new ArrayList<>();
            for (int i = 1; i < samples.size(); i++) {
                final double dt = samples.get(i)[0] - samples.get(i - 1)[0];
                time.add(samples.get(i)[0]);
                rate.add((samples.get(i)[c] - samples.get(i - 1)[c]) / dt / 1e6);
            }
            chart.addSeries("channel " + (c - 1), time, rate);
        }
        BitmapEncoder.saveBitmap(chart, options.out.resolve("channels.png").toString(),
            BitmapEncoder.BitmapFormat.PNG);
    }
}
