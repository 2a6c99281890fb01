package dev.ferry.engine.destination;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** One line per cause per period, the rest counted: a flood does not flood the log. */
final class RefusalLogTest {
    @Test
    void logsOncePerCausePerPeriodWithTheCountOfTheRest() {
        final List<String> lines = new ArrayList<>();
        final RefusalLog log = new RefusalLog(lines::add);
        for (int i = 0; i < 1000; i++) {
            log.refused("garbage", "refused " + i, i * 1_000_000L);
        }
        log.refused("timeout", "refused slow", 5);
        assertEquals(List.of("refused 0", "refused slow"), lines);
        log.refused("garbage", "refused again", RefusalLog.PERIOD_NS);
        assertEquals("refused again (and 999 more refused for this cause since the last such line)", lines.get(2));
    }
}
