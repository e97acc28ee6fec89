package dev.flywheel.lab.study;

import dev.flywheel.lab.budget.StudyBudget;
import dev.flywheel.lab.exec.ChildJvmExecutor;
import dev.flywheel.lab.research.BuiltinResearcher;
import dev.flywheel.lab.search.Brief;
import dev.flywheel.lab.store.Store;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A study in a process of its own, for {@link ResumeTest} to kill: args LAB BRIEF NAME BUDGET new|resume child|in-process.
 * What happens is printed on stdout as {@code @event ...} lines.
 */
public final class StudyProcessMain {

    public static void main(String[] args) throws Exception {
        var lab = Path.of(args[0]);
        var brief = Brief.parse(Files.readString(Path.of(args[1])), args[1]);
        var name = args[2];
        boolean resume = args[4].equals("resume");
        var store = Store.open(lab.resolve("flywheel.db"));
        var settings = new StudySettings(name, brief, brief.startingRecipe(), "builtin", StudyBudget.parse(args[3]),
                lab.resolve("studies").resolve(name), lab.resolve("cache"), 1, 1, true, true, 0.2);
        var out = System.out;
        var listener = new StudyListener() {
            public void runStarted(RunStart s) {
                out.println("@run-start " + s.runId() + (s.resumed() ? " resumed" : ""));
            }

            public void runEnded(String runId, String status, Double metric, double wall) {
                out.println("@run-end " + runId + " " + status);
            }

            public void decided(ExperimentResult r) {
                out.println("@decided " + r.experiment() + " " + r.decision());
            }
        };
        var executor = args[5].equals("child") ? new ChildJvmExecutor() : new dev.flywheel.lab.exec.InProcessExecutor(store);
        try (var study = Study.open(settings, resume, store, executor, listener)) {
            StudyLoop.run(study, new BuiltinResearcher(7));
        }
        out.println("@done");
        out.flush();
    }
}
