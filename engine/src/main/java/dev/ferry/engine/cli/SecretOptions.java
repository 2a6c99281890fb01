package dev.ferry.engine.cli;

import dev.ferry.engine.error.ErrorCode;
import dev.ferry.engine.error.FerryException;
import dev.ferry.engine.channel.Secret;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;

/**
 * The shared secret of {@code send} and {@code receive}: {@code --secret-file FILE} or {@code --insecure}, never
 * both (picocli refuses the pair as a usage error), else the file named by {@code $FERRY_SECRET_FILE}.
 */
final class SecretOptions {
    static final String SECRET_ENV = "FERRY_SECRET_FILE";

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Choice choice = new Choice();

    /** The two ways to say it, exclusive. */
    static final class Choice {
        @Option(names = "--secret-file", paramLabel = "FILE",
            description = "Shared secret: the file's bytes exactly (at least 16). Default: $" + SECRET_ENV + ".")
        Path secretFile;

        @Option(names = "--insecure", description = "Run without a shared secret (both sides must say so).")
        boolean insecure;
    }

    /** The secret from --secret-file or the environment, or the insecure one; a usage error if neither. */
    Secret secret(final String command, final PrintWriter err) {
        final Choice given = null == choice ? new Choice() : choice;
        final boolean insecure = given.insecure;
        Path file = given.secretFile;
        if (null == file && null != System.getenv(SECRET_ENV) && !System.getenv(SECRET_ENV).isEmpty()) {
            file = Path.of(System.getenv(SECRET_ENV));
        }
        if (null != file) {
            return Secret.fromFile(file);
        }
        if (!insecure) {
            throw new FerryException(ErrorCode.CONFIGURATION, command + " needs --secret-file FILE (or $" + SECRET_ENV +
                "); --insecure runs without one");
        }
        err.println("ferry: warning: --insecure: connections are not authenticated; anyone who can reach the port " +
            "can take part");
        return Secret.insecure();
    }
}
