package dev.flywheel.engine;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The engine's parsers fuzzed (issue 22): safetensors files (bytes, and headers mutated as JSON behind a correct
 * length prefix) and a checkpoint's config.json. Each either loads or refuses with a {@link CheckpointException}.
 */
class EngineFuzzTest {

    @TempDir
    static Path dir;
    static Path checkpoint;
    static byte[] model, config;

    @BeforeAll
    static void aTinyCheckpoint() throws Exception {
        var cfg = new ModelConfig(16, 16, 1, 2, 8, 16, ModelConfig.Norm.RMSNORM, ModelConfig.Position.ROPE,
                ModelConfig.Activation.GELU, true, false, true, 0f, 0f, 10000f, 1e-5f);
        var trainer = TrainerTest.trainer(cfg, TrainerTest.train(OptimizerConfig.Kind.ADAMW, 2), 1);
        trainer.step();
        checkpoint = dir.resolve("ck");
        Checkpoint.save(checkpoint, trainer.model(), trainer, Map.of());
        var stored = Files.isRegularFile(checkpoint.resolve(Checkpoint.MODEL)) ? checkpoint
                : Files.list(checkpoint).filter(Files::isDirectory).findFirst().orElseThrow();
        checkpoint = stored;
        model = Files.readAllBytes(checkpoint.resolve(Checkpoint.MODEL));
        config = Files.readAllBytes(checkpoint.resolve(Checkpoint.CONFIG));
        Checkpoint.load(checkpoint, new Parallel(1)); // the seeds themselves load
    }

    static Fuzz.Target safetensors() {
        var file = dir.resolve("fuzzed.safetensors");
        return input -> {
            Files.write(file, input);
            var st = Safetensors.read(file);
            for (var e : st.entries().values()) {
                switch (e.dtype()) {
                    case "F32", "F64" -> st.floats(e.name());
                    case "I32" -> st.ints(e.name());
                    default -> { }
                }
            }
        };
    }

    /** A safetensors file whose JSON header is a mutant, behind a length prefix that matches it. */
    static byte[] withHeader(byte[] file, Random random) {
        long len = ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        var header = new String(file, 8, (int) len, StandardCharsets.UTF_8);
        var mutated = Fuzz.mutateJson(header, random).getBytes(StandardCharsets.UTF_8);
        var out = ByteBuffer.allocate(8 + mutated.length + file.length - 8 - (int) len).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(mutated.length).put(mutated).put(file, 8 + (int) len, file.length - 8 - (int) len);
        return out.array();
    }

    static Stream<byte[]> safetensorsInputs(long seed, int n) {
        var random = new Random(seed);
        return Stream.concat(Fuzz.bytes(List.of(model), seed, n / 2),
                Stream.generate(() -> withHeader(model, random)).limit(n - n / 2));
    }

    static Fuzz.Target checkpointConfig() {
        var ck = dir.resolve("fuzzed-checkpoint");
        return input -> {
            if (!Files.isDirectory(ck)) {
                Files.createDirectories(ck);
                Files.write(ck.resolve(Checkpoint.MODEL), model);
            }
            Files.write(ck.resolve(Checkpoint.CONFIG), input);
            Checkpoint.load(ck, new Parallel(1));
        };
    }

    @Test
    void safetensorsReaderRefusesEveryMutantCleanly() {
        var report = Fuzz.run("safetensors", safetensorsInputs(22, Fuzz.tries(400)), CheckpointException.class, safetensors());
        assertThat(report.findings()).isEmpty();
        assertThat(report.refused()).as("the mutants reach the checks").isGreaterThan(report.inputs() / 2);
    }

    @Test
    void checkpointConfigRefusesEveryMutantCleanly() {
        var report = Fuzz.run("checkpoint-config", Fuzz.json(List.of(new String(config, StandardCharsets.UTF_8)), 22,
                Fuzz.tries(300)), CheckpointException.class, checkpointConfig());
        assertThat(report.findings()).isEmpty();
        assertThat(report.refused()).isGreaterThan(report.inputs() / 3);
    }

    @Test
    void keptInputsStillRefusedCleanly() {
        for (var parser : List.of("safetensors", "checkpoint-config")) {
            var target = parser.equals("safetensors") ? safetensors() : checkpointConfig();
            var corpus = Fuzz.corpus(parser);
            var report = Fuzz.run(parser + "-corpus", corpus.stream(), CheckpointException.class, target);
            assertThat(report.findings()).as(parser).isEmpty();
            assertThat(report.inputs()).isEqualTo(corpus.size()).isPositive();
        }
    }
}
