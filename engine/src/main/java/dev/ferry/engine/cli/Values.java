package dev.ferry.engine.cli;

import dev.ferry.engine.error.ErrorCode;
import dev.ferry.engine.error.FerryException;

import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parsing of the CLI's value formats, with errors that name the option and the value. */
final class Values {
    private static final Pattern SIZE = Pattern.compile("(\\d+)([kmgt]?)", Pattern.CASE_INSENSITIVE);
    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m)", Pattern.CASE_INSENSITIVE);

    private Values() {
    }

    /** {@code 4096}, {@code 64k}, {@code 64m}, {@code 2g}, {@code 1t}: powers of 1024. */
    static long size(final String option, final String text) {
        final Matcher matcher = SIZE.matcher(text.trim());
        if (!matcher.matches()) {
            throw bad(option, text, "a size such as 4096, 64k, 64m or 2g");
        }
        final int shift;
        switch (matcher.group(2).toLowerCase(Locale.ROOT)) {
            case "k":
                shift = 10;
                break;
            case "m":
                shift = 20;
                break;
            case "g":
                shift = 30;
                break;
            case "t":
                shift = 40;
                break;
            default:
                shift = 0;
        }
        try {
            final long value = Long.parseLong(matcher.group(1));
            if (value > (Long.MAX_VALUE >> shift)) {
                throw bad(option, text, "a size that fits in 63 bits");
            }
            return value << shift;
        } catch (final NumberFormatException ex) {
            throw bad(option, text, "a size such as 64m");
        }
    }

    /** {@code 300ms}, {@code 10s}, {@code 2m}: milliseconds. */
    static long durationMs(final String option, final String text) {
        final Matcher matcher = DURATION.matcher(text.trim());
        if (!matcher.matches()) {
            throw bad(option, text, "a duration such as 300ms, 10s or 2m");
        }
        final long value;
        try {
            value = Long.parseLong(matcher.group(1));
        } catch (final NumberFormatException ex) {
            throw bad(option, text, "a duration such as 10s");
        }
        if (value <= 0 || value > Integer.MAX_VALUE) {
            throw bad(option, text, "a positive duration");
        }
        switch (matcher.group(2).toLowerCase(Locale.ROOT)) {
            case "ms":
                return value;
            case "s":
                return value * 1_000;
            default:
                return value * 60_000;
        }
    }

    /** {@code HOST:PORT}, {@code [::1]:PORT}. */
    static InetSocketAddress hostPort(final String option, final String text) {
        final int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw bad(option, text, "HOST:PORT");
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        final int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (final NumberFormatException ex) {
            throw bad(option, text, "HOST:PORT with a numeric port");
        }
        if (port < 0 || port > 65535) {
            throw bad(option, text, "a port from 0 to 65535");
        }
        final InetSocketAddress address = new InetSocketAddress(host, port);
        if (address.isUnresolved()) {
            throw bad(option, text, "a host that resolves");
        }
        return address;
    }

    static FerryException bad(final String option, final String text, final String expected) {
        return new FerryException(ErrorCode.CONFIGURATION, "invalid value '" + text + "' for " + option + ": expected " +
            expected);
    }
}
