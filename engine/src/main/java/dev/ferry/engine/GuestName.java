package dev.ferry.engine;

/**
 * The name a source gives its guest, which the destination uses to decide whether it wants the guest and where its
 * memory goes (by default a file of that name in a directory). A name is data that becomes a file name on another
 * host, so it is checked on both sides: 1 to {@link #MAX_LENGTH} characters, each an ASCII letter, a digit, '.',
 * '-' or '_', not starting with '.' (so never "." or "..", never a hidden file) nor ending in ".partial" (never the
 * name of another guest's file being received); never a path separator.
 */
public final class GuestName {
    /** The longest name, in characters (each one byte: names are ASCII). */
    public static final int MAX_LENGTH = 64;

    private static final String PARTIAL = ".partial";
    private static final String RULE = "a guest name is 1 to " + MAX_LENGTH + " ASCII letters, digits, '.', '-' " +
        "or '_', not starting with '.' nor ending in '" + PARTIAL + "'";

    private GuestName() {
    }

    /** {@code name} if it is a valid guest name; else a CONFIGURATION error that says what is wrong with it. */
    public static String require(final String name) {
        final String problem = problem(name);
        if (null != problem) {
            throw new FerryException(ErrorCode.CONFIGURATION, problem);
        }
        return name;
    }

    /** What is wrong with {@code name} as a guest name, in words, or null when nothing is. */
    public static String problem(final String name) {
        if (null == name || name.isEmpty()) {
            return "the guest name is empty: " + RULE;
        }
        if (name.length() > MAX_LENGTH) {
            return "the guest name of " + name.length() + " characters is too long: " + RULE;
        }
        if (name.charAt(0) == '.') {
            return "the guest name '" + printable(name) + "' starts with '.': " + RULE;
        }
        if (name.endsWith(PARTIAL)) {
            return "the guest name '" + printable(name) + "' ends in '" + PARTIAL + "', as a destination's file being " +
                "received does: " + RULE;
        }
        for (int i = 0; i < name.length(); i++) {
            final char c = name.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' ||
                c == '_')) {
                return "the guest name '" + printable(name) + "' has " + describe(c) + " at " + i + ": " + RULE;
            }
        }
        return null;
    }

    private static String describe(final char c) {
        return c == '/' || c == '\\' ? "a path separator '" + c + "'" :
            c >= 0x20 && c < 0x7F ? "'" + c + "'" : String.format("the character U+%04X", (int)c);
    }

    /** The name with anything outside printable ASCII shown as '?', so that an error never prints control bytes. */
    private static String printable(final String name) {
        final StringBuilder text = new StringBuilder(Math.min(name.length(), MAX_LENGTH));
        for (int i = 0; i < name.length() && i < MAX_LENGTH; i++) {
            final char c = name.charAt(i);
            text.append(c >= 0x20 && c < 0x7F ? c : '?');
        }
        return text.toString();
    }
}
