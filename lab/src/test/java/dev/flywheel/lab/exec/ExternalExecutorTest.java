package dev.flywheel.lab.exec;

import dev.flywheel.lab.run.EventAction;
import dev.flywheel.lab.run.EventKind;
import dev.flywheel.lab.run.RunStatus;
import dev.flywheel.lab.store.MetricPoint;
import dev.flywheel.lab.store.Store;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * External trainers as real processes: a shell script that speaks the protocol is run, watched and recorded like an
 * engine run, and each way of getting the protocol wrong ends as the crash it is, with the log's tail.
 */
class ExternalExecutorTest {

    private static ExternalExecutor executor(Store store) {
        return new ExternalExecutor(new InProcessExecutor(store, 0), store, ChildJvmExecutor.Settings.defaults(), 10);
    }

    @Test
    void aShellTrainerRunsIsRecordedAndScored(@TempDir Path lab) throws IOException {
        var store = Store.open(lab.resolve("lab.db"));
        var recipe = Trainers.recipe(40, Trainers.fakeCommand(), Map.of("lr", 0.003));
        var job = ExecutorTest.job(lab, store, "ext-ok", recipe);
        var steps = new CopyOnWriteArrayList<RunWatcher.Step>();
        var result = executor(store).execute(job, new RunWatcher() {
            public void stepped(Step s) { steps.add(s); }
        });
        assertThat(result.status()).as(result.error()).isEqualTo(RunStatus.FINISHED);
        assertThat(result.steps()).isEqualTo(40);
        assertThat(result.tokens()).isEqualTo(40 * 256);
        var summary = TrainerLine.READER.readTree(Files.readString(job.runDir().resolve("summary.json")));
        assertThat(result.valBpb()).isEqualTo(summary.get("val_bpb").asDouble()).isBetween(0.7, 0.8);
        assertThat(steps).hasSize(40).last().extracting(RunWatcher.Step::progress).isEqualTo(1.0);
        assertThat(store.metrics("ext-ok", "loss")).hasSize(40);
        assertThat(store.metrics("ext-ok", "val_bpb")).singleElement().extracting(MetricPoint::value).isEqualTo(result.valBpb());
        assertThat(ResultFile.read(job.resultFile())).get().extracting(r -> r.valBpb()).isEqualTo(result.valBpb());
        // the trainer saw its settings as flags and its data and budget in the environment
        assertThat(Files.readString(job.runDir().resolve("metrics.jsonl"))).contains("\"lr\": 0.003");
        var data = TrainerLine.READER.readTree(job.runDir().resolve("data.json").toFile());
        assertThat(data.get("train").get(0).get("offset").asLong()).isPositive();
        assertThat(data.get("token_bytes").size()).isEqualTo(data.get("vocab_size").asInt());
        assertThat(data.get("val_spans").size()).isEqualTo(4); // eval.tokens 4096 in spans of 1024
    }

    @Test
    void eachWayOfBreakingTheProtocolIsACrashWithTheLogsTail(@TempDir Path lab) {
        var store = Store.open(lab.resolve("lab.db"));
        var cases = Map.of(
                "exit", List.of("echo 'CUDA out of memory' >&2; exit 3", "exited with code 3: CUDA out of memory"),
                "nosummary", List.of("echo '{\"step\": 0, \"tokens\": 8, \"loss\": 4.1}' >> metrics.jsonl",
                        "exited 0 but summary.json was not written"),
                "nometric", List.of("echo '{\"loss\": 2.0}' > summary.json", "neither \"val_bpb\" nor \"val_loss\""),
                "nan", List.of("echo '{\"val_bpb\": NaN}' > summary.json", "no finite metric"));
        cases.forEach((name, c) -> {
            var recipe = Trainers.recipe(10, Trainers.script(lab.resolve("scripts"), name + ".sh", c.get(0) + "\n"), Map.of());
            var result = executor(store).execute(ExecutorTest.job(lab, store, "ext-" + name, recipe), RunWatcher.NONE);
            assertThat(result.status()).as(name).isEqualTo(RunStatus.CRASHED);
            assertThat(result.error()).as(name).contains(c.get(1));
        });
    }

    @Test
    void aNanLossStopsTheTrainerAsDiverged(@TempDir Path lab) {
        var store = Store.open(lab.resolve("lab.db"));
        var script = Trainers.script(lab.resolve("scripts"), "nan.sh", """
                i=0
                while [ $i -lt 1000 ]; do
                  if [ $i -eq 30 ]; then l=NaN; else l=3.0; fi
                  echo "{\\"step\\": $i, \\"tokens\\": $((i * 8 + 8)), \\"loss\\": $l}" >> metrics.jsonl
                  i=$((i + 1)); sleep 0.02
                done
                echo '{"val_bpb": 1.5}' > summary.json
                """);
        var result = executor(store).execute(ExecutorTest.job(lab, store, "ext-nan", Trainers.recipe(1000, script, Map.of())),
                RunWatcher.NONE);
        assertThat(result.status()).isEqualTo(RunStatus.DIVERGED);
        assertThat(result.error()).contains("the loss became NaN at step 30");
        assertThat(result.steps()).isLessThan(1000);
        assertThat(result.events()).anySatisfy(e -> assertThat(e.kind()).isEqualTo(EventKind.NAN));
    }

    @Test
    void aSpikeIsFlaggedAndSignalledToATrainerThatSupportsIt(@TempDir Path lab) throws IOException {
        var store = Store.open(lab.resolve("lab.db"));
        var script = Trainers.script(lab.resolve("scripts"), "spike.sh", """
                echo '{"supports": ["lr_cut"]}' >> metrics.jsonl
                awk 'BEGIN { srand(7); for (s = 0; s < 200; s++) {
                  l = 2 + exp(-s / 40) + 0.01 * rand(); if (s == 150) l = 9
                  printf("{\\"step\\": %d, \\"tokens\\": %d, \\"loss\\": %.4f, \\"grad_norm\\": 1.0}\\n", s, 8 * s + 8, l) } }' >> metrics.jsonl
                echo '{"val_bpb": 1.5}' > summary.json
                """);
        var result = executor(store).execute(ExecutorTest.job(lab, store, "ext-spike", Trainers.recipe(200, script, Map.of())),
                RunWatcher.NONE);
        assertThat(result.status()).as(result.error()).isEqualTo(RunStatus.FINISHED);
        assertThat(result.events()).singleElement().satisfies(e -> {
            assertThat(e.kind()).isEqualTo(EventKind.SPIKE);
            assertThat(e.step()).isEqualTo(150);
            assertThat(e.action()).isEqualTo(EventAction.SIGNAL);
        });
        assertThat(store.events("ext-spike")).extracting(e -> e.event().kind()).containsExactly(EventKind.SPIKE);
        assertThat(Files.readString(job(lab).resolve("ext-spike").resolve("control.jsonl")))
                .isEqualTo("{\"step\": 150, \"signal\": \"lr_cut\", \"lr_scale\": 0.5}\n");
    }

    @Test
    void aRunThePrunerStopsGetsAStopFileAndSigtermAndIsScored(@TempDir Path lab) {
        var store = Store.open(lab.resolve("lab.db"));
        // evaluates and exits 0 on SIGTERM when the lab left a STOP file, as the protocol asks of a pruned run
        var script = Trainers.script(lab.resolve("scripts"), "prunable.sh", """
                trap 'if [ -f STOP ]; then echo "{\\"val_bpb\\": 2.5}" > summary.json; fi; exit 0' TERM
                i=0
                while [ $i -lt 400 ]; do
                  echo "{\\"step\\": $i, \\"tokens\\": $((8 * i + 8)), \\"loss\\": 3.0}" >> metrics.jsonl
                  i=$((i + 1)); sleep 0.02
                done
                echo '{"val_bpb": 2.0}' > summary.json
                """);
        var recipe = Trainers.recipe(400, script, Map.of());
        var rung = new EarlyStop(List.of(new EarlyStop.Rung(0.25, 0.1, 2.9, "a better run (2.9)")));
        var job = ExecutorTest.job(lab, store, "ext-pruned", recipe);
        job = new RunJob(job.runId(), recipe, job.runDir(), lab.resolve("cache"), 1, false, false, 0, store.url(), rung);
        var result = executor(store).execute(job, RunWatcher.NONE);
        assertThat(result.status()).as(result.error()).isEqualTo(RunStatus.STOPPED);
        assertThat(result.valBpb()).isEqualTo(2.5);
        assertThat(result.steps()).isBetween(100L, 300L);
        assertThat(job.runDir().resolve("STOP")).exists();
        assertThat(result.events()).anySatisfy(e -> {
            assertThat(e.kind()).isEqualTo(EventKind.EARLY_STOP);
            assertThat(e.message()).contains("above 2.9000, the threshold from a better run (2.9)");
        });
    }

    private static Path job(Path lab) {
        return lab.resolve("runs");
    }

    @Test
    void theEnvironmentCarriesTheProtocolAndNoSecrets() {
        var inherited = Map.of("PATH", "/usr/bin", "ANTHROPIC_API_KEY", "sk-ant-x", "OPENAI_API_KEY", "sk-y",
                "GITHUB_TOKEN", "ghp", "DB_PASSWORD", "p", "HOME", "/root");
        var env = TrainerLaunch.environment(inherited, Map.of("FLYWHEEL_SEED", "3"));
        assertThat(env).containsEntry("PATH", "/usr/bin").containsEntry("HOME", "/root").containsEntry("FLYWHEEL_SEED", "3")
                .doesNotContainKeys("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GITHUB_TOKEN", "DB_PASSWORD");
    }
}
