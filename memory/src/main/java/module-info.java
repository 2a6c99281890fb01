/**
 * Ferry's off-heap guest memory. Embedders use {@code dev.ferry.memory}; the mechanics in
 * {@code dev.ferry.memory.internal} are for the engine alone.
 */
module dev.ferry.memory {
    requires transitive org.agrona;
    requires jdk.unsupported;
    requires com.sun.jna;
    requires java.management;

    exports dev.ferry.memory;
    exports dev.ferry.memory.internal to dev.ferry.engine;
}
