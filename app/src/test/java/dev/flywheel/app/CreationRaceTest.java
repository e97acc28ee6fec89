package dev.flywheel.app;

import dev.flywheel.lab.Pause;
import dev.flywheel.lab.store.Store;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two processes creating the same new study (issue 22). The second checks that the name is free, and before it
 * takes the study's lock the first creates the study, runs it and lets go of the lock. The second must then refuse
 * — not overwrite the first's study.json with its own settings and carry on in its history.
 */
class CreationRaceTest {

    @Test
    void theSecondCreatorOfAStudyRefusesEvenWhenTheFirstWasQuicker(@TempDir Path lab) throws Exception {
        var brief = ResearchCommandTest.brief(lab);
        var go = lab.resolve("go");
        String[] common = {"research", "--lab", lab.toString(), "--brief", brief.toString(), "--study", "race",
                "--executor", "in-process", "--threads", "1", "--no-scale-check"};
        var second = new CliProcess(Map.of(Pause.ENV, "study-checked:1", Pause.UNTIL, go.toString()),
                concat(common, "--budget", "3runs"));
        long deadline = System.nanoTime() + 300_000_000_000L;
        while (second.err.stream().noneMatch(l -> l.startsWith("@flywheel-paused study-checked"))) {
            assertThat(second.process.isAlive()).as(String.join("\n", second.tail())).isTrue();
            assertThat(System.nanoTime()).isLessThan(deadline);
            Thread.sleep(50);
        }
        var first = new CliProcess(Map.of(), concat(common, "--budget", "2runs"));
        assertThat(first.await(600)).as(String.join("\n", first.tail())).isZero();
        var settings = Files.readString(lab.resolve("studies/race/study.json"));
        int runs = Store.open(lab.resolve("flywheel.db")).runs("race").size();

        Files.createFile(go);
        assertThat(second.await(300)).as(String.join("\n", second.tail())).isEqualTo(2);
        var said = second.err.stream().filter(l -> l.startsWith("flywheel: ")).toList();
        assertThat(said).hasSize(1);
        assertThat(said.getFirst()).contains("study race already exists", "--resume");
        assertThat(Files.readString(lab.resolve("studies/race/study.json"))).as("the first's settings stay").isEqualTo(settings);
        assertThat(settings).contains("2runs");
        assertThat(Store.open(lab.resolve("flywheel.db")).runs("race")).hasSize(runs);
        assertThat(lab.resolve("studies/race/study.lock")).exists();
    }

    static String[] concat(String[] a, String... b) {
        var out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
