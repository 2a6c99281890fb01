package dev.ferry.engine.cli;

import dev.ferry.engine.Compression;
import dev.ferry.engine.FerryException;
import dev.ferry.engine.text.Units;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.net.SocketAddress;
import java.util.function.Function;

/**
 * picocli converters for the CLI's value formats, whose grammar is {@link Units}' (the daemon's requests read the
 * same). Each throws a {@link TypeConversionException} saying what was expected; {@link FerryCli} adds the option
 * and the value.
 */
final class Converters {
    private Converters() {
    }

    private static <T> T parse(final Function<String, T> parser, final String text) {
        try {
            return parser.apply(text);
        } catch (final IllegalArgumentException ex) {
            throw new TypeConversionException(ex.getMessage());
        }
    }

    /** A size: {@code 4096}, {@code 64k}, {@code 64m}, {@code 2g}, {@code 1t}; powers of 1024. */
    static final class Size implements ITypeConverter<Long> {
        @Override
        public Long convert(final String text) {
            return parse(Units::parseSize, text);
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

    /** A duration in milliseconds: {@code 300ms}, {@code 10s}, {@code 2m}; a bare number is refused. */
    static final class DurationMs implements ITypeConverter<Long> {
        @Override
        public Long convert(final String text) {
            return parse(Units::parseDurationMs, text);
        }
    }

    /** A rate in bytes per second: {@code 20m/s}, or {@code 0} or {@code unlimited} for no limit (0). */
    static final class Rate implements ITypeConverter<Long> {
        @Override
        public Long convert(final String text) {
            return parse(Units::parseRate, text);
        }
    }

    /** {@code HOST:PORT}, {@code [::1]:PORT}, or {@code unix:PATH} for a Unix-domain socket. */
    static final class HostPort implements ITypeConverter<SocketAddress> {
        /** The prefix of a Unix-domain socket's path. */
        static final String UNIX = Units.UNIX;

        @Override
        public SocketAddress convert(final String text) {
            return parse(Units::parseAddress, text);
        }
    }
}
