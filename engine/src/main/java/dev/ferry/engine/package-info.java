/**
 * Ferry's embedding API: {@link dev.ferry.engine.MigrationSource} and {@link dev.ferry.engine.MigrationDestination},
 * configured by fluent {@code Context}s (validated once by {@code conclude()}) and ending in a
 * {@link dev.ferry.engine.api.MigrationResult}. The types they take and give live in {@code api} and {@code error}.
 * <p>
 * The facades turn a Context into the engine's own configuration record and hold the engine; they depend on
 * {@code source}, {@code destination} and everything below; nothing below depends on them (ArchitectureTest).
 * Sub-packages: {@code error}, {@code protocol}, {@code channel}, {@code stats}, {@code api}, {@code verify},
 * {@code source}, {@code destination}, {@code cli}.
 */
package dev.ferry.engine;
