package dev.ferry.memory;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Method;

/**
 * The JVM's direct-memory limit and use, so an anonymous block that cannot fit fails at once with a clear message
 * instead of after allocating (and zeroing) gigabytes it must then give back.
 */
final class DirectMemory {
    private static final long MAX_BYTES = readMax();

    private DirectMemory() {
    }

    /** {@code -XX:MaxDirectMemorySize}, or its default (the maximum heap) when it cannot be read. */
    static long maxBytes() {
        return MAX_BYTES;
    }

    /** Direct memory currently reserved by this JVM. */
    static long usedBytes() {
        for (final BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if ("direct".equals(pool.getName())) {
                return pool.getMemoryUsed();
            }
        }
        return 0;
    }

    private static long readMax() {
        try {
            // Readable because Agrona already requires --add-opens java.base/jdk.internal.misc=ALL-UNNAMED.
            final Method method = Class.forName("jdk.internal.misc.VM").getMethod("maxDirectMemory");
            return (Long)method.invoke(null);
        } catch (final ReflectiveOperationException | RuntimeException ex) {
            return Runtime.getRuntime().maxMemory();
        }
    }
}
