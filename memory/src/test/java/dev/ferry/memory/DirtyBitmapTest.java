package dev.ferry.memory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(10)
final class DirtyBitmapTest {
    @Test
    void marksScansAndHarvests() {
        final DirtyBitmap bitmap = new DirtyBitmap(200);
        bitmap.markDirty(0);
        bitmap.markDirty(63);
        bitmap.markDirty(64);
        bitmap.markDirty(199);
        bitmap.markDirty(64);
        assertEquals(4, bitmap.cardinality());
        assertEquals(0, bitmap.nextDirty(0));
        assertEquals(63, bitmap.nextDirty(1));
        assertEquals(64, bitmap.nextDirty(64));
        assertEquals(199, bitmap.nextDirty(65));
        assertEquals(-1, bitmap.nextDirty(200));
        assertTrue(bitmap.isDirty(199));
        assertFalse(bitmap.isDirty(198));

        final PageBitmap own = new PageBitmap(200);
        own.set(5);
        assertEquals(4, bitmap.syncAndClear(own));
        assertEquals(0, bitmap.cardinality());
        assertEquals(5, own.cardinality());
        assertEquals(-1, bitmap.nextDirty(0));
        assertEquals(199, own.nextSet(100));
    }

    @Test
    void marksRangesAcrossWords() {
        final DirtyBitmap bitmap = new DirtyBitmap(300);
        bitmap.markDirty(60, 140);
        assertEquals(140, bitmap.cardinality());
        assertEquals(60, bitmap.nextDirty(0));
        assertFalse(bitmap.isDirty(59));
        assertTrue(bitmap.isDirty(199));
        assertFalse(bitmap.isDirty(200));
        bitmap.markDirty(0, 64);
        assertEquals(200, bitmap.cardinality());
        bitmap.clear(100);
        assertFalse(bitmap.isDirty(100));
    }

    @Test
    void pageBitmapSetAllStopsAtTheLastPage() {
        final PageBitmap own = new PageBitmap(130);
        own.setAll();
        assertEquals(130, own.cardinality());
        assertEquals(129, own.nextSet(129));
        assertEquals(-1, own.nextSet(130));
    }
}
