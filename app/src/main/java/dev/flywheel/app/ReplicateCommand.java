package dev.flywheel.app;

import dev.flywheel.lab.exec.Executor;
import dev.flywheel.lab.store.Store;
import dev.flywheel.lab.study.Study;
import dev.flywheel.lab.study.StudySettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code flywheel replicate STUDY}: the study's starting recipe against its best, and the best without each kept
 * change, on fresh paired seeds; the runs are the study's (role replication), so a killed replicate resumes.
 */
@Command(name = "replicate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Replicate a study's finding on fresh seeds: the starting recipe against the best recipe,",
                "and the best without each kept change, K seeds each (seed s of every recipe has the same",
                "initialisation and data order). Reports the gain with a 95% interval on validation and on the",
                "held-out test split, and each kept change's share. Finished runs are reused: run it again to resume."})
final class ReplicateCommand implements Callable<Integer> {

    @Parameters(paramLabel = "STUDY", description = "The study (see `flywheel studies`).")
    String name;
    @Option(names = "--seeds", defaultValue = "5", paramLabel = "K", description = "Fresh seeds per recipe (default: ${DEFAULT-VALUE}).")
    int seeds;
    @Option(names = "--lab", paramLabel = "DIR", description = "Lab directory (default: $FLYWHEEL_LAB or ./flywheel-lab).")
    Path lab;
    @Mixin
    ExecutionOptions execution;
    @Option(names = "--json", description = "Print one JSON object as the last line of stdout.")
    boolean json;

    @Override
    public Integer call() {
        var o = new Output(json);
        var labDir = Lab.at(lab);
        var dir = labDir.study(name);
        execution.check();
        if (seeds < 2 || seeds > 20) throw new IllegalArgumentException("--seeds must be between 2 and 20 (got " + seeds + ")");
        int perRun = execution.threadsPerRun();
        if (!StudySettings.exists(dir) || !java.nio.file.Files.exists(labDir.store()))
            throw new IllegalArgumentException("there is no study " + name + " in " + labDir.dir()
                    + "; list the studies with `flywheel studies`, or check --lab");
        var store = Store.open(labDir.store());
        var settings = StudySettings.read(dir, labDir.cache().root()).withExecution(labDir.cache().root(), execution.concurrency, perRun);
        Executor ex = execution.executor(store);
        var progress = new StudyProgress(o.human(), TrainCommand.dataProgress(o));
        o.say("replicating study %s on %d fresh seeds", name, seeds);
        dev.flywheel.lab.study.ReplicationReport report;
        try (var study = Study.open(settings, true, store, ex, progress)) {
            report = study.replicate(seeds);
        }
        progress.endLine();
        o.say("");
        o.say("%s", report.headline());
        o.say("");
        o.human().print(report.table());
        o.say("journal: %s", dir.resolve(Study.JOURNAL));
        var j = report.toMap(true);
        j.put("journal", dir.resolve(Study.JOURNAL).toString());
        o.result(j);
        return 0;
    }
}
