package dev.ferry.memory;

/**
 * What a block is, without its memory: the id and name it travels under and its length. The destination builds
 * its {@link GuestMemory} from the source's specs.
 *
 * @param id          numeric id, 0..{@link GuestMemory#MAX_BLOCK_ID}, unique in a guest.
 * @param name        name, unique in a guest, e.g. {@code pc.ram}.
 * @param lengthBytes length, a whole number of pages.
 */
public record BlockSpec(int id, String name, long lengthBytes) {
}
