package dev.ferry.engine.cli;

import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.function.Consumer;

/**
 * A file the user named for a command's output ({@code --stats-json}, {@code --hlog}), written as data: checked at
 * start-up (a link or a non-regular file is refused, and a directory where nothing can be created is found out
 * before any migration, not after it), written whole to a private file beside it and renamed onto it, so a reader
 * never sees half a file and nothing is written through a link.
 */
final class OutputFile {
    private OutputFile() {
    }

    /**
     * Refuses {@code path} for {@code option} now, unless a file can be created beside it and put in its place.
     *
     * @throws FerryException ({@link ErrorCode#CONFIGURATION}) naming the option, the path and what is wrong.
     */
    static void check(final Path path, final String option) {
        if (null == path) {
            return;
        }
        final BasicFileAttributes attributes = attributes(path);
        if (null != attributes && attributes.isSymbolicLink()) {
            throw bad(option, path, "is a symbolic link: Ferry never writes through a link; name the file itself");
        }
        if (null != attributes && !attributes.isRegularFile()) {
            throw bad(option, path, attributes.isDirectory() ? "is a directory" : "is not a regular file");
        }
        final Path parent = path.toAbsolutePath().getParent();
        if (null == parent || !Files.isDirectory(parent)) {
            throw bad(option, path, "directory " + parent + " does not exist");
        }
        final Path probe = temporary(path);
        try {
            Files.deleteIfExists(probe);
            Files.createFile(probe, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.delete(probe);
        } catch (final IOException ex) {
            throw bad(option, path, "cannot create a file in " + parent + " (" + reason(ex) + ")");
        }
    }

    /**
     * Writes {@code path} through {@code writer}: into a new private file beside it, then renamed onto it.
     *
     * @throws FerryException naming the option and the path if it cannot be written.
     */
    static void write(final Path path, final String option, final Consumer<OutputStream> writer) {
        final Path temporary = temporary(path);
        try {
            Files.deleteIfExists(temporary);
            Files.createFile(temporary,
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try (OutputStream out = Files.newOutputStream(temporary, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS)) {
                writer.accept(out);
            }
            Files.move(temporary, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (final IOException | UncheckedIOException ex) {
            try {
                Files.deleteIfExists(temporary);
            } catch (final IOException ignore) {
                // the write's failure is the one to report.
            }
            throw bad(option, path, "cannot be written (" + reason(ex) + ")");
        }
    }

    private static Path temporary(final Path path) {
        return path.resolveSibling(path.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
    }

    private static BasicFileAttributes attributes(final Path path) {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (final IOException ex) {
            return null;
        }
    }

    private static String reason(final Exception ex) {
        final Throwable cause = ex instanceof UncheckedIOException ? ex.getCause() : ex;
        if (cause instanceof FileAlreadyExistsException) {
            return "something is in the way";
        }
        if (cause instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        if (cause instanceof java.nio.file.FileSystemException fs && null != fs.getReason()) {
            return fs.getReason();
        }
        return String.valueOf(cause.getMessage());
    }

    private static FerryException bad(final String option, final Path path, final String what) {
        return new FerryException(ErrorCode.CONFIGURATION, option + " " + path + " " + what);
    }
}
