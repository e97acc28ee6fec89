package dev.flywheel.engine;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** A checkpoint saved on a full disk (a real tmpfs): one sentence, and the previous checkpoint intact (issue 22). */
class CheckpointDiskFullTest {

    @Test
    void aCheckpointThatDoesNotFitLeavesThePreviousOneIntact(@TempDir Path dir) throws Exception {
        try (var disk = Tmpfs.mount(dir.resolve("disk"), 4 << 20)) {
            assumeTrue(disk != null, "mounting a tmpfs needs root");
            var trainer = TrainerTest.trainer(TrainerTest.small(ModelConfig.Norm.LAYERNORM),
                    TrainerTest.train(OptimizerConfig.Kind.ADAMW, 20), 1);
            trainer.step();
            var ck = disk.dir().resolve("checkpoint");
            Checkpoint.save(ck, trainer.model(), trainer, Map.of());
            long size;
            try (var files = Files.list(ck)) {
                size = files.mapToLong(f -> f.toFile().length()).sum();
            }
            trainer.step();
            var filler = disk.fill(size / 2);
            assertThatThrownBy(() -> Checkpoint.save(ck, trainer.model(), trainer, Map.of()))
                    .isInstanceOf(CheckpointException.class)
                    .hasMessageContaining("cannot write the checkpoint " + ck)
                    .hasMessageContaining("No space left on device")
                    .hasMessageContaining("the previous checkpoint is intact")
                    .satisfies(e -> assertThat(e.getMessage().lines().count()).isEqualTo(1));
            assertThat(Checkpoint.resumableStep(ck)).isEqualTo(OptionalLong.of(1));
            assertThat(Checkpoint.load(ck, new Parallel(1)).trainerState().get("step")).isEqualTo(1L);
            assertThat(disk.dir().resolve("checkpoint.tmp")).as("the half-written copy is not left filling the disk")
                    .doesNotExist();
            // with space again, the same save goes through
            Files.delete(filler);
            Checkpoint.save(ck, trainer.model(), trainer, Map.of());
            assertThat(Checkpoint.resumableStep(ck)).isEqualTo(OptionalLong.of(2));
        }
    }
}
