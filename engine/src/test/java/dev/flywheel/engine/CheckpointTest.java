package dev.flywheel.engine;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalLong;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link Checkpoint#resumableStep}: what a run may resume from, whatever state a crash left the directory in. */
class CheckpointTest {

    static Trainer trainer;

    @BeforeAll
    static void trainAFewSteps() {
        trainer = TrainerTest.trainer(TrainerTest.small(ModelConfig.Norm.LAYERNORM),
                TrainerTest.train(OptimizerConfig.Kind.ADAMW, 20), 1);
        for (int i = 0; i < 3; i++) trainer.step();
    }

    @Test
    void nothingToResumeWithoutACheckpoint(@TempDir Path dir) {
        assertThat(Checkpoint.resumableStep(dir.resolve("checkpoint"))).isEmpty();
    }

    @Test
    void aSavedCheckpointResumesAtItsStep(@TempDir Path dir) {
        Path ck = dir.resolve("checkpoint");
        Checkpoint.save(ck, trainer.model(), trainer, Map.of());
        assertThat(Checkpoint.resumableStep(ck)).isEqualTo(OptionalLong.of(3));
        // and it is the step the trainer continues at once restored
        var loaded = Checkpoint.load(ck, new Parallel(1));
        var resumed = TrainerTest.trainer(loaded.model().config(), TrainerTest.train(OptimizerConfig.Kind.ADAMW, 20), 1);
        Checkpoint.restoreTrainer(loaded, resumed);
        assertThat(resumed.currentStep()).isEqualTo(3);
    }

    @Test
    void aCrashBetweenTheRenamesLeavesThePreviousCheckpointResumable(@TempDir Path dir) throws Exception {
        Path ck = dir.resolve("checkpoint");
        Checkpoint.save(ck, trainer.model(), trainer, Map.of());
        // save moves the current checkpoint to .old before renaming the new one in; a crash between leaves only .old
        Files.move(ck, dir.resolve("checkpoint.old"));
        assertThat(Checkpoint.resumableStep(ck)).isEqualTo(OptionalLong.of(3));
        assertThat(Checkpoint.load(ck, new Parallel(1)).model().params).containsExactly(trainer.model().params);
    }

    @Test
    void aCorruptTrainerJsonIsNotResumable(@TempDir Path dir) throws Exception {
        Path ck = dir.resolve("checkpoint");
        Checkpoint.save(ck, trainer.model(), trainer, Map.of());
        Path json = ck.resolve(Checkpoint.TRAINER);
        Files.writeString(json, "{\"step\": 3, \"data_st");
        assertThat(Checkpoint.resumableStep(ck)).isEmpty();
        Files.writeString(json, "{\"step\": \"three\", \"data_step\": 3, \"tokens\": 0, \"train_seconds\": 0, \"lr_scale\": 1}");
        assertThat(Checkpoint.resumableStep(ck)).isEmpty();
        Files.delete(json);
        assertThat(Checkpoint.resumableStep(ck)).isEmpty();
    }

    @Test
    void aCheckpointWithoutOptimizerStateIsNotResumable(@TempDir Path dir) {
        Path ck = dir.resolve("checkpoint");
        Checkpoint.save(ck, trainer.model(), null, Map.of());
        assertThat(Checkpoint.resumableStep(ck)).isEmpty();
    }

    @Test
    void savingLeavesNoTemporariesBehind(@TempDir Path dir) throws Exception {
        Path ck = dir.resolve("checkpoint");
        Checkpoint.save(ck, trainer.model(), trainer, Map.of());
        Checkpoint.save(ck, trainer.model(), trainer, Map.of());
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("checkpoint");
        }
        try (var files = Files.list(ck)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(Checkpoint.MODEL,
                    Checkpoint.CONFIG, Checkpoint.OPTIMIZER, Checkpoint.TRAINER);
        }
    }
}
