package dev.ferry.engine.cli;

import dev.ferry.engine.Compression;
import dev.ferry.engine.FerryException;
import org.agrona.SystemUtil;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * picocli converters for the CLI's value formats, over Agrona's {@link SystemUtil} parsers. Each throws a
 * {@link TypeConversionException} saying what was expected; {@link FerryCli} adds the option and the value.
 */
final class Converters {
    private Converters() {
    }

    /**
     * A size: {@code 4096}, {@code 64k}, {@code 64m}, {@code 2g} (Agrona), and {@code 1t}, which Agrona lacks;
     * powers of 1024.
     */
    static final class Size implements ITypeConverter<Long> {
        @Override
        public Long convert(final String text) {
            final String trimmed = text.trim();
            try {
                if (trimmed.toLowerCase(Locale.ROOT).endsWith("t")) {
                    final long gib = SystemUtil.parseSize("size", trimmed.substring(0, trimmed.length() - 1) + "g");
                    if (gib > Long.MAX_VALUE >> 10 || gib < 0) {
                        throw new TypeConversionException("a size that fits in 63 bits");
                    }
                    return gib << 10;
                }
                final long bytes = SystemUtil.parseSize("size", trimmed);
                if (bytes < 0) {
                    throw new TypeConversionException("a size such as 4096, 64k, 64m or 2g");
                }
                return bytes;
            } catch (final IllegalArgumentException ex) {
                throw new TypeConversionException("a size such as 4096, 64k, 64m or 2g");
            }
        }
    }

    /** A codec name: {@code none}, {@code zstd} or {@code zlib}. */
    static final class Codec implements ITypeConverter<Compression> {
        @Override
        public Compression convert(final String text) {
            try {
                return Compression.parse(text.trim());
            } catch (final FerryException ex) {
                throw new TypeConversionException("none, zstd or zlib");
            }
        }
    }

    /**
     * A duration in milliseconds: {@code 300ms}, {@code 10s} (Agrona), and {@code 2m} for minutes, which Agrona
     * reads as nothing. A bare number is refused: Agrona would read nanoseconds, which no operator means.
     */
    static final class DurationMs implements ITypeConverter<Long> {
        @Override
        public Long convert(final String text) {
            final String trimmed = text.trim().toLowerCase(Locale.ROOT);
            final long ns;
            try {
                if (trimmed.endsWith("m") && !trimmed.endsWith("ms")) {
                    ns = TimeUnit.MINUTES.toNanos(Long.parseLong(trimmed.substring(0, trimmed.length() - 1)));
                } else if (trimmed.endsWith("ms") || trimmed.endsWith("s")) {
                    ns = SystemUtil.parseDuration("duration", trimmed);
                } else {
                    throw new TypeConversionException("a duration such as 300ms, 10s or 2m");
                }
            } catch (final IllegalArgumentException ex) {
                throw new TypeConversionException("a duration such as 300ms, 10s or 2m");
            }
            final long ms = TimeUnit.NANOSECONDS.toMillis(ns);
            if (ms <= 0 || ms > Integer.MAX_VALUE) {
                throw new TypeConversionException("a positive duration of at most " + Integer.MAX_VALUE + " ms");
            }
            return ms;
        }
    }

    /**
     * A rate in bytes per second: a {@link Size} followed by {@code /s} ({@code 20m/s}; the {@code /s} may be left
     * out), or {@code 0} or {@code unlimited} for no limit (0).
     */
    static final class Rate implements ITypeConverter<Long> {
        @Override
        public Long convert(final String text) {
            final String trimmed = text.trim().toLowerCase(Locale.ROOT);
            if ("unlimited".equals(trimmed)) {
                return 0L;
            }
            final String size = trimmed.endsWith("/s") ? trimmed.substring(0, trimmed.length() - 2) : trimmed;
            try {
                return new Size().convert(size);
            } catch (final TypeConversionException ex) {
                throw new TypeConversionException("a rate such as 20m/s or 1g/s, or unlimited");
            }
        }
    }

    /** {@code HOST:PORT}, {@code [::1]:PORT}, or {@code unix:PATH} for a Unix-domain socket. */
    static final class HostPort implements ITypeConverter<SocketAddress> {
        /** The prefix of a Unix-domain socket's path. */
        static final String UNIX = "unix:";

        @Override
        public SocketAddress convert(final String text) {
            if (text.startsWith(UNIX)) {
                final String path = text.substring(UNIX.length());
                if (path.isEmpty()) {
                    throw new TypeConversionException("unix:PATH with a path");
                }
                try {
                    return UnixDomainSocketAddress.of(path);
                } catch (final IllegalArgumentException ex) {
                    throw new TypeConversionException("unix:PATH with a usable path (" + ex.getMessage() + ")");
                }
            }
            final int colon = text.lastIndexOf(':');
            if (colon <= 0 || colon == text.length() - 1) {
                throw new TypeConversionException("HOST:PORT");
            }
            String host = text.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            final int port;
            try {
                port = Integer.parseInt(text.substring(colon + 1));
            } catch (final IllegalArgumentException ex) {
                throw new TypeConversionException("HOST:PORT with a numeric port");
            }
            if (port < 0 || port > 65535) {
                throw new TypeConversionException("a port from 0 to 65535");
            }
            final InetSocketAddress address = new InetSocketAddress(host, port);
            if (address.isUnresolved()) {
                throw new TypeConversionException("a host that resolves");
            }
            return address;
        }
    }
}
