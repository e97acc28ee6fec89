package dev.flywheel.lab.study;

import dev.flywheel.lab.budget.StudyBudget;
import dev.flywheel.lab.exec.InProcessExecutor;
import dev.flywheel.lab.search.Brief;
import dev.flywheel.lab.search.Change;
import dev.flywheel.lab.store.Role;
import dev.flywheel.lab.store.Store;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The decision procedure on real runs (issue 15's acceptance): a study whose researcher proposes only nudges with no
 * real effect — changes of 0.1–0.3% to optimizer settings — and the same study with one real change among them.
 * Real training throughout (a 1-layer byte model on Tiny Shakespeare, a fixed number of steps per run, so the
 * machine's speed cannot move a metric). Not a unit test: it trains about a hundred small models.
 *
 * <pre>{@code
 * java -cp ... dev.flywheel.lab.study.NudgeStudyMain LAB_DIR BRIEF.md [keep-rule]
 * }</pre>
 */
public final class NudgeStudyMain {

    public static void main(String[] args) throws Exception {
        var lab = Path.of(args[0]);
        var brief = Brief.parse(Files.readString(Path.of(args[1])), args[1]);
        var decisions = args.length > 2 && args[2].equals("keep-rule") ? DecisionSettings.keepRule() : null;
        var nudges = List.of(
                Change.of("optimizer.grad_clip", 1.002), Change.of("optimizer.beta2", 0.9902),
                Change.of("optimizer.weight_decay", 0.1002), Change.of("optimizer.lr", 0.001001),
                Change.of("optimizer.grad_clip", 0.998), Change.of("optimizer.beta2", 0.9898),
                Change.of("optimizer.weight_decay", 0.0998), Change.of("optimizer.lr", 0.000999),
                Change.of("optimizer.grad_clip", 1.003), Change.of("optimizer.beta2", 0.9903),
                Change.of("optimizer.weight_decay", 0.1003), Change.of("optimizer.lr", 0.001002));
        for (var withReal : new boolean[]{false, true}) {
            var name = (withReal ? "nudges-and-one-real" : "nudges-only") + (decisions == null ? "" : "-keep-rule");
            var changes = new ArrayList<>(nudges);
            if (withReal) changes.add(5, Change.of("optimizer.lr", 0.004));   // a 4× learning rate at 150 steps
            var store = Store.open(lab.resolve("flywheel.db"));
            var settings = new StudySettings(name, brief, brief.startingRecipe(), "nudges", new StudyBudget.Runs(60),
                    lab.resolve("studies").resolve(name), lab.resolve("cache"), 1, 2, false, false, 0, decisions);
            try (var study = Study.open(settings, false, store, new InProcessExecutor(store), StudyListener.NONE)) {
                study.runBaseline();
                for (var c : changes) {
                    var r = study.runExperiment("nudges", "a nudge", c, 1);
                    System.out.printf(Locale.ROOT, "%s %-32s %-8s runs %d%n", name, c.describe(), r.decision(), r.runs().size());
                }
                var h = study.record();
                long kept = h.trials().values().stream().filter(t -> t.getFirst().role() == Role.EXPERIMENT
                        && h.decision(t.getFirst().id()).decision() == dev.flywheel.lab.store.Decision.KEEP).count();
                System.out.printf(Locale.ROOT, "%s: %d changes, %d kept, %d runs (%d experiment seeds, %d re-measures), "
                                + "baseline σ %s%n", name, changes.size(), kept, h.runs().size(),
                        h.runs().stream().filter(r -> r.role() == Role.EXPERIMENT || r.role() == Role.CONFIRM).count(),
                        h.runsOf(Role.REMEASURE).size(), Standing.of(h).noise().describe());
            }
        }
    }
}
