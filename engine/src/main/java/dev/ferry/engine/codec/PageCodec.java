package dev.ferry.engine.codec;

import dev.ferry.engine.Compression;
import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;
import dev.ferry.engine.protocol.ProtocolException;

import java.nio.ByteBuffer;

/**
 * One thread's compressor and decompressor of frames: a run of pages, compressed as one. Both directions work
 * between direct buffers (a view of the mapping or a gathered copy on one side, a scratch buffer on the other) and
 * allocate nothing once made.
 */
public interface PageCodec extends AutoCloseable {
    /**
     * Compresses the {@code page.remaining()} bytes of {@code page} (one page or several) into {@code out} at
     * {@code outOffset}, using at most {@code room} bytes; {@code page}'s position and limit are left as they were.
     *
     * @return the compressed length, or -1 if it does not fit in {@code room} (the pages travel raw).
     */
    int compress(ByteBuffer page, ByteBuffer out, int outOffset, int room);

    /**
     * Decompresses the {@code length} bytes at {@code inOffset} of {@code in} into {@code page}, which has room for
     * exactly the frame's pages ({@code page.remaining()} bytes), and checks that they make exactly that: one
     * well-formed frame, no byte missing, none left over.
     *
     * @throws ProtocolException naming what was wrong.
     */
    void decompress(ByteBuffer in, int inOffset, int length, ByteBuffer page);

    @Override
    void close();

    /** A codec for {@code compression} at its default level (what a decompressing side needs). */
    static PageCodec create(final Compression compression) {
        return create(compression, compression.defaultLevel());
    }

    /**
     * A codec for {@code compression} (never {@link Compression#NONE}) compressing at {@code level}; a codec that
     * cannot load says so.
     */
    static PageCodec create(final Compression compression, final int level) {
        try {
            switch (compression) {
                case ZSTD:
                    return new ZstdPageCodec(level);
                case ZLIB:
                    return new ZlibPageCodec(level);
                default:
                    throw new IllegalArgumentException("no codec for " + compression);
            }
        } catch (final LinkageError ex) {
            throw new FerryException(ErrorCode.CONFIGURATION, compression.cliName() + " compression is not available " +
                "on this machine (its native library did not load: " + ex.getMessage() + ")");
        }
    }
}
