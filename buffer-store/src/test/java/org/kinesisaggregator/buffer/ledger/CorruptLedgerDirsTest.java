package org.kinesisaggregator.buffer.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A disk that keeps damaging the ledger cannot fill up with moved-aside copies of it: of the
 * {@code ledger.corrupt-*} directories only the newest {@link MapDbLedger#KEPT_CORRUPT_DIRS} are
 * kept, whether the ledger was moved aside at open or replaced while running, and each deletion is
 * logged at WARN naming what went. A directory someone else named like them is left alone.
 */
class CorruptLedgerDirsTest {
    @TempDir
    Path dir;

    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private final Logger ledgerLog = (Logger) LoggerFactory.getLogger(MapDbLedger.class);

    @BeforeEach
    void captureLogs() {
        logs.start();
        ledgerLog.addAppender(logs);
    }

    @AfterEach
    void releaseLogs() {
        ledgerLog.detachAppender(logs);
    }

    @Test
    void onlyTheNewestMovedAsideLedgersAreKept() throws Exception {
        Files.createDirectories(dir.resolve("ledger.corrupt-notes"));
        MapDbLedger.open(dir, 1000).close();
        for (long t = 1001; t <= 1005; t++) {
            scribble(dir.resolve(MapDbLedger.FILE_NAME));
            MapDbLedger ledger = MapDbLedger.open(dir, t);
            assertThat(ledger.wasRecreated()).isTrue();
            ledger.close();
        }
        // the same millis twice: the -2 one is the newer
        scribble(dir.resolve(MapDbLedger.FILE_NAME));
        MapDbLedger.open(dir, 1005).close();
        assertThat(corruptDirs())
                .containsExactlyInAnyOrder(
                        "ledger.corrupt-1004", "ledger.corrupt-1005", "ledger.corrupt-1005-2", "ledger.corrupt-notes");
        assertThat(warnings())
                .contains(
                        "Ledger " + dir + ": deleted the moved-aside ledgers [ledger.corrupt-1001], older than the 3"
                                + " newest kept",
                        "Ledger " + dir + ": deleted the moved-aside ledgers [ledger.corrupt-1003], older than the 3"
                                + " newest kept");

        // replaced while running (the file cut under the open store, then the reopen fails): the
        // directory it is moved to is named after the current time, the newest
        MapDbLedger ledger = MapDbLedger.open(dir, 1006);
        ledger.put(record(1));
        ledger.commit();
        try (FileChannel ch = FileChannel.open(dir.resolve(MapDbLedger.FILE_NAME), StandardOpenOption.WRITE)) {
            ch.truncate(0);
        }
        for (int i = 0; i < 3 && ledger.generation() == 0; i++) {
            try {
                ledger.put(record(2));
                ledger.commit();
            } catch (RuntimeException e) {
                // the update that meets the cut file fails; the next one replaces the store
            }
        }
        assertThat(ledger.generation()).isEqualTo(1);
        ledger.put(record(3));
        ledger.commit();
        assertThat(ledger.chunks()).containsKey(3L);
        ledger.close();
        List<String> left = corruptDirs();
        assertThat(left).hasSize(MapDbLedger.KEPT_CORRUPT_DIRS + 1);
        assertThat(left).contains("ledger.corrupt-1005", "ledger.corrupt-1005-2", "ledger.corrupt-notes");
        assertThat(left).doesNotContain("ledger.corrupt-1004");
        assertThat(warnings())
                .contains("Ledger " + dir + ": deleted the moved-aside ledgers [ledger.corrupt-1004], older than the 3"
                        + " newest kept");
    }

    private static ChunkRecord record(long id) {
        return new ChunkRecord(id, ChunkState.QUEUED, 1_700_000_000_000L, 1000L, 10, 0, 0, 0, Progress.NONE);
    }

    private static void scribble(Path file) throws Exception {
        byte[] garbage = new byte[(int) Files.size(file)];
        new Random(file.hashCode()).nextBytes(garbage);
        Files.write(file, garbage);
    }

    private List<String> corruptDirs() throws Exception {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "ledger.corrupt-*")) {
            s.forEach(p -> names.add(p.getFileName().toString()));
        }
        return names;
    }

    private List<String> warnings() {
        return logs.list.stream()
                .filter(e -> e.getLevel() == Level.WARN)
                .map(ILoggingEvent::getFormattedMessage)
                .toList();
    }
}
