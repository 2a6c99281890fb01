package dev.ferry.engine.stats;

import com.sun.security.auth.module.UnixSystem;
import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;
import dev.ferry.engine.text.ErrorText;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.Map;
import java.util.Set;

/**
 * The directory that holds the counters files: made by Ferry, private to its user, or refused.
 * <p>
 * The default directory ({@code /dev/shm/ferry-USER}) lies in a directory every local user may write, so another user
 * can make it first: a directory of theirs (or one writable by anyone) would let them read the counters, replace a
 * counters file with a link that the migration then writes through, or fill it with files that break
 * {@code ferry stat}. So the directory is made with mode 0700, and an existing one is used only when it is a real
 * directory (not a link), owned by this process's user and writable by nobody else. Anything else is refused with a
 * {@link FerryException} ({@link ErrorCode#CONFIGURATION}) that names the path, its owner and mode and what to do:
 * Ferry never repairs or removes what it did not make.
 */
public final class CountersDirectory {
    /** What the embedding API tells an embedder whose directory is refused. */
    static final String API_HINT = "another with the countersDirectory option";
    private static final String UNIX_VIEW = "unix";
    private static final Set<PosixFilePermission> PRIVATE_DIRECTORY = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> PRIVATE_FILE = PosixFilePermissions.fromString("rw-------");
    private static final int PERMISSION_BITS = 07777;
    private static final int GROUP_OR_OTHERS_WRITE = 0022;

    private CountersDirectory() {
    }

    /**
     * Makes {@code directory} (mode 0700, its missing parents as the umask says) or checks the one that exists.
     *
     * @param directory where counters files go.
     * @param hint      how the caller's user chooses another directory, ending the sentence "... or choose ".
     * @return {@code directory}, safe to make counters files in.
     * @throws FerryException (CONFIGURATION) naming the path and why it is refused or cannot be made.
     */
    public static Path prepare(final Path directory, final String hint) {
        return prepare(directory, "counters directory", hint);
    }

    /** As {@link #prepare(Path, String)}, for a private directory of another kind, {@code what} ("the ... one"). */
    public static Path prepare(final Path directory, final String what, final String hint) {
        if (!directory.getFileSystem().supportedFileAttributeViews().contains(UNIX_VIEW)) {
            // No owners or modes to check (not a POSIX file system): nothing more can be done than to make it.
            try {
                Files.createDirectories(directory);
                return directory;
            } catch (final IOException ex) {
                throw cannotMake(what, directory, ex, hint);
            }
        }
        final Path parent = directory.toAbsolutePath().getParent();
        try {
            if (null != parent) {
                Files.createDirectories(parent);
            }
        } catch (final IOException ex) {
            throw cannotMake(what, directory, ex, hint);
        }
        try {
            Files.createDirectory(directory, PosixFilePermissions.asFileAttribute(PRIVATE_DIRECTORY));
        } catch (final FileAlreadyExistsException ex) {
            // made before, by Ferry or by someone else: the checks below say which.
        } catch (final IOException ex) {
            throw cannotMake(what, directory, ex, hint);
        }
        final String refusal = refusal(directory);
        if (null != refusal) {
            throw new FerryException(ErrorCode.CONFIGURATION, what + " " + directory + " refused: " + refusal +
                ". Remove it (Ferry makes it afresh, mode 0700) or choose " + hint);
        }
        return directory;
    }

    /**
     * Why {@code directory} must not hold files this process makes for itself (counters, received guests), or null
     * if it may: a link, not a directory, another user's, or writable by its group or others. Never follows a link.
     */
    public static String refusal(final Path directory) {
        final Map<String, Object> attributes;
        try {
            attributes = Files.readAttributes(directory, UNIX_VIEW + ":mode,uid,owner,isDirectory,isSymbolicLink",
                LinkOption.NOFOLLOW_LINKS);
        } catch (final IOException ex) {
            return "cannot read its attributes: " + reason(ex);
        }
        final int mode = (Integer)attributes.get("mode");
        final int uid = (Integer)attributes.get("uid");
        final String owner = ((UserPrincipal)attributes.get("owner")).getName();
        final String seen = " (owner " + (owner.equals(Integer.toString(uid)) ? "uid " + uid : owner + ", uid " + uid) +
            ", mode " + String.format("%04o", mode & PERMISSION_BITS) + ")";
        if ((Boolean)attributes.get("isSymbolicLink")) {
            return "it is a symbolic link" + seen + ", and Ferry never follows one";
        }
        if (!(Boolean)attributes.get("isDirectory")) {
            return "it is not a directory" + seen;
        }
        final long ownUid = new UnixSystem().getUid();
        if (uid != ownUid) {
            return "it belongs to another user" + seen + ", not to this process's user (uid " + ownUid + ")";
        }
        if ((mode & GROUP_OR_OTHERS_WRITE) != 0) {
            return "it is writable by its group or by others" + seen;
        }
        return null;
    }

    /** The attributes a counters file is created with: mode 0600, or none where the file system has no modes. */
    static FileAttribute<?>[] privateFile(final Path directory) {
        return directory.getFileSystem().supportedFileAttributeViews().contains(UNIX_VIEW) ?
            new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PRIVATE_FILE)} : new FileAttribute<?>[0];
    }

    private static FerryException cannotMake(final String what, final Path directory, final IOException ex,
        final String hint) {
        return new FerryException(ErrorCode.CONFIGURATION, "cannot make the " + what + " " + directory + ": " +
            reason(ex) + ". Choose " + hint, ex);
    }

    /** What went wrong with a file, in the operating system's words and without a Java class name. */
    public static String reason(final IOException ex) {
        return ErrorText.of(ex);
    }
}
