package dev.flywheel.data.prep;

import dev.flywheel.data.DataException;
import dev.flywheel.data.Progress;
import dev.flywheel.data.TestText;
import dev.flywheel.data.tokenizer.Tokenizer;
import dev.flywheel.engine.Tmpfs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Shards written on a full disk — a real tmpfs too small for them (issue 22): one sentence, no half-prepared directory
 * that a later run would take for a prepared one, and the data prepared before still opens.
 */
class PrepDiskFullTest {

    @Test
    void shardsThatDoNotFitLeaveNothingHalfPrepared(@TempDir Path dir) throws Exception {
        try (var disk = Tmpfs.mount(dir.resolve("disk"), 3 << 20)) {
            assumeTrue(disk != null, "mounting a tmpfs needs root");
            var settings = PrepSettings.defaults().withDownloadDir(dir.resolve("downloads")).withTokenizer(Tokenizer.Kind.CHAR)
                    .withSplit(PrepSettings.SplitMode.CONTIGUOUS, 0.1, 0);
            var small = dir.resolve("small.txt");
            Files.writeString(small, Files.readString(TestText.shakespeare()).substring(0, 20_000));
            var good = disk.dir().resolve("good");
            DataPrep.prepare(small.toString(), settings, good, Progress.none());

            // Tiny Shakespeare as 2-byte ids is about 2.2 MB of shards, more than the disk has left
            var out = disk.dir().resolve("big");
            assertThatThrownBy(() -> DataPrep.prepare(TestText.shakespeare().toString(), settings, out, Progress.none()))
                    .isInstanceOf(DataException.class)
                    .hasMessageContaining("No space left on device")
                    .satisfies(e -> assertThat(e.getMessage().lines().count()).as(e.getMessage()).isEqualTo(1));
            assertThat(PreparedData.isPrepared(out)).as("no meta.json: not taken for prepared data").isFalse();
            assertThat(PreparedData.open(good).tokens(dev.flywheel.data.Split.TRAIN)).isPositive();
        }
    }
}
