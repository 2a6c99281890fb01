package dev.ferry.memory.internal;

/**
 * CRC32C arithmetic without the bytes: the CRC of a message followed by {@code n} zero bytes, and the CRC of two
 * messages end to end from their CRCs and the second's length. A digest can so take a hole of any size as zeros in
 * a few dozen instructions instead of feeding the CRC a zero byte per byte. The CRC register is linear over GF(2):
 * appending zero bits multiplies it by a fixed 32 x 32 bit matrix, and appending 2^k bytes by that matrix raised to
 * 8 x 2^k, precomputed by squaring; a length is the product of the powers of its set bits. Values are CRC32C as
 * {@link java.util.zip.CRC32C} gives them (initial register and final xor all ones).
 */
public final class Crc32c {
    /** The Castagnoli polynomial, bit-reversed (the register shifts right). */
    private static final int POLYNOMIAL = 0x82F63B78;
    private static final int ALL_ONES = 0xFFFFFFFF;
    /** ZERO_BYTES[k]: the register's matrix for 2^k zero bytes, as 32 columns (the images of bits 0..31). */
    private static final int[][] ZERO_BYTES = new int[63][];

    static {
        int[] matrix = new int[32];
        matrix[0] = POLYNOMIAL; // one zero bit: bit 0 shifts out and brings the polynomial in
        for (int bit = 1; bit < 32; bit++) {
            matrix[bit] = 1 << bit - 1;
        }
        for (int i = 0; i < 3; i++) { // one bit -> one byte
            matrix = square(matrix);
        }
        for (int k = 0; k < ZERO_BYTES.length; k++) {
            ZERO_BYTES[k] = matrix;
            matrix = square(matrix);
        }
    }

    private Crc32c() {
    }

    private static int times(final int[] matrix, final int vector) {
        int result = 0;
        for (int bits = vector, column = 0; bits != 0; bits >>>= 1, column++) {
            if ((bits & 1) != 0) {
                result ^= matrix[column];
            }
        }
        return result;
    }

    private static int[] square(final int[] matrix) {
        final int[] squared = new int[32];
        for (int column = 0; column < 32; column++) {
            squared[column] = times(matrix, matrix[column]);
        }
        return squared;
    }

    /** The register after {@code length} more zero bytes. */
    private static int shift(final int register, final long length) {
        int result = register;
        for (long left = length, k = 0; left != 0; left >>>= 1, k++) {
            if ((left & 1) != 0) {
                result = times(ZERO_BYTES[(int)k], result);
            }
        }
        return result;
    }

    /** The CRC32C of a message whose CRC32C is {@code crc}, followed by {@code zeroBytes} zero bytes. */
    public static int extend(final int crc, final long zeroBytes) {
        checkLength(zeroBytes);
        return shift(crc ^ ALL_ONES, zeroBytes) ^ ALL_ONES;
    }

    /** The CRC32C of message A then message B, from their CRC32Cs and B's length. */
    public static int combine(final int crcA, final int crcB, final long lengthB) {
        checkLength(lengthB);
        return shift(crcA, lengthB) ^ crcB;
    }

    private static void checkLength(final long length) {
        if (length < 0) {
            throw new IllegalArgumentException("length " + length + " must be >= 0");
        }
    }
}
