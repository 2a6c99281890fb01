package dev.ferry.engine.codec;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdException;
import dev.ferry.engine.protocol.ProtocolException;

import java.nio.ByteBuffer;

/**
 * Zstandard through zstd-jni, level 1 by default (as QEMU's multifd), one standard frame per
 * frame of pages, with its content size and without a checksum (the migration's own digest covers the data), so any zstd tool can
 * read a captured frame.
 */
final class ZstdPageCodec implements PageCodec {
    private final ZstdCompressCtx compressor;
    private final ZstdDecompressCtx decompressor = new ZstdDecompressCtx();

    ZstdPageCodec(final int level) {
        compressor = new ZstdCompressCtx().setLevel(level).setChecksum(false).setContentSize(true).setDictID(false);
    }

    @Override
    public int compress(final ByteBuffer page, final ByteBuffer out, final int outOffset, final int room) {
        try {
            return compressor.compressDirectByteBuffer(out, outOffset, room, page, page.position(), page.remaining());
        } catch (final ZstdException ex) {
            if (ex.getErrorCode() == Zstd.errDstSizeTooSmall()) {
                return -1;
            }
            throw ex;
        }
    }

    @Override
    public void decompress(final ByteBuffer in, final int inOffset, final int length, final ByteBuffer page) {
        final int expected = page.remaining();
        final int produced;
        try {
            produced = decompressor.decompressDirectByteBuffer(page, page.position(), expected, in, inOffset, length);
        } catch (final ZstdException ex) {
            throw new ProtocolException("zstd frame of " + length + " bytes is malformed: " + ex.getMessage());
        }
        if (produced != expected) {
            throw new ProtocolException("zstd frame of " + length + " bytes decompresses to " + produced +
                " bytes: expected " + expected + " (its pages)");
        }
    }

    @Override
    public void close() {
        compressor.close();
        decompressor.close();
    }
}
