package dev.ferry.engine;

import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.RamBlock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Verification's reason to exist, end to end: a guest write that bypassed the dirty bitmap is never sent, and only
 * a digest of the source's actual memory, taken after its last write, can notice. Here the guest writes one byte at
 * the moment it is paused, behind the bitmap's back, so the final round does not carry it. With verification off
 * the migration completes and the destination holds the old byte: the write really escaped. With verification on
 * the same migration must fail, VERIFICATION_FAILED, and the source must hear it. This is the test that keeps the
 * source's digest honest about when it starts (from COMPLETE, after the pause; a digest of what was sent, or one
 * started before the pause, would not see the byte).
 * <p>
 * Its teeth, 2026-12-03: with the source's digest moved to the start of the round loop (before the pause), the
 * second test failed: "the source reported success ==> expected: not equal but was: &lt;COMPLETED&gt;".
 */
final class BypassedWriteTest {
    private static final byte WRITTEN = 0x5A;

    /** A guest that, when paused, writes {@link #WRITTEN} into page 3 of its first block without marking it dirty. */
    private static GuestControl writingBehindTheBitmap(final GuestMemory memory) {
        return new GuestControl() {
            @Override
            public void pause() {
                final RamBlock block = memory.blocks().get(0);
                block.windowOfPage(3).putByte(block.offsetInWindow(3) + 17, WRITTEN);
            }

            @Override
            public void resume() {
            }
        };
    }

    private static MigrationResult[] migrate(final GuestMemory source, final VerifyMode verify) throws Exception {
        final MigrationDestination destination = MigrationDestination.start(new MigrationDestination.Context()
            .secret(Guests.SECRET).verify(verify));
        final MigrationSource migration = MigrationSource.start(new MigrationSource.Context()
            .destination(destination.localAddress()).memory(source).secret(Guests.SECRET).verify(verify)
            .guestControl(writingBehindTheBitmap(source)).channels(2));
        return new MigrationResult[] {migration.result().get(), destination.result().get()};
    }

    @Test
    @Timeout(60)
    void withoutVerificationTheWriteIsLostSilently() throws Exception {
        try (GuestMemory source = Guests.filled(Guests.anonymous(Guests.SPECS), 7)) {
            final MigrationResult[] results = migrate(source, VerifyMode.NONE);
            assertEquals(MigrationStatus.COMPLETED, results[0].status(), results[0].error());
            final RamBlock sent = source.blocks().get(0);
            final RamBlock received = results[1].memory().block(sent.id());
            assertEquals(WRITTEN, sent.windowOfPage(3).getByte(sent.offsetInWindow(3) + 17));
            assertNotEquals(WRITTEN, received.windowOfPage(3).getByte(received.offsetInWindow(3) + 17),
                "the write reached the destination: it did not bypass the migration, and the other test proves nothing");
            results[1].memory().close();
        }
    }

    @Test
    @Timeout(60)
    void withVerificationTheMigrationFails() throws Exception {
        try (GuestMemory source = Guests.filled(Guests.anonymous(Guests.SPECS), 7)) {
            final MigrationResult[] results = migrate(source, VerifyMode.FULL);
            assertNotEquals(MigrationStatus.COMPLETED, results[0].status(), "the source reported success");
            assertEquals(ErrorCode.VERIFICATION_FAILED, results[0].errorCode(), results[0].error());
            assertFalse(results[0].verified());
            assertNotEquals(MigrationStatus.COMPLETED, results[1].status(), "the destination kept the guest");
            assertNull(results[1].memory(), "a destination that failed verification hands out no memory");
        }
    }
}
