package dev.ferry.engine.text;

import org.agrona.SystemUtil;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Sizes, durations, rates and addresses as an operator writes them: the command line's options and the daemon's
 * requests read them here, so both take exactly the same forms. Each parser throws an
 * {@link IllegalArgumentException} whose message is what was expected ("a size such as 4096, 64k, 64m or 2g"); the
 * caller adds the option or field and the value. Also human-readable sizes (powers of 1024).
 */
public final class Units {
    /** The prefix of a Unix-domain socket's path. */
    public static final String UNIX = "unix:";

    private Units() {
    }

    public static String bytes(final long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        final String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
    }

    /**
     * A size: {@code 4096}, {@code 64k}, {@code 64m}, {@code 2g} (Agrona), and {@code 1t}, which Agrona lacks;
     * powers of 1024.
     */
    public static long parseSize(final String text) {
        final String trimmed = text.trim();
        final String expected = "a size such as 4096, 64k, 64m or 2g";
        try {
            if (trimmed.toLowerCase(Locale.ROOT).endsWith("t")) {
                final long gib = SystemUtil.parseSize("size", trimmed.substring(0, trimmed.length() - 1) + "g");
                if (gib > Long.MAX_VALUE >> 10 || gib < 0) {
                    throw new IllegalArgumentException("a size that fits in 63 bits");
                }
                return gib << 10;
            }
            final long bytes = SystemUtil.parseSize("size", trimmed);
            if (bytes < 0) {
                throw new IllegalArgumentException(expected);
            }
            return bytes;
        } catch (final IllegalArgumentException ex) {
            throw new IllegalArgumentException("a size that fits in 63 bits".equals(ex.getMessage()) ?
                ex.getMessage() : expected);
        }
    }

    /**
     * A duration in milliseconds: {@code 300ms}, {@code 10s} (Agrona), and {@code 2m} for minutes, which Agrona
     * reads as nothing. A bare number is refused: Agrona would read nanoseconds, which no operator means.
     */
    public static long parseDurationMs(final String text) {
        final String trimmed = text.trim().toLowerCase(Locale.ROOT);
        final String expected = "a duration such as 300ms, 10s or 2m";
        final long ns;
        try {
            if (trimmed.endsWith("m") && !trimmed.endsWith("ms")) {
                ns = TimeUnit.MINUTES.toNanos(Long.parseLong(trimmed.substring(0, trimmed.length() - 1)));
            } else if (trimmed.endsWith("ms") || trimmed.endsWith("s")) {
                ns = SystemUtil.parseDuration("duration", trimmed);
            } else {
                throw new IllegalArgumentException(expected);
            }
        } catch (final IllegalArgumentException ex) {
            throw new IllegalArgumentException(expected);
        }
        final long ms = TimeUnit.NANOSECONDS.toMillis(ns);
        if (ms <= 0 || ms > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a positive duration of at most " + Integer.MAX_VALUE + " ms");
        }
        return ms;
    }

    /**
     * A rate in bytes per second: a size followed by {@code /s} ({@code 20m/s}; the {@code /s} may be left out), or
     * {@code 0} or {@code unlimited} for no limit (0).
     */
    public static long parseRate(final String text) {
        final String trimmed = text.trim().toLowerCase(Locale.ROOT);
        if ("unlimited".equals(trimmed)) {
            return 0L;
        }
        final String size = trimmed.endsWith("/s") ? trimmed.substring(0, trimmed.length() - 2) : trimmed;
        try {
            return parseSize(size);
        } catch (final IllegalArgumentException ex) {
            throw new IllegalArgumentException("a rate such as 20m/s or 1g/s, or unlimited");
        }
    }

    /** {@code HOST:PORT}, {@code [::1]:PORT}, or {@code unix:PATH} for a Unix-domain socket. */
    public static SocketAddress parseAddress(final String text) {
        if (text.startsWith(UNIX)) {
            final String path = text.substring(UNIX.length());
            if (path.isEmpty()) {
                throw new IllegalArgumentException("unix:PATH with a path");
            }
            try {
                return UnixDomainSocketAddress.of(path);
            } catch (final IllegalArgumentException ex) {
                throw new IllegalArgumentException("unix:PATH with a usable path (" + ex.getMessage() + ")");
            }
        }
        final int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw new IllegalArgumentException("HOST:PORT");
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        final int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (final IllegalArgumentException ex) {
            throw new IllegalArgumentException("HOST:PORT with a numeric port");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("a port from 0 to 65535");
        }
        final InetSocketAddress address = new InetSocketAddress(host, port);
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("a host that resolves");
        }
        return address;
    }

    /** {@code HOST:PORT} of a TCP address, {@code unix:PATH} of a Unix-domain socket. */
    public static String describe(final SocketAddress address) {
        if (address instanceof InetSocketAddress inet) {
            return inet.getAddress().getHostAddress() + ":" + inet.getPort();
        }
        if (address instanceof UnixDomainSocketAddress unix) {
            return UNIX + unix.getPath();
        }
        return String.valueOf(address);
    }
}
