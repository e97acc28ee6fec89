package dev.flywheel.engine;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AtomicFilesTest {

    @Test
    void aWriteReplacesTheFileAndLeavesNoTemporary(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("a.json");
        AtomicFiles.writeString(f, "one");
        AtomicFiles.writeString(f, "two é");
        assertThat(f).hasContent("two é");
        assertOnlyFileIn(dir, f);
    }

    @Test
    void aFailedWriteKeepsTheOldFileAndCleansUp(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("a.json");
        AtomicFiles.writeString(f, "old");
        assertThatThrownBy(() -> AtomicFiles.write(f, out -> {
            out.write("half".getBytes());
            throw new IOException("disk full");
        })).hasMessage("disk full");
        assertThat(f).hasContent("old");
        assertOnlyFileIn(dir, f);
    }

    /** No temporary is left behind. */
    static void assertOnlyFileIn(Path dir, Path f) throws IOException {
        try (var files = Files.list(dir)) {
            assertThat(files).containsExactly(f);
        }
    }

    @Test
    void deleteTreeRemovesEverythingAndIgnoresWhatIsNotThere(@TempDir Path dir) throws Exception {
        Path root = dir.resolve("r");
        Files.createDirectories(root.resolve("x/y"));
        Files.writeString(root.resolve("x/y/z.txt"), "z");
        Files.writeString(root.resolve("top.txt"), "t");
        AtomicFiles.deleteTree(root);
        assertThat(root).doesNotExist();
        AtomicFiles.deleteTree(root);
        AtomicFiles.deleteTree(dir.resolve("never"));
    }
}
