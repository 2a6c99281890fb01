package dev.ferry.engine;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import dev.ferry.engine.channel.ChannelDecorator;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.List;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The packages depend one way: memory <- error <- protocol <- channel <- stats <- api <- verify <- source/destination
 * <- facades <- cli. A cycle, or a lower layer reaching up, fails the build.
 */
final class ArchitectureTest {
    private static final JavaClasses CLASSES = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("dev.ferry");

    private static final ArchRule NO_CYCLES = slices().matching("dev.ferry.(**)").should().beFreeOfCycles();

    @Test
    void noPackageCycles() {
        NO_CYCLES.check(CLASSES);
    }

    /** The rule has teeth: two test packages that use each other on purpose are caught. */
    @Test
    void theCycleRuleCatchesADeliberateCycle() {
        final JavaClasses fixture = new ClassFileImporter().importPackages("dev.ferry.archfixture.cycle");
        assertThrows(AssertionError.class, () -> NO_CYCLES.check(fixture));
    }

    @Test
    void enginesKnowNothingOfTheFacadesOrTheCli() {
        noClasses().that().resideInAnyPackage("dev.ferry.engine.source..", "dev.ferry.engine.destination..",
            "dev.ferry.engine.channel..", "dev.ferry.engine.protocol..", "dev.ferry.engine.stats..",
            "dev.ferry.engine.api..", "dev.ferry.engine.error..", "dev.ferry.engine.verify..", "dev.ferry.engine.codec..")
            .should().dependOnClassesThat().resideInAnyPackage("dev.ferry.engine", "dev.ferry.engine.cli..")
            .check(CLASSES);
    }

    @Test
    void memoryKnowsNothingOfTheEngine() {
        noClasses().that().resideInAPackage("dev.ferry.memory..")
            .should().dependOnClassesThat().resideInAPackage("dev.ferry.engine..").check(CLASSES);
    }

    @Test
    void sourceAndDestinationDoNotReachIntoEachOther() {
        noClasses().that().resideInAPackage("dev.ferry.engine.source..")
            .should().dependOnClassesThat().resideInAPackage("dev.ferry.engine.destination..").check(CLASSES);
        noClasses().that().resideInAPackage("dev.ferry.engine.destination..")
            .should().dependOnClassesThat().resideInAPackage("dev.ferry.engine.source..").check(CLASSES);
    }

    @Test
    void theTestHooksAreNotPublicApi() {
        for (final Class<?> type : List.of(MigrationSource.class, MigrationSource.Context.class,
            MigrationDestination.class, MigrationDestination.Context.class)) {
            for (final Method method : type.getMethods()) {
                final boolean hook = method.getName().equals("holdAtSync") ||
                    method.getName().equals("channelDecorator") || method.getReturnType() == ChannelDecorator.class ||
                    Arrays.asList(method.getParameterTypes()).contains(ChannelDecorator.class);
                assertFalse(hook, "public API mentions a test hook: " + method);
            }
        }
    }
}
