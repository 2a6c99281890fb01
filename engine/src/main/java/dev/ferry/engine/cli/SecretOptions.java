package dev.ferry.engine.cli;

import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;
import dev.ferry.engine.Secret;
import dev.ferry.engine.TlsFiles;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import javax.net.ssl.SSLContext;

/**
 * Who may take part, for {@code send} and {@code receive}: the shared secret ({@code --secret-file FILE} or
 * {@code --insecure}, never both (picocli refuses the pair as a usage error), else the file named by
 * {@code $FERRY_SECRET_FILE}) and mutual TLS ({@code --tls-keystore}, {@code --tls-truststore} and
 * {@code --tls-password-file}, all three or none). With TLS the secret is optional: certificates authenticate.
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

    @Option(names = "--tls-keystore", paramLabel = "FILE",
        description = "Mutual TLS 1.3: this side's key and certificate (PKCS12).")
    Path tlsKeystore;

    @Option(names = "--tls-truststore", paramLabel = "FILE",
        description = "Mutual TLS 1.3: the certificates (or CAs) of the peers this side accepts (PKCS12).")
    Path tlsTruststore;

    @Option(names = "--tls-password-file", paramLabel = "FILE",
        description = "The password of the key store, its key and the trust store: the file's first line.")
    Path tlsPasswordFile;

    /** The TLS context from the three files, or null without them; a usage error naming what is missing. */
    SSLContext tls() {
        if (null == tlsKeystore && null == tlsTruststore && null == tlsPasswordFile) {
            return null;
        }
        if (null == tlsKeystore || null == tlsTruststore || null == tlsPasswordFile) {
            throw new FerryException(ErrorCode.CONFIGURATION, "TLS needs all of --tls-keystore, --tls-truststore and " +
                "--tls-password-file; missing: " + (null == tlsKeystore ? "--tls-keystore " : "") +
                (null == tlsTruststore ? "--tls-truststore " : "") + (null == tlsPasswordFile ? "--tls-password-file" : ""));
        }
        return TlsFiles.context(tlsKeystore, tlsTruststore, TlsFiles.password(tlsPasswordFile));
    }

    /**
     * The secret from --secret-file or the environment, or the insecure one; a usage error if neither, unless
     * {@code tls} authenticates instead.
     */
    Secret secret(final String command, final PrintWriter err, final boolean tls) {
        final Choice given = null == choice ? new Choice() : choice;
        final boolean insecure = given.insecure;
        Path file = given.secretFile;
        if (null == file && null != System.getenv(SECRET_ENV) && !System.getenv(SECRET_ENV).isEmpty()) {
            file = Path.of(System.getenv(SECRET_ENV));
        }
        if (null != file) {
            return Secret.fromFile(file, warning -> err.println("ferry: warning: " + warning));
        }
        if (tls) {
            return Secret.insecure();
        }
        if (!insecure) {
            throw new FerryException(ErrorCode.CONFIGURATION, command + " needs --secret-file FILE (or $" + SECRET_ENV +
                ") or TLS (--tls-keystore ...); --insecure runs without either");
        }
        err.println("ferry: warning: --insecure: connections are not authenticated; anyone who can reach the port " +
            "can take part");
        return Secret.insecure();
    }
}
