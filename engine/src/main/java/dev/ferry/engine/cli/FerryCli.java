package dev.ferry.engine.cli;

import dev.ferry.engine.ColdStart;
import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;
import dev.ferry.engine.text.ErrorText;
import dev.ferry.memory.MemoryException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** {@code java -jar ferry.jar send|receive|demo|stat|daemon ...}. */
@Command(name = "ferry", mixinStandardHelpOptions = true, versionProvider = FerryCli.ManifestVersion.class,
    description = "Live-migrate off-heap guest memory over several TCP channels.",
    subcommands = {SendCommand.class, ReceiveCommand.class, DemoCommand.class, StatCommand.class,
        DaemonCommand.class})
public final class FerryCli implements Runnable {
    /** Exit code: completed (and verified, unless --verify none). */
    public static final int EXIT_COMPLETED = 0;
    /** Exit code: the migration failed, was cancelled, or its outcome is unknown. */
    public static final int EXIT_FAILED = 1;
    /** Exit code: bad usage or configuration. */
    public static final int EXIT_USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** The version the build wrote into the jar's manifest (the POM's), or "development" outside a jar. */
    static final class ManifestVersion implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            final String version = FerryCli.class.getPackage().getImplementationVersion();
            return new String[] {"ferry " + (null == version ? "development" : version)};
        }
    }

    /** A usage error naming the option, the value and what was expected (exit status 2). */
    static FerryException bad(final String option, final String text, final String expected) {
        return new FerryException(ErrorCode.CONFIGURATION, "invalid value '" + text + "' for " + option + ": expected " +
            expected);
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required: send, receive, " +
            "demo, stat or daemon");
    }

    /** The commands that migrate, and so profit from {@link ColdStart} as early as possible. */
    private static final Set<String> MIGRATING_COMMANDS = Set.of("send", "receive", "demo", "daemon");

    public static void main(final String[] args) {
        if (args.length > 0 && MIGRATING_COMMANDS.contains(args[0])) {
            ColdStart.prepareInBackground(); // overlaps picocli's parsing, which takes a cold JVM tens of ms
        }
        System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Runs the CLI and returns the exit code (for tests and embedding). */
    public static int run(final PrintWriter out, final PrintWriter err, final String... args) {
        final CommandLine commandLine = new CommandLine(new FerryCli());
        commandLine.setDefaultValueProvider(new ContextDefaults()); // after the subcommands: it reaches them all
        commandLine.setOut(out).setErr(err);
        commandLine.setParameterExceptionHandler((ex, arguments) -> {
            err.println("ferry: " + usageMessage(ex));
            err.println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help'.");
            return EXIT_USAGE;
        });
        commandLine.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
            final boolean verbose = cmd.getParseResult().hasMatchedOption("--verbose");
            final Throwable cause = unwrap(ex);
            final boolean usage = cause instanceof FerryException &&
                ((FerryException)cause).code() == ErrorCode.CONFIGURATION;
            err.println("ferry: error: " + message(cause));
            if (verbose) {
                cause.printStackTrace(err);
            }
            return usage ? EXIT_USAGE : EXIT_FAILED;
        });
        final int exitCode = commandLine.execute(args);
        out.flush();
        err.flush();
        return exitCode;
    }

    /** A bad value names the option, the value and what was expected, like every other usage error. */
    private static String usageMessage(final CommandLine.ParameterException ex) {
        if (ex.getCause() instanceof CommandLine.TypeConversionException && null != ex.getArgSpec() &&
            ex.getArgSpec().isOption()) {
            final String option = ((CommandLine.Model.OptionSpec)ex.getArgSpec()).longestName();
            return bad(option, ex.getValue(), ex.getCause().getMessage()).getMessage();
        }
        return ex.getMessage();
    }

    private static Throwable unwrap(final Throwable ex) {
        Throwable cause = ex;
        while ((cause instanceof CompletionException ||
            cause instanceof ExecutionException) && null != cause.getCause()) {
            cause = cause.getCause();
        }
        return cause;
    }

    /** The line an operator reads: never a Java class name (--verbose prints the trace for a bug report). */
    private static String message(final Throwable cause) {
        if (cause instanceof FerryException || cause instanceof MemoryException) {
            return cause.getMessage();
        }
        if (cause instanceof UncheckedIOException && null != cause.getCause()) {
            return ErrorText.withFile(cause.getCause());
        }
        return ErrorText.withFile(cause);
    }
}
