package dev.ferry.engine;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import java.io.File;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import javax.xml.parsers.DocumentBuilderFactory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's embedding example, compiled as an embedder compiles it: a named module that requires
 * {@code dev.ferry.engine}, against the module path (the engine's and memory's classes with their module-info, and
 * the libraries an embedder receives). It compiles with the exported packages only; reaching an internal package
 * of either module fails, which is what module-info promises.
 */
final class EmbeddingExampleTest {
    private static final List<String> LIBRARIES = List.of("agrona", "jctools-core", "HdrHistogram", "zstd-jni", "jna");

    @TempDir
    Path dir;

    @Test
    void theReadmeExampleCompilesAgainstTheExportedApiAlone() throws IOException {
        final String block = readmeBlock();
        final List<String> imports = new ArrayList<>();
        final StringBuilder body = new StringBuilder();
        for (final String line : block.split("\n")) {
            if (line.startsWith("import ")) {
                imports.add(line.replaceAll("//.*", "").trim());
            } else {
                body.append("        ").append(line).append('\n');
            }
        }
        assertTrue(imports.contains("import dev.ferry.engine.*;"), "the example imports the API package: " + imports);
        final String source = "package example;\n\n" + String.join("\n", imports) + "\n" +
            "import java.net.InetSocketAddress;\nimport java.nio.file.Path;\nimport java.util.List;\n\n" +
            "final class Embedding {\n" +
            "    interface Vmm {\n        void loadDeviceState(byte[] state);\n\n        byte[] saveDeviceState();\n    }\n\n" +
            "    static void run(final Vmm vmm, final GuestControl vcpus, final long size) {\n" + body + "    }\n}\n";
        assertEquals("", compile(source), source);
    }

    /** The README's second block, a runtime for many migrations, compiles against the exported API alone too. */
    @Test
    void theReadmeRuntimeExampleCompilesAgainstTheExportedApiAlone() throws IOException {
        final String body = readmeBlock(2).replaceAll("(?m)^", "        ");
        final String source = "package example;\n\nimport dev.ferry.engine.*;\nimport dev.ferry.memory.*;\n" +
            "import java.net.InetSocketAddress;\nimport java.nio.file.Path;\nimport java.util.concurrent.TimeUnit;\n\n" +
            "final class Embedding {\n" +
            "    static void many(final GuestMemory ram, final GuestControl vcpus) throws Exception {\n" + body +
            "    }\n}\n";
        assertEquals("", compile(source), source);
    }

    @Test
    void anEmbedderCannotReachTheInternals() throws IOException {
        for (final String internal : List.of("dev.ferry.engine.source.SourceEngine", "dev.ferry.engine.stats.Counters",
            "dev.ferry.engine.cli.FerryCli", "dev.ferry.memory.internal.Workload")) {
            final String errors = compile("package example;\n\nimport " + internal + ";\n\nfinal class Embedding {\n}\n");
            assertNotEquals("", errors, internal + " is reachable from outside the module");
            assertTrue(errors.contains("is not visible") || errors.contains("does not export"), errors);
        }
    }

    /**
     * An embedder's module runs a migration on the module path, with the JVM options docs/design.md gives for it:
     * Agrona reaches into {@code jdk.internal.misc}, so the module path needs {@code --add-opens} to {@code org.agrona}
     * (the class path's {@code ALL-UNNAMED} does not reach a named module).
     */
    @Test
    void anEmbedderRunsAMigrationOnTheModulePath() throws Exception {
        final String main = "package example;\n\n" +
            "import dev.ferry.engine.*;\nimport dev.ferry.memory.*;\nimport java.util.List;\n\n" +
            "public final class Main {\n" +
            "    public static void main(final String[] args) throws Exception {\n" +
            "        try (GuestMemory ram = GuestMemory.anonymous(List.of(new BlockSpec(0, \"ram\", 1 << 20)), 4096);\n" +
            "             MigrationDestination destination = MigrationDestination.start(new MigrationDestination.Context()\n" +
            "                 .secret(Secret.insecure()));\n" +
            "             MigrationSource source = MigrationSource.start(new MigrationSource.Context()\n" +
            "                 .destination(destination.localAddress()).memory(ram).secret(Secret.insecure()))) {\n" +
            "            final MigrationResult sent = source.result().get();\n" +
            "            final MigrationResult received = destination.result().get();\n" +
            "            received.memory().close();\n" +
            "            System.out.println(sent.status() + \" \" + sent.verified() + \" \" + received.status());\n" +
            "        }\n" +
            "    }\n" +
            "}\n";
        assertEquals("", compile(main));
        final Process run = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-opens", "java.base/jdk.internal.misc=org.agrona", "--module-path",
            dir.resolve("out") + File.pathSeparator + modulePath(), "-m", "example/example.Main")
            .redirectErrorStream(true).start();
        final String output = new String(run.getInputStream().readAllBytes());
        assertTrue(run.waitFor(60, TimeUnit.SECONDS), output);
        assertEquals(0, run.exitValue(), output);
        assertTrue(output.contains("COMPLETED true COMPLETED"), output);
    }

    /**
     * The CLI's and the daemon's libraries (picocli, netty, Jetty, Jackson, the Prometheus client, slf4j) reach
     * ferry.jar (the shade takes optional dependencies) but no embedder's build: every dependency of engine/pom.xml
     * outside the test scope is optional, but the engine's own five.
     */
    @Test
    void theCliAndTheDaemonLibrariesAreNotGivenToEmbedders() throws Exception {
        final NodeList dependencies = DocumentBuilderFactory.newInstance().newDocumentBuilder()
            .parse(Path.of("pom.xml").toFile()).getElementsByTagName("dependency");
        final List<String> embedded = List.of("ferry-memory", "agrona", "jctools-core", "zstd-jni", "HdrHistogram");
        final List<String> optional = new ArrayList<>();
        for (int i = 0; i < dependencies.getLength(); i++) {
            final Element dependency = (Element)dependencies.item(i);
            final String artifact = text(dependency, "artifactId");
            if (embedded.contains(artifact) || "test".equals(text(dependency, "scope")) ||
                artifact.startsWith("junit") || artifact.startsWith("archunit")) {
                continue;
            }
            assertEquals("true", text(dependency, "optional"), artifact + " must be optional in engine/pom.xml");
            optional.add(artifact);
        }
        assertTrue(optional.containsAll(List.of("picocli", "netty-handler", "jetty-server", "jetty-unixdomain-server",
            "jackson-databind", "prometheus-metrics-core")), optional.toString());
    }

    private static String text(final Element parent, final String tag) {
        final NodeList nodes = parent.getElementsByTagName(tag);
        return nodes.getLength() == 0 ? "" : nodes.item(0).getTextContent().trim();
    }

    /** The javac errors of module {@code example} with {@code source} as its one class, or "" when it compiles. */
    private String compile(final String source) throws IOException {
        final Path sources = Files.createDirectories(dir.resolve("src/example"));
        Files.writeString(dir.resolve("src/module-info.java"), "module example {\n    requires dev.ferry.engine;\n}\n");
        final Path file = Files.writeString(sources.resolve(source.contains("class Main") ? "Main.java" :
            "Embedding.java"), source);
        final JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        final StringWriter errors = new StringWriter();
        final List<String> options = List.of("--release", "17", "-Xlint:none", "-d", dir.resolve("out").toString(),
            "--module-path", modulePath());
        final boolean compiled = javac.getTask(errors, null, null, options, null, javac.getStandardFileManager(null, null,
            null).getJavaFileObjectsFromPaths(List.of(dir.resolve("src/module-info.java"), file))).call();
        return compiled ? "" : errors.toString();
    }

    /** The engine's classes, memory's (a directory or a jar: whichever Maven put on the class path) and the libraries. */
    private static String modulePath() {
        final List<String> entries = new ArrayList<>();
        entries.add(Path.of("target/classes").toAbsolutePath().toString());
        for (final String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            final String name = Path.of(entry).getFileName().toString();
            final boolean memory = entry.contains("memory" + File.separator + "target" + File.separator + "classes") ||
                name.startsWith("ferry-memory");
            if (memory || LIBRARIES.stream().anyMatch(library -> name.startsWith(library + "-"))) {
                entries.add(entry);
            }
        }
        return entries.stream().collect(Collectors.joining(File.pathSeparator));
    }

    private static String readmeBlock() throws IOException {
        return readmeBlock(1);
    }

    /** The {@code n}-th Java block of the README's embedding section. */
    private static String readmeBlock(final int n) throws IOException {
        final String readme = Files.readString(Path.of("../README.md"));
        int start = readme.indexOf("## Embedding");
        for (int i = 0; i < n; i++) {
            start = readme.indexOf("```java\n", start) + "```java\n".length();
        }
        return readme.substring(start, readme.indexOf("```", start));
    }
}
