package dev.ferry.memory.internal;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The arithmetic against the JDK's CRC32C fed the actual bytes. */
final class Crc32cTest {
    private static int crc(final byte[] bytes, final int from, final int length) {
        final CRC32C crc = new CRC32C();
        crc.update(bytes, from, length);
        return (int)crc.getValue();
    }

    @Test
    void extendingByZerosEqualsFeedingZeros() {
        final SplittableRandom random = new SplittableRandom(5);
        for (int trial = 0; trial < 300; trial++) {
            final int data = random.nextInt(0, 200);
            final int zeros = trial < 20 ? trial : random.nextInt(0, 70_000);
            final byte[] message = new byte[data + zeros];
            for (int i = 0; i < data; i++) {
                message[i] = (byte)random.nextInt();
            }
            assertEquals(crc(message, 0, message.length), Crc32c.extend(crc(message, 0, data), zeros),
                data + " bytes then " + zeros + " zeros");
        }
    }

    @Test
    void combiningTwoCrcsEqualsTheCrcOfBoth() {
        final SplittableRandom random = new SplittableRandom(6);
        for (int trial = 0; trial < 300; trial++) {
            final byte[] message = new byte[random.nextInt(0, 20_000)];
            for (int i = 0; i < message.length; i++) {
                message[i] = (byte)(random.nextInt(4) == 0 ? 0 : random.nextInt());
            }
            final int cut = message.length == 0 ? 0 : random.nextInt(message.length + 1);
            assertEquals(crc(message, 0, message.length),
                Crc32c.combine(crc(message, 0, cut), crc(message, cut, message.length - cut), message.length - cut));
        }
    }

    @Test
    void largeHolesAndBadLengths() {
        final CRC32C crc = new CRC32C();
        final byte[] zeros = new byte[1 << 20];
        for (int i = 0; i < 64; i++) {
            crc.update(zeros);
        }
        assertEquals((int)crc.getValue(), Crc32c.extend(0, 64L << 20), "64 MiB of zeros from the empty message");
        assertThrows(IllegalArgumentException.class, () -> Crc32c.extend(0, -1));
    }
}
