package dev.ferry.engine.verify;

import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;
import dev.ferry.engine.VerifyMode;
import dev.ferry.engine.protocol.StatusFlyweight;
import dev.ferry.memory.BlockSpec;
import dev.ferry.memory.GuestMemory;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Both halves of the verification exchange. */
final class VerificationTest {
    @Test
    void theDestinationFindsAChangedChunkOfActualMemory() {
        final List<BlockSpec> specs = List.of(new BlockSpec(0, "pc.ram", 4L << 20), new BlockSpec(1, "vga", 1 << 20));
        try (GuestMemory source = GuestMemory.anonymous(specs, 4096);
             GuestMemory destination = GuestMemory.anonymous(specs, 4096)) {
            source.block(0).windowOfPage(768).putLong(3 << 20, 42);
            destination.block(0).windowOfPage(768).putLong(3 << 20, 42);
            final List<int[]> ours = Verification.digest(destination, 2, () -> false, Thread::new);
            assertTrue(Verification.compare(ours, Verification.digest(source, 1, () -> false, Thread::new), destination.blocks())
                .matches());
            source.block(0).windowOfPage(512).putByte((2 << 20) + 7, (byte)1);
            final Verification.Verdict verdict = Verification.compare(ours,
                Verification.digest(source, 1, () -> false, Thread::new), destination.blocks());
            assertEquals(1, verdict.mismatchedChunks());
            assertEquals("block 'pc.ram' at offset 2097152", verdict.firstMismatch());
            assertTrue(verdict.text().startsWith("1 chunks of 1048576 bytes differ"), verdict.text());
            assertEquals(4, Verification.chunkCounts(source)[0]);
        }
    }

    @Test
    void theSourceReadsTheResult() {
        assertTrue(Verification.judge(StatusFlyweight.RESULT_VERIFIED, "verified", VerifyMode.FULL));
        assertFalse(Verification.judge(StatusFlyweight.RESULT_NOT_VERIFIED, "not verified", VerifyMode.NONE));
        final FerryException mismatch = assertThrows(FerryException.class,
            () -> Verification.judge(StatusFlyweight.RESULT_MISMATCH, "3 chunks differ", VerifyMode.FULL));
        assertEquals(ErrorCode.VERIFICATION_FAILED, mismatch.code());
        final FerryException skipped = assertThrows(FerryException.class,
            () -> Verification.judge(StatusFlyweight.RESULT_NOT_VERIFIED, "not verified", VerifyMode.FULL));
        assertTrue(skipped.getMessage().contains("did not verify"), skipped.getMessage());
    }
}
