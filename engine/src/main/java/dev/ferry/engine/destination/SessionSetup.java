package dev.ferry.engine.destination;

import dev.ferry.engine.Compression;
import dev.ferry.engine.ErrorCode;
import dev.ferry.engine.FerryException;
import dev.ferry.engine.MemoryFactory;
import dev.ferry.engine.VerifyMode;
import dev.ferry.engine.channel.Message;
import dev.ferry.engine.codec.PageCodec;
import dev.ferry.engine.protocol.MessageFlyweight;
import dev.ferry.engine.protocol.Protocol;
import dev.ferry.engine.protocol.ProtocolException;
import dev.ferry.engine.protocol.SetupFlyweight;
import dev.ferry.engine.stats.Counters;
import dev.ferry.memory.BlockSpec;
import dev.ferry.memory.DirtyBitmap;
import dev.ferry.memory.FileIdentity;
import dev.ferry.memory.GuestMemory;
import dev.ferry.memory.MemoryException;
import dev.ferry.memory.RamBlock;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * The destination's SETUP: decode and check every field, refuse a verify mode that differs from ours, and create the
 * guest's memory (its space reserved, so a full file system is a clear refusal, never a SIGBUS later) with a
 * written-pages bitmap per block. A refusal travels back in SETUP-ACK before the migration fails.
 *
 * @param name        the guest's name, as the source gave it.
 * @param factory     the factory that made the memory, chosen by the name: it places or discards it at the end.
 * @param memory      the guest's memory.
 * @param writtenById per block id, the pages a data packet wrote.
 * @param zeroed      the memory held only zeros when created: a zero page needs writing only where a packet wrote.
 * @param compression the codec the source announced.
 */
record SessionSetup(String name, MemoryFactory factory, GuestMemory memory, DirtyBitmap[] writtenById, boolean zeroed,
    Compression compression) {
    /** Why a SETUP was refused: the text goes back to the source in SETUP-ACK. */
    static final class Refusal extends FerryException {
        private static final long serialVersionUID = 1L;

        Refusal(final String reason) {
            super(ErrorCode.SETUP_REFUSED, reason);
        }
    }

    /**
     * Reads {@code message} as the SETUP of a migration whose main channel announced {@code channelCount}.
     *
     * @throws ProtocolException naming the first bad field.
     * @throws Refusal           when the setup is well formed but cannot be served.
     */
    static SessionSetup of(final Message message, final int channelCount, final DestinationConfig config,
        final Function<String, MemoryFactory> memoryFor) {
        ProtocolException.check(message.type() == MessageFlyweight.SETUP, "first main-channel message, type",
            message.type(), "SETUP (" + MessageFlyweight.SETUP + ")");
        final SetupFlyweight setup = new SetupFlyweight().wrap(message.body(), 0, message.length());
        final int pageSize = setup.pageSize();
        try {
            RamBlock.validatePageSize(pageSize);
        } catch (final MemoryException ex) {
            throw new ProtocolException("SETUP: " + ex.getMessage());
        }
        ProtocolException.check(setup.channelCount() == channelCount, "SETUP channel count", setup.channelCount(),
            channelCount + " (from the main channel's handshake)");
        final int verifyOrdinal = setup.verifyMode();
        ProtocolException.check(verifyOrdinal >= 0 && verifyOrdinal < VerifyMode.values().length, "SETUP verify mode",
            verifyOrdinal, "0 (full) or 1 (none)");
        final Compression compression = Compression.fromWireId(setup.compression());
        ProtocolException.check(null != compression, "SETUP compression", setup.compression(),
            "0 (none), 1 (zstd) or 2 (zlib)");
        final List<BlockSpec> specs = setup.blocks(pageSize);
        final String name = setup.guestName();
        final VerifyMode sourceVerify = VerifyMode.values()[verifyOrdinal];
        if (sourceVerify != config.verify()) {
            throw new Refusal("verify mode mismatch: the source says " + sourceVerify.name().toLowerCase() +
                ", this destination " + config.verify().name().toLowerCase() + "; give both sides the same --verify");
        }
        if (compression != Compression.NONE) {
            try {
                PageCodec.create(compression).close();
            } catch (final FerryException ex) {
                throw new Refusal(ex.getMessage());
            }
        }
        final MemoryFactory factory = factoryFor(config, memoryFor, name);
        final List<FileIdentity> sourceFiles = sameHost(setup) ? setup.files() : List.of();
        final Path target = factory.target();
        if (null != target) {
            refuseSameFile(sourceFiles, FileIdentity.of(target), target);
        }
        final GuestMemory created;
        try {
            created = factory.create(specs, pageSize);
        } catch (final MemoryException ex) {
            throw new Refusal("cannot create guest memory: " + ex.getMessage());
        }
        for (final RamBlock block : created.blocks()) {
            try {
                refuseSameFile(sourceFiles, block.fileIdentity(), block.path());
            } catch (final Refusal ex) {
                factory.discard(created);
                throw ex;
            }
        }
        final DirtyBitmap[] written = new DirtyBitmap[Protocol.MAX_BLOCKS];
        for (final RamBlock block : created.blocks()) {
            written[block.id()] = new DirtyBitmap(block.pageCount());
        }
        return new SessionSetup(name, factory, created, written, factory.createsZeroedMemory(), compression);
    }

    /** The embedder's factory for the guest {@code name}; a refusal when there is none, or it cannot be made. */
    private static MemoryFactory factoryFor(final DestinationConfig config,
        final Function<String, MemoryFactory> memoryFor, final String name) {
        final MemoryFactory factory;
        try {
            factory = memoryFor.apply(name);
        } catch (final MemoryException | FerryException ex) {
            // The source hears the name only: the reason names this host's paths, which are this side's to read.
            config.warnings().accept("refused guest '" + name + "': " + ex.getMessage());
            throw new Refusal("this destination cannot take guest '" + name + "' (its log says why)");
        }
        if (null == factory) {
            throw new Refusal("this destination takes no guest named '" + name + "'");
        }
        return factory;
    }

    private static boolean sameHost(final SetupFlyweight setup) {
        final byte[] theirs = setup.hostId();
        return FileIdentity.isKnownHost(theirs) && Arrays.equals(theirs, FileIdentity.hostId());
    }

    /**
     * A source on this host reading its guest from the very file this destination would write: the migration would
     * overwrite the guest with itself while reading it (a sparse file created afresh reads as zeros), so it is
     * refused before any page moves, and the source hears why.
     */
    private static void refuseSameFile(final List<FileIdentity> sourceFiles, final FileIdentity ours, final Path path) {
        if (null != ours && sourceFiles.contains(ours)) {
            throw new Refusal("the source's memory file is this destination's memory file " + path + " (" + ours +
                "): a migration onto its own file would destroy the guest; give the destination another path");
        }
    }

    /** Puts this session's shape into {@code counters}: its channels, its size, its codec. */
    void publish(final Counters counters, final int channels) {
        counters.channels(channels);
        counters.totalBytes(memory.totalBytes());
        counters.compression(compression.cliName());
    }
}
