package dev.ferry.engine.destination;

import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;
import dev.ferry.engine.VerifyMode;
import dev.ferry.engine.channel.MainChannel;
import dev.ferry.engine.protocol.MessageFlyweight;
import dev.ferry.engine.protocol.ProtocolException;
import dev.ferry.engine.protocol.StatusFlyweight;
import dev.ferry.engine.protocol.VerifyFlyweight;
import dev.ferry.engine.stats.FlightEvents;
import dev.ferry.engine.verify.BackgroundDigest;
import dev.ferry.engine.verify.Verification;
import dev.ferry.memory.GuestMemory;

import java.io.IOException;
import java.util.List;

/** The destination's answer to VERIFY: check the message, compare digests, send RESULT. */
final class VerifyAnswer {
    /** The digests differed; the source has been told in RESULT. */
    static final class Mismatch extends FerryException {
        private static final long serialVersionUID = 1L;

        Mismatch(final String text) {
            super(ErrorCode.VERIFICATION_FAILED, "verification failed: " + text);
        }
    }

    private VerifyAnswer() {
    }

    /**
     * Answers {@code verify} with RESULT; returns whether the memory is verified.
     *
     * @param memory the received memory (null when verification is off).
     * @param digest the digest of it started at APPLIED (null when verification is off).
     * @param commit puts the memory in place (a file renamed onto its target) before a good RESULT is sent, so the
     *               source never hears "verified" about a guest that is not where it belongs.
     * @throws Mismatch          when the digests differ.
     * @throws ProtocolException naming a bad field of VERIFY.
     */
    static boolean answer(final VerifyFlyweight verify, final DestinationConfig config, final GuestMemory memory,
        final BackgroundDigest digest, final MainChannel main, final Runnable commit) throws IOException {
        final FlightEvents.Verification event = FlightEvents.verification("destination");
        boolean verified = false;
        try {
            verified = compareAndAnswer(verify, config, memory, digest, main, commit);
            return verified;
        } finally {
            if (null != event) {
                event.end(verified);
            }
        }
    }

    private static boolean compareAndAnswer(final VerifyFlyweight verify, final DestinationConfig config,
        final GuestMemory memory, final BackgroundDigest digest, final MainChannel main, final Runnable commit)
        throws IOException {
        if (config.verify() == VerifyMode.NONE) {
            ProtocolException.check(verify.blockCount() == 0, "VERIFY block count", verify.blockCount(),
                "0 (verification is off)");
            commit.run();
            main.sendStatus(MessageFlyweight.RESULT, StatusFlyweight.RESULT_NOT_VERIFIED, 0, "not verified");
            return false;
        }
        ProtocolException.check(verify.chunkSize() == Verification.CHUNK_BYTES, "VERIFY chunk size",
            verify.chunkSize(), Integer.toString(Verification.CHUNK_BYTES));
        final List<int[]> theirs = verify.digests(Verification.chunkCounts(memory));
        final Verification.Verdict verdict = Verification.compare(digest.await(config.verifyTimeoutMs()), theirs,
            memory.blocks());
        if (!verdict.matches()) {
            main.sendStatus(MessageFlyweight.RESULT, StatusFlyweight.RESULT_MISMATCH, verdict.mismatchedChunks(),
                verdict.text());
            throw new Mismatch(verdict.text());
        }
        commit.run();
        main.sendStatus(MessageFlyweight.RESULT, StatusFlyweight.RESULT_VERIFIED, 0, verdict.text());
        return true;
    }
}
