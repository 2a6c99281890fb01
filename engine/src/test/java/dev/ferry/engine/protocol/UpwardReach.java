package dev.ferry.engine.protocol;

import dev.ferry.engine.source.SourceEngine;

/** A fixture for ArchitectureTest: a protocol class that uses the source engine, which the layer rule must refuse. */
public final class UpwardReach {
    /** The dependency the rule must catch. */
    public SourceEngine engine;
}
