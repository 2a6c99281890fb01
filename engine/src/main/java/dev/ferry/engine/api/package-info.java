/**
 * The types the embedding API hands in and out, which the engines use too: {@link dev.ferry.engine.api.GuestControl}
 * (how the source pauses, resumes and throttles the guest), {@link dev.ferry.engine.api.MemoryFactory} (how the
 * destination creates memory), {@link dev.ferry.engine.api.MigrationResult}, {@link dev.ferry.engine.api.MigrationStatus},
 * {@link dev.ferry.engine.api.VerifyMode}, {@link dev.ferry.engine.api.PageApplyListener}.
 * <p>
 * Depends on memory, stats and error.
 */
package dev.ferry.engine.api;
