package dev.ferry.engine;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * What the exported packages show an embedder names only types an embedder can reach: Ferry's exported packages,
 * the JDK, and Agrona (which both modules require transitively). The one exception is deliberate and documented:
 * the Contexts implement the engines' read-only views of them.
 */
final class ApiSurfaceTest {
    private static final Set<String> EXPORTED = Set.of("dev.ferry.engine", "dev.ferry.memory");
    private static final Set<String> KNOWN_INTERNAL_SUPERTYPES =
        Set.of("dev.ferry.engine.source.SourceConfig", "dev.ferry.engine.destination.DestinationConfig");

    @Test
    void exportedSignaturesNameOnlyReachableTypes() throws Exception {
        final Set<String> unreachable = new TreeSet<>();
        for (final JavaClass imported : new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages(EXPORTED)) {
            if (!EXPORTED.contains(imported.getPackageName())) {
                continue;
            }
            final Class<?> type = Class.forName(imported.getName());
            if (!Modifier.isPublic(type.getModifiers())) {
                continue;
            }
            final List<Class<?>> mentioned = new ArrayList<>();
            if (null != type.getSuperclass()) {
                mentioned.add(type.getSuperclass());
            }
            for (final Class<?> implemented : type.getInterfaces()) {
                if (!KNOWN_INTERNAL_SUPERTYPES.contains(implemented.getName())) {
                    mentioned.add(implemented);
                }
            }
            for (final Method method : type.getDeclaredMethods()) {
                if (visible(method.getModifiers()) && !method.isSynthetic()) {
                    mentioned.add(method.getReturnType());
                    mentioned.addAll(List.of(method.getParameterTypes()));
                }
            }
            for (final Constructor<?> constructor : type.getDeclaredConstructors()) {
                addParameters(constructor, mentioned);
            }
            for (final Field field : type.getDeclaredFields()) {
                if (visible(field.getModifiers())) {
                    mentioned.add(field.getType());
                }
            }
            for (final Class<?> used : mentioned) {
                final Class<?> element = used.isArray() ? used.getComponentType() : used;
                if (!reachable(element)) {
                    unreachable.add(type.getName() + " -> " + element.getName());
                }
            }
        }
        assertEquals(Set.of(), unreachable);
    }

    private static void addParameters(final Executable executable, final List<Class<?>> mentioned) {
        if (visible(executable.getModifiers()) && !executable.isSynthetic()) {
            mentioned.addAll(List.of(executable.getParameterTypes()));
        }
    }

    private static boolean visible(final int modifiers) {
        return Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers);
    }

    private static boolean reachable(final Class<?> type) {
        if (type.isPrimitive()) {
            return true;
        }
        final String name = type.getPackageName();
        if (name.startsWith("dev.ferry.")) {
            return EXPORTED.contains(name);
        }
        return name.startsWith("java.") || name.startsWith("javax.") || name.startsWith("org.agrona");
    }
}
