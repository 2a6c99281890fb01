package dev.ferry.engine.text;

import dev.ferry.engine.FerryException;

import java.io.EOFException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.NotLinkException;

/**
 * What went wrong, in words, for a message an operator reads: never a Java class name. {@code ex.toString()} gives
 * "java.nio.file.NoSuchFileException: /etc/ferry/secret", whose only news is in the class name, and an exception's
 * bare message can be just a path; this says "no such file" instead.
 */
public final class ErrorText {
    private ErrorText() {
    }

    /** The cause of {@code ex} in words, without its class name (the path, if any, is the caller's to name). */
    public static String of(final Throwable ex) {
        if (ex instanceof FerryException) {
            return ex.getMessage();
        }
        if (ex instanceof FileSystemException fs) {
            return fileSystem(fs);
        }
        final String message = ex.getMessage();
        if (ex instanceof EOFException) {
            return null == message || message.isBlank() ? "the peer closed the connection" : message;
        }
        if (ex instanceof java.io.IOException) {
            return null == message || message.isBlank() ? "an input/output error" : message;
        }
        if (ex instanceof OutOfMemoryError) {
            return "out of memory" + (null == message ? "" : " (" + message + ")");
        }
        return "an internal error" + (null == message || message.isBlank() ? "" : ": " + message);
    }

    /**
     * As {@link #of}, naming the file of a file-system error first ("/dev/shm/ferry-root: it already exists"), for a
     * message that does not name it already.
     */
    public static String withFile(final Throwable ex) {
        if (ex instanceof FileSystemException fs && null != fs.getFile()) {
            return fs.getFile() + (null == fs.getOtherFile() ? "" : " -> " + fs.getOtherFile()) + ": " + of(ex);
        }
        return of(ex);
    }

    private static String fileSystem(final FileSystemException ex) {
        if (null != ex.getReason() && !ex.getReason().isBlank()) {
            return ex.getReason();
        }
        if (ex instanceof NoSuchFileException) {
            return "no such file or directory";
        }
        if (ex instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (ex instanceof FileAlreadyExistsException) {
            return "it already exists";
        }
        if (ex instanceof NotDirectoryException) {
            return "not a directory";
        }
        if (ex instanceof DirectoryNotEmptyException) {
            return "the directory is not empty";
        }
        if (ex instanceof NotLinkException) {
            return "not a symbolic link";
        }
        if (ex instanceof FileSystemLoopException) {
            return "a loop of links";
        }
        return "a file system error";
    }
}
