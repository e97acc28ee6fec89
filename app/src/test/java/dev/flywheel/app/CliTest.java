package dev.flywheel.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flywheel.data.TestText;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The command line as users and scripts call it: exit codes, one-sentence errors, the --json contract. */
class CliTest {

    record Run(int code, String out, String err) {
        JsonNode json() throws Exception {
            String[] lines = out.strip().split("\n");
            return Output.JSON.readTree(lines[lines.length - 1]);
        }
    }

    static Run run(String... args) {
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        PrintStream oldOut = System.out, oldErr = System.err;
        try (var o = new PrintStream(out, true, StandardCharsets.UTF_8); var e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            System.setOut(o);
            System.setErr(e);
            var cl = Main.commandLine();
            cl.setOut(new java.io.PrintWriter(o, true));
            cl.setErr(new java.io.PrintWriter(e, true));
            int code = cl.execute(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void trainEvalAndSampleFollowTheJsonContract(@TempDir Path dir) throws Exception {
        var train = run("train", "--data", TestText.shakespeare().toString(), "--tokenizer", "char", "--split", "contiguous",
                "--layers", "1", "--heads", "2", "--dim", "32", "--seq", "32", "--batch", "8", "--steps", "40",
                "--warmup", "5", "--lr", "3e-3", "--lab", dir.toString(), "--out", dir.resolve("run").toString(),
                "--threads", "2", "--sample-tokens", "20", "--json");
        assertThat(train.code()).as(train.err()).isZero();
        var j = train.json();
        for (String key : new String[] {"val_loss", "val_bpb", "train_loss", "steps", "tokens", "seconds", "tokens_per_s",
                "params", "checkpoint"}) {
            assertThat(j.has(key)).as("train --json has " + key).isTrue();
        }
        assertThat(j.get("steps").asLong()).isEqualTo(40);
        assertThat(j.get("tokens").asLong()).isEqualTo(40L * 8 * 32);
        // 40 steps of a tiny char model are enough to beat the uniform 65-way guess (ln 65 = 4.17 nats)
        assertThat(j.get("val_loss").asDouble()).isLessThan(3.6);
        assertThat(j.get("val_bpb").asDouble()).isCloseTo(j.get("val_loss").asDouble() / Math.log(2), org.assertj.core.data.Offset.offset(0.05));
        String ck = j.get("checkpoint").asText();
        assertThat(Path.of(ck).resolve("model.safetensors")).exists();
        assertThat(Path.of(ck).resolve("flywheel-tokenizer.json")).exists();

        var eval = run("eval", "--checkpoint", ck, "--data", TestText.shakespeare().toString(), "--tokens", "5000", "--json");
        assertThat(eval.code()).as(eval.err()).isZero();
        assertThat(eval.json().get("val_loss").asDouble()).isBetween(0.5, 4.5);
        assertThat(eval.json().has("val_bpb")).isTrue();

        var sample = run("sample", "--checkpoint", ck, "--prompt", "ROMEO:", "--tokens", "30", "--json");
        assertThat(sample.code()).as(sample.err()).isZero();
        assertThat(sample.json().get("text").asText()).startsWith("ROMEO:").hasSizeGreaterThan(30);
    }

    @Test
    void badInputGivesOneSentenceAndExitCodeTwo(@TempDir Path dir) throws Exception {
        Path empty = Files.createFile(dir.resolve("empty.txt"));
        Path binary = dir.resolve("binary.dat");
        var rnd = new java.util.Random(1);
        byte[] noise = new byte[4000];
        rnd.nextBytes(noise);
        Files.write(binary, noise);
        Path corrupt = Files.createDirectories(dir.resolve("ck"));
        Files.writeString(corrupt.resolve("config.json"), "{\"flywheel\": {");
        Files.write(corrupt.resolve("model.safetensors"), new byte[] {1, 2, 3});
        Files.writeString(corrupt.resolve("flywheel-tokenizer.json"), "{}");
        String lab = dir.toString();
        String[][] cases = {
                {"train", "--lab", lab, "--data", dir.resolve("missing.txt").toString()},
                {"train", "--lab", lab, "--data", empty.toString()},
                {"train", "--lab", lab, "--data", binary.toString(), "--tokenizer", "char"},
                {"train", "--lab", lab, "--heads", "3", "--dim", "128"},
                {"train", "--lab", lab, "--lr", "-1"},
                {"train", "--lab", lab, "--tokenizer", "klingon"},
                {"sample", "--checkpoint", corrupt.toString()},
                {"eval", "--checkpoint", dir.resolve("nothing").toString()},
        };
        for (String[] args : cases) {
            var r = run(args);
            String what = String.join(" ", args);
            assertThat(r.code()).as(what + "\n" + r.err()).isEqualTo(2);
            assertThat(r.err()).as(what).contains("flywheel: ").doesNotContain("Exception").doesNotContain("\tat ");
            assertThat(r.err().strip().lines().filter(l -> l.startsWith("flywheel: ")).count()).as(what).isEqualTo(1);
        }
    }

    @Test
    void aVectorWidthTheMachineCannotRunGivesOneSentence() throws Exception {
        // the engine reads -Dfw.vector when its classes load, so this needs a JVM of its own
        String java = ProcessHandle.current().info().command().orElse("java");
        var pb = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "-Dfw.vector=1024", "-cp",
                System.getProperty("java.class.path"), "dev.flywheel.app.Main", "bench", "--layers", "1", "--heads",
                "1", "--dim", "16", "--seq", "8", "--batch", "1", "--vocab", "16", "--steps", "1", "--warmup", "0");
        var p = pb.start();
        p.getOutputStream().close();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        p.getInputStream().readAllBytes();
        assertThat(p.waitFor()).as(err).isEqualTo(2);
        assertThat(err).contains("flywheel: -Dfw.vector=1024 is not a vector width this machine runs; use 128")
                .doesNotContain("Exception").doesNotContain("\tat ");
    }
}
