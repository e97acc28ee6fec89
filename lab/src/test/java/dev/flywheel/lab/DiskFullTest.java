package dev.flywheel.lab;

import dev.flywheel.engine.Tmpfs;
import dev.flywheel.lab.journal.Journal;
import dev.flywheel.lab.journal.ResultsTsv;
import dev.flywheel.lab.journal.RunEntry;
import dev.flywheel.lab.run.RunStatus;
import dev.flywheel.lab.store.Decision;
import dev.flywheel.lab.store.NewStudy;
import dev.flywheel.lab.store.Store;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The study's records written on a full disk — a real tmpfs, filled (issue 22): the journal, results.tsv and the
 * store each refuse in one sentence that says the disk is full, keep what they held, and take the same write once
 * there is space again, without duplicating it.
 */
class DiskFullTest {

    static RunEntry run(int ordinal) {
        return new RunEntry(ordinal, "s-00" + ordinal, "builtin", "hypothesis " + ordinal, List.of("optimizer.lr: 0.001 → 0.002"),
                "optimizer.lr=0.002", RunStatus.FINISHED, 1.9, null, null, Decision.KEEP, "ok", 1.0, 10L, List.of());
    }

    static void oneSentence(Throwable e, String... phrases) {
        assertThat(e).isInstanceOf(LabException.class).hasMessageContainingAll(phrases);
        assertThat(e.getMessage().lines().count()).as(e.getMessage()).isEqualTo(1);
    }

    @Test
    void journalResultsAndStoreRefuseCleanlyAndKeepWhatTheyHeld(@TempDir Path dir) throws Exception {
        try (var disk = Tmpfs.mount(dir.resolve("disk"), 8 << 20)) {
            assumeTrue(disk != null, "mounting a tmpfs needs root");
            var store = Store.open(disk.dir().resolve("flywheel.db"));
            store.createStudy(new NewStudy("s", "lower", Metric.VAL_BPB, "builtin", "# brief", "lr", "30m", "60s"));
            store.addNote("s", null, "builtin", "before the disk filled");
            var header = new Journal.Header("s", "Study s", "lower", Metric.VAL_BPB, "builtin", "30m", "60s", "brief.md",
                    Instant.parse("2026-01-02T03:04:05Z"));
            var journalFile = disk.dir().resolve("journal.md");
            var journal = Journal.open(journalFile, header);
            journal.appendRun(run(1));
            var tsv = ResultsTsv.open(disk.dir().resolve("results.tsv"), Metric.VAL_BPB);
            tsv.append(run(1));
            var journalBefore = Files.readString(journalFile);

            var filler = disk.fill(0);
            var big = "x".repeat(1 << 20); // more than any page SQLite may have kept free
            var hypothesis = new RunEntry(2, "s-002", "builtin", big, List.of(), "lr", RunStatus.FINISHED, 1.8, -0.1, null,
                    Decision.KEEP, "ok", 1.0, 10L, List.of());
            assertThatThrownBy(() -> journal.appendRun(hypothesis))
                    .satisfies(e -> oneSentence(e, "journal " + journalFile, "No space left on device", "free space"));
            // a row that fits the last page of the file would still go in: a full disk refuses new pages
            var longRow = new RunEntry(2, "s-002", "builtin", null, List.of(), big, RunStatus.FINISHED, 1.8, -0.1, null,
                    Decision.KEEP, "ok", 1.0, 10L, List.of());
            assertThatThrownBy(() -> tsv.append(longRow))
                    .satisfies(e -> oneSentence(e, "results file", "No space left on device", "free space"));
            assertThatThrownBy(() -> store.addNote("s", null, "builtin", big))
                    .satisfies(e -> oneSentence(e, "store", "the disk is full", "intact"));
            // (SQLite cannot even read on a full disk: it needs room for its shared-memory index; checked below)

            Files.delete(filler);
            // reopened as a resumed study reopens them: the torn block or row is cut, the write goes through once
            var reopened = Journal.open(journalFile, header);
            assertThat(Files.readString(journalFile)).isEqualTo(journalBefore);
            assertThat(reopened.appendRun(hypothesis)).isTrue();
            assertThat(reopened.appendRun(hypothesis)).isFalse();
            var tsvAgain = ResultsTsv.open(disk.dir().resolve("results.tsv"), Metric.VAL_BPB);
            assertThat(tsvAgain.append(longRow)).isTrue();
            assertThat(ResultsTsv.read(disk.dir().resolve("results.tsv"))).extracting(ResultsTsv.Row::run)
                    .containsExactly("s-001", "s-002");
            store.addNote("s", null, "builtin", "after");
            // the refused note is not there, what was there before is
            assertThat(store.notes("s")).extracting(n -> n.body()).containsExactly("before the disk filled", "after");
        }
    }

    @Test
    void aDamagedStoreSaysHowToRecoverAndTheAdviceWorks(@TempDir Path dir) throws Exception {
        var garbage = dir.resolve("garbage.db");
        Files.write(garbage, new java.util.Random(1).ints(20_000, 0, 256).collect(java.io.ByteArrayOutputStream::new,
                (o, b) -> o.write(b), (a, b) -> a.writeBytes(b.toByteArray())).toByteArray());
        assertThatThrownBy(() -> Store.open(garbage)).satisfies(e -> oneSentence(e, "store jdbc:sqlite:" + garbage,
                "the file is damaged", "mv " + garbage + " " + garbage + ".damaged;", "sqlite3 " + garbage + ".damaged .dump | sqlite3 " + garbage));

        // the advice, followed on a store with a study in it, gives a store Flywheel opens with the study
        assumeTrue(new ProcessBuilder("sqlite3", "-version").start().waitFor() == 0, "needs the sqlite3 command");
        var file = dir.resolve("flywheel.db");
        var store = Store.open(file);
        store.createStudy(new NewStudy("kept", "lower", Metric.VAL_BPB, "builtin", "# brief", "lr", "30m", "60s"));
        store.addNote("kept", null, "builtin", "a note");
        var advice = Store.advice("jdbc:sqlite:" + file, new RuntimeException("[SQLITE_CORRUPT] malformed"), "");
        run(dir, advice.substring(advice.indexOf('`') + 1, advice.lastIndexOf('`')));
        var recovered = Store.open(file);
        assertThat(recovered.study("kept")).isPresent();
        assertThat(recovered.notes("kept")).extracting(n -> n.body()).containsExactly("a note");
    }

    static void run(Path dir, String command) throws Exception {
        var p = new ProcessBuilder("bash", "-c", command).directory(dir.toFile()).redirectErrorStream(true).start();
        var out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(command + "\n" + out).isZero();
    }
}
