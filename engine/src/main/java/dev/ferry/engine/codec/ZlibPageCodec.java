package dev.ferry.engine.codec;

import dev.ferry.engine.protocol.ProtocolException;

import java.nio.ByteBuffer;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * zlib (RFC 1950) through {@code java.util.zip}, level 1 by default, one complete stream per frame of pages, so any zlib can
 * read a captured frame. The deflater and inflater are reset per frame, never re-made.
 */
final class ZlibPageCodec implements PageCodec {
    private final Deflater deflater;
    private final Inflater inflater = new Inflater();
    private ByteBuffer outView;
    private ByteBuffer outBuffer;
    private ByteBuffer inView;
    private ByteBuffer inBuffer;

    ZlibPageCodec(final int level) {
        deflater = new Deflater(level);
    }

    @Override
    public int compress(final ByteBuffer page, final ByteBuffer out, final int outOffset, final int room) {
        final ByteBuffer target = view(out, true).limit(outOffset + room).position(outOffset);
        final int start = page.position();
        deflater.reset();
        deflater.setInput(page);
        deflater.finish();
        while (!deflater.finished() && target.hasRemaining()) {
            deflater.deflate(target, Deflater.NO_FLUSH);
        }
        page.position(start);
        return deflater.finished() ? target.position() - outOffset : -1;
    }

    @Override
    public void decompress(final ByteBuffer in, final int inOffset, final int length, final ByteBuffer page) {
        final int expected = page.remaining();
        final int start = page.position();
        inflater.reset();
        inflater.setInput(view(in, false).limit(inOffset + length).position(inOffset));
        final int produced;
        try {
            produced = inflater.inflate(page);
        } catch (final DataFormatException ex) {
            throw new ProtocolException("zlib stream of " + length + " bytes is malformed: " + ex.getMessage());
        }
        page.position(start);
        if (!inflater.finished() || produced != expected || inflater.getRemaining() != 0) {
            throw new ProtocolException("zlib stream of " + length + " bytes " + mismatch(produced, expected) +
                ": expected " + expected + " (its pages)");
        }
    }

    /**
     * What is wrong with a stream that did not decompress to exactly {@code expected} bytes. Not finished for want
     * of input means the stream is cut short (before, that was said to "decompress to more than" what it gave);
     * not finished with input left means the output was full and it holds more.
     */
    private String mismatch(final int produced, final int expected) {
        if (!inflater.finished()) {
            if (inflater.needsDictionary()) {
                return "asks for a preset dictionary, which Ferry never uses";
            }
            return inflater.needsInput() ? "is cut short: its input ends after " + produced + " bytes of output" :
                "decompresses to more than " + produced + " bytes";
        }
        if (produced != expected) {
            return "decompresses to " + produced + " bytes";
        }
        return "has " + inflater.getRemaining() + " bytes after its end";
    }

    /** A duplicate of {@code buffer} kept for the next call: the caller's position and limit stay untouched. */
    private ByteBuffer view(final ByteBuffer buffer, final boolean output) {
        if (output) {
            if (outBuffer != buffer) {
                outBuffer = buffer;
                outView = buffer.duplicate();
            }
            return outView.clear();
        }
        if (inBuffer != buffer) {
            inBuffer = buffer;
            inView = buffer.duplicate();
        }
        return inView.clear();
    }

    @Override
    public void close() {
        deflater.end();
        inflater.end();
    }
}
