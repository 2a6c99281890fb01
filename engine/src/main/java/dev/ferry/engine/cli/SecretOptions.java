package dev.ferry.engine.cli;

import dev.ferry.engine.error.ErrorCode;
import dev.ferry.engine.error.FerryException;
import dev.ferry.engine.channel.Secret;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;

/** The shared secret of {@code send} and {@code receive}. */
final class SecretOptions {
    static final String SECRET_ENV = "FERRY_SECRET_FILE";

    @Option(names = "--secret-file", paramLabel = "FILE",
        description = "Shared secret: the file's bytes exactly (at least 16). Default: $" + SECRET_ENV + ".")
    Path secretFile;

    @Option(names = "--insecure", description = "Run without a shared secret (both sides must say so).")
    boolean insecure;

    /** The secret from --secret-file or the environment, or the insecure one; a usage error if neither. */
    Secret secret(final String command, final PrintWriter err) {
        Path file = secretFile;
        if (null == file && null != System.getenv(SECRET_ENV) && !System.getenv(SECRET_ENV).isEmpty()) {
            file = Path.of(System.getenv(SECRET_ENV));
        }
        if (null != file && insecure) {
            throw new FerryException(ErrorCode.CONFIGURATION, "give either a secret file or --insecure, not both");
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
