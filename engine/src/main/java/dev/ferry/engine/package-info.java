/**
 * Ferry's embedding API: {@link dev.ferry.engine.MigrationSource} and {@link dev.ferry.engine.MigrationDestination},
 * configured by fluent {@code Context}s and ending in a {@link dev.ferry.engine.api.MigrationResult};
 * {@link dev.ferry.engine.api.GuestControl} (how the source pauses the guest), {@link dev.ferry.engine.api.MemoryFactory}
 * (how the destination creates memory), stable {@link dev.ferry.engine.error.ErrorCode}s.
 * <p>
 * Sub-packages: {@code protocol} (wire formats), {@code channel} (connections, handshake), {@code source},
 * {@code destination}, {@code stats}, {@code cli}. The engine depends on {@code dev.ferry.memory}; nothing in
 * memory depends on it.
 */
package dev.ferry.engine;
