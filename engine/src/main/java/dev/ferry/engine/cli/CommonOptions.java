package dev.ferry.engine.cli;

import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;
import dev.ferry.engine.MigrationResult;
import dev.ferry.engine.VerifyMode;
import dev.ferry.engine.channel.Secret;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Options every command shares, and the exit-code rule. */
final class CommonOptions {
    static final String SECRET_ENV = "FERRY_SECRET_FILE";

    @Option(names = "--secret-file", paramLabel = "FILE",
        description = "Shared secret: the file's bytes exactly (at least 16). Default: $" + SECRET_ENV + ".")
    Path secretFile;

    @Option(names = "--insecure", description = "Run without a shared secret (both sides must say so).")
    boolean insecure;

    @Option(names = "--stats-json", paramLabel = "OUT", description = "Write the final statistics as JSON to OUT.")
    Path statsJson;

    @Option(names = "--verify", paramLabel = "full|none", defaultValue = "full",
        description = "Compare digests of both sides' memory after APPLIED (default: ${DEFAULT-VALUE}).")
    String verify;

    @Option(names = "--verbose", description = "Print stack traces with errors.")
    boolean verbose;

    VerifyMode verifyMode() {
        return VerifyMode.parse(verify);
    }

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

    void writeStats(final MigrationResult result) {
        if (null == statsJson) {
            return;
        }
        try {
            Files.writeString(statsJson, result.stats().toJson(), StandardCharsets.UTF_8);
        } catch (final IOException ex) {
            throw new FerryException(ErrorCode.CONFIGURATION, "cannot write --stats-json " + statsJson + ": " + ex);
        }
    }

    /** 0 completed (and verified unless --verify none), else 1. */
    int exitCode(final MigrationResult result) {
        final boolean ok = result.isCompleted() && (result.verified() || verifyMode() == VerifyMode.NONE);
        return ok ? 0 : 1;
    }
}
