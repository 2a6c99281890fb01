/**
 * Ferry's embedding API, the one package the engine module exports. Entry points:
 * {@link dev.ferry.engine.MigrationSource} and {@link dev.ferry.engine.MigrationDestination}, configured by fluent
 * {@code Context}s (validated once by {@code conclude()}) and ending in a {@link dev.ferry.engine.MigrationResult};
 * {@link dev.ferry.engine.TlsFiles} (TLS from key store files) and {@link dev.ferry.engine.ColdStart}. The types
 * they take and give: {@link dev.ferry.engine.GuestControl}, {@link dev.ferry.engine.MemoryFactory},
 * {@link dev.ferry.engine.Secret}, {@link dev.ferry.engine.Compression}, {@link dev.ferry.engine.VerifyMode},
 * {@link dev.ferry.engine.MigrationStats} and its parts, {@link dev.ferry.engine.MigrationStatus},
 * {@link dev.ferry.engine.FerryException} with its {@link dev.ferry.engine.ErrorCode}.
 * <p>
 * The package holds two layers (ArchitectureTest): the API's types sit at the bottom of the engine, and every
 * internal package may use them; the entry points sit at the top, above {@code source} and {@code destination}.
 * The internal packages ({@code text}, {@code protocol}, {@code channel}, {@code stats}, {@code codec},
 * {@code verify}, {@code source}, {@code destination}, {@code cli}) are not exported by {@code module-info}.
 */
package dev.ferry.engine;
