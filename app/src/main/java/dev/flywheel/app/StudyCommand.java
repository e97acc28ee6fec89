package dev.flywheel.app;

import dev.flywheel.lab.store.Store;
import dev.flywheel.lab.study.Study;
import dev.flywheel.lab.study.StudyState;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.concurrent.Callable;

/** {@code flywheel study show NAME}: a study's standing and the table of its runs. */
@Command(name = "study", mixinStandardHelpOptions = true, description = "Look at one study.",
        subcommands = {StudyCommand.Show.class})
final class StudyCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "The study's budget, baseline, best and noise floor, and the table of its runs.")
    static final class Show implements Callable<Integer> {
        @Parameters(paramLabel = "NAME", description = "The study (see `flywheel studies`).")
        String name;
        @Option(names = "--lab", paramLabel = "DIR", description = "Lab directory (default: $FLYWHEEL_LAB or ./flywheel-lab).")
        Path lab;
        @Option(names = "--json", description = "Print one JSON object as the last line of stdout.")
        boolean json;

        @Override
        public Integer call() {
            var o = new Output(json);
            var labDir = Lab.existing(lab);
            var state = inspect(labDir, name).state();
            o.say("%s", state.headline());
            o.say("");
            o.human().print(state.table());
            o.say("");
            o.say("journal: %s", labDir.study(name).resolve(Study.JOURNAL));
            var j = new LinkedHashMap<String, Object>();
            j.put("study", state.study());
            j.put("finished", state.finished());
            j.put("metric", state.metric());
            j.put("researcher", state.researcher());
            j.put("baseline", state.baseline().metric());
            j.put("best", state.best().metric());
            j.put("best_run", state.best().run());
            j.put("noise", state.noise().used());
            j.put("kept_changes", state.best().keptChanges());
            j.put("runs", state.runs());
            j.put("journal", labDir.study(name).resolve(Study.JOURNAL).toString());
            o.result(j);
            return 0;
        }
    }

    static Study inspect(Lab labDir, String name) {
        var dir = labDir.study(name);
        if (!java.nio.file.Files.exists(labDir.store()))
            throw new IllegalArgumentException("there are no studies in " + labDir.dir() + "; check --lab");
        var store = Store.open(labDir.store());
        return Study.inspect(dir, labDir.cache().root(), store);
    }

    static StudyState state(Lab labDir, String name) {
        return inspect(labDir, name).state();
    }
}
