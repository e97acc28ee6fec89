package dev.flywheel.lab.exec;

import dev.flywheel.data.Progress;
import dev.flywheel.data.prep.DataCache;
import dev.flywheel.lab.run.EventAction;
import dev.flywheel.lab.run.EventKind;
import dev.flywheel.lab.run.RecipeRunner;
import dev.flywheel.lab.run.RunSpec;
import dev.flywheel.lab.run.RunStatus;
import dev.flywheel.lab.store.Store;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * trainers/torch with real PyTorch on the CPU, on a tiny model: it passes the protocol check, survives SIGTERM and
 * continues where it stopped, and a spike it is told to inject is flagged by the guard and signalled back to it.
 * Skipped, with the reason, where python3-torch is not installed (CI installs it).
 */
class TorchTrainerTest {

    @BeforeAll
    static void torch() {
        var missing = Trainers.torchMissing();
        assumeTrue(missing == null, missing);
    }

    @Test
    void itSpeaksTheProtocolAndResumesAfterSigterm(@TempDir Path lab) {
        var recipe = Trainers.recipe(200, Trainers.torchCommand(), Map.of("threads", 1)); // long enough for SIGTERM to land mid-run on a fast machine
        var data = RecipeRunner.prepare(new RunSpec("check", recipe, lab.resolve("x"), new DataCache(lab.resolve("cache")), 1,
                false, false, 0), Progress.none());
        var report = new TrainerCheck(recipe, data, 300, 1).run(lab.resolve("check"), true);
        var texts = report.items().stream().map(i -> i.level() + " " + i.text()).toList();
        assertThat(report.passed()).as(String.join("\n", texts)).isTrue();
        assertThat(texts).anyMatch(t -> t.startsWith("OK started again with FLYWHEEL_RESUME=1 it continued at step"))
                .anyMatch(t -> t.startsWith("OK it supports the signals [lr_cut]"));
        // the interrupted run, resumed, ends where the uninterrupted one does: same data order, same state
        assertThat(texts).anyMatch(t -> t.startsWith("OK the resumed run ends at val_bpb"));
    }

    @Test
    void aSpikeItIsToldToInjectIsFlaggedAndSignalled(@TempDir Path lab) throws IOException {
        var store = Store.open(lab.resolve("lab.db"));
        // 450 steps after the spike: the lab reads metrics.jsonl every 200 ms, and on an idle machine 50 steps took less
        var recipe = Trainers.recipe(600, Trainers.torchCommand(), Map.of("threads", 1, "inject_spike_at", 150));
        var job = ExecutorTest.job(lab, store, "torch-spike", recipe);
        var result = new ExternalExecutor(new InProcessExecutor(store, 0), store).execute(job, RunWatcher.NONE);
        assertThat(result.status()).as(result.error()).isEqualTo(RunStatus.FINISHED);
        assertThat(result.valBpb()).isBetween(2.5, 5.0);
        assertThat(result.events()).filteredOn(e -> e.kind() == EventKind.SPIKE).singleElement().satisfies(e -> {
            assertThat(e.step()).isEqualTo(150);
            assertThat(e.action()).isEqualTo(EventAction.SIGNAL);
        });
        assertThat(Files.readString(job.runDir().resolve("control.jsonl"))).contains("\"lr_scale\": 0.5");
        // the trainer acted on the signal: soon after the spike its learning rate halves from one step to the next
        var lr = new java.util.TreeMap<Long, Double>();
        for (var l : Files.readAllLines(job.runDir().resolve("metrics.jsonl"))) {
            var j = TrainerLine.READER.readTree(l);
            if (j.has("lr")) lr.put(j.get("step").asLong(), j.get("lr").asDouble());
        }
        assertThat(lr).hasSize(600);
        assertThat(lr.keySet()).filteredOn(s -> s > 150 && lr.get(s) / lr.get(s - 1) < 0.55).hasSize(1);
    }
}
