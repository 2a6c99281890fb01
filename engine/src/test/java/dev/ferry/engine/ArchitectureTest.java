package dev.ferry.engine;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.library.Architectures.LayeredArchitecture;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import dev.ferry.engine.channel.ChannelDecorator;
import dev.ferry.engine.destination.DestinationHooks;
import dev.ferry.engine.destination.PageApplyListener;
import dev.ferry.engine.protocol.UpwardReach;
import dev.ferry.engine.source.SourceEngine;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The layers of docs/design.md, bottom up: memory; the API's types (package {@code dev.ferry.engine} less its entry
 * points, with {@code text}); protocol; channel, stats, codec, verify; conductor (what both conductors share);
 * source, destination; the entry points (the facades, their Contexts, {@link TlsFiles}, {@link ColdStart}); cli.
 * Each layer uses only layers below it, and no set of classes forms a cycle. The API package holds two layers
 * because a module exports packages: the types an embedder hands in and out are the vocabulary every internal
 * package speaks, the facades sit on top.
 */
final class ArchitectureTest {
    private static final JavaClasses CLASSES = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("dev.ferry");

    /** The classes of the API package that start or prepare migrations, and so stand above the engines. */
    private static final Set<String> ENTRY_POINTS =
        Set.of("Migration", "MigrationSource", "MigrationDestination", "IncomingMigrations", "MigrationRuntime",
            "EngineContext", "Contexts", "ColdStart", "TlsFiles");

    private static final DescribedPredicate<JavaClass> ENTRY_POINT =
        DescribedPredicate.describe("an entry point of dev.ferry.engine", type ->
            type.getPackageName().equals("dev.ferry.engine") && ENTRY_POINTS.contains(topLevel(type)));

    private static final DescribedPredicate<JavaClass> API_TYPE =
        DescribedPredicate.describe("a type of the API (dev.ferry.engine but its entry points, and text)", type ->
            type.getPackageName().equals("dev.ferry.engine") && !ENTRY_POINTS.contains(topLevel(type)) ||
            type.getPackageName().equals("dev.ferry.engine.text"));

    static final LayeredArchitecture LAYERS = layeredArchitecture().consideringOnlyDependenciesInLayers()
        .layer("memory").definedBy("dev.ferry.memory..")
        .layer("api types").definedBy(API_TYPE)
        .layer("protocol").definedBy("dev.ferry.engine.protocol..")
        .layer("channel").definedBy("dev.ferry.engine.channel..")
        .layer("stats").definedBy("dev.ferry.engine.stats..")
        .layer("codec").definedBy("dev.ferry.engine.codec..")
        .layer("verify").definedBy("dev.ferry.engine.verify..")
        .layer("conductor").definedBy("dev.ferry.engine.conductor..")
        .layer("source").definedBy("dev.ferry.engine.source..")
        .layer("destination").definedBy("dev.ferry.engine.destination..")
        .layer("entry points").definedBy(ENTRY_POINT)
        .layer("daemon").definedBy("dev.ferry.engine.daemon..")
        .layer("cli").definedBy("dev.ferry.engine.cli..")
        .whereLayer("memory").mayNotAccessAnyLayer()
        .whereLayer("api types").mayOnlyAccessLayers("memory")
        .whereLayer("protocol").mayOnlyAccessLayers("memory", "api types")
        .whereLayer("channel").mayOnlyAccessLayers("memory", "api types", "protocol")
        .whereLayer("stats").mayOnlyAccessLayers("memory", "api types")
        .whereLayer("codec").mayOnlyAccessLayers("memory", "api types", "protocol")
        .whereLayer("verify").mayOnlyAccessLayers("memory", "api types", "protocol")
        .whereLayer("conductor").mayOnlyAccessLayers("memory", "api types", "protocol", "channel", "stats")
        .whereLayer("source")
        .mayOnlyAccessLayers("memory", "api types", "protocol", "channel", "stats", "codec", "verify", "conductor")
        .whereLayer("destination")
        .mayOnlyAccessLayers("memory", "api types", "protocol", "channel", "stats", "codec", "verify", "conductor")
        .whereLayer("entry points").mayOnlyAccessLayers("memory", "api types", "protocol", "channel", "stats", "codec",
            "verify", "conductor", "source", "destination")
        .whereLayer("daemon").mayOnlyAccessLayers("memory", "api types", "stats", "entry points")
        .whereLayer("daemon").mayOnlyBeAccessedByLayers("cli")
        .whereLayer("cli").mayNotBeAccessedByAnyLayer();

    /** Slices are packages, but memory is one slice and the API package two (its types with text, its entry points). */
    private static final ArchRule NO_CYCLES = slices().assignedFrom(new SliceAssignment() {
        @Override
        public SliceIdentifier getIdentifierOf(final JavaClass type) {
            if (type.getPackageName().startsWith("dev.ferry.memory")) {
                return SliceIdentifier.of("memory");
            }
            if (API_TYPE.test(type)) {
                return SliceIdentifier.of("api types");
            }
            return type.getPackageName().startsWith("dev.ferry.") ?
                SliceIdentifier.of(ENTRY_POINT.test(type) ? "entry points" : type.getPackageName()) :
                SliceIdentifier.ignore();
        }

        @Override
        public String getDescription() {
            return "packages, the API package split in two";
        }
    }).should().beFreeOfCycles();

    @Test
    void theLayersOfDesignMd() {
        LAYERS.check(CLASSES);
    }

    /** The layer rule has teeth: a protocol class (a test fixture) that reaches up into source is caught. */
    @Test
    void theLayerRuleCatchesAnUpwardReach() {
        final JavaClasses fixture = new ClassFileImporter().importClasses(UpwardReach.class, SourceEngine.class);
        assertThrows(AssertionError.class, () -> LAYERS.check(fixture));
    }

    @Test
    void noCycles() {
        NO_CYCLES.check(CLASSES);
    }

    /** The rule has teeth: two test packages that use each other on purpose are caught. */
    @Test
    void theCycleRuleCatchesADeliberateCycle() {
        final JavaClasses fixture = new ClassFileImporter().importPackages("dev.ferry.archfixture.cycle");
        assertThrows(AssertionError.class, () -> NO_CYCLES.check(fixture));
    }

    @Test
    void sourceAndDestinationDoNotReachIntoEachOther() {
        noClasses().that().resideInAPackage("dev.ferry.engine.source..")
            .should().dependOnClassesThat().resideInAPackage("dev.ferry.engine.destination..").check(CLASSES);
        noClasses().that().resideInAPackage("dev.ferry.engine.destination..")
            .should().dependOnClassesThat().resideInAPackage("dev.ferry.engine.source..").check(CLASSES);
    }

    private static String topLevel(final JavaClass type) {
        final String name = type.getName().substring(type.getPackageName().length() + 1);
        final int nested = name.indexOf('$');
        return nested < 0 ? name : name.substring(0, nested);
    }

    @Test
    void theTestHooksAreNotPublicApi() {
        final List<Class<?>> hookTypes = List.of(ChannelDecorator.class, PageApplyListener.class, DestinationHooks.class);
        for (final Class<?> type : List.of(Migration.class, MigrationSource.class, MigrationSource.Context.class,
            MigrationDestination.class, MigrationDestination.Context.class)) {
            for (final Method method : type.getMethods()) {
                final boolean hook = List.of("holdAtSync", "channelDecorator", "pageApplyListener", "hooks")
                    .contains(method.getName()) || hookTypes.contains(method.getReturnType()) ||
                    Arrays.stream(method.getParameterTypes()).anyMatch(hookTypes::contains);
                assertFalse(hook, "public API mentions a test hook: " + method);
            }
        }
    }
}
