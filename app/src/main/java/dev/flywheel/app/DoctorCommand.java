package dev.flywheel.app;

import dev.flywheel.engine.AtomicFiles;
import dev.flywheel.lab.run.EventKind;
import dev.flywheel.lab.run.EventLog;
import dev.flywheel.lab.run.RecipeRunner;
import dev.flywheel.lab.run.RunEvent;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * The story of a run's instabilities: the guard's events in order, each spike with the documents that drove it
 * and whether the data or the optimizer state was to blame, and a quarantine list of the guilty documents that
 * {@code flywheel data prepare --exclude FILE} honours — closing the loop from training back to the data.
 */
@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = {"Explain a run's loss spikes and divergence: the guard's timeline, the documents behind each "
                + "spike, and a quarantine list for `flywheel data prepare --exclude`."})
final class DoctorCommand implements Callable<Integer> {

    @Parameters(paramLabel = "RUN", description = "A run directory, its checkpoint directory, or a run id in the lab.")
    String run;
    @Option(names = "--lab", paramLabel = "DIR", description = "Lab directory to look run ids up in (default: $FLYWHEEL_LAB or ./flywheel-lab).")
    Path lab;
    @Option(names = "--quarantine", paramLabel = "FILE", description = "Where to write the quarantine list (default: RUN_DIR/quarantine.txt).")
    Path quarantine;
    @Option(names = "--json", description = "Print one JSON object as the last line of stdout.")
    boolean json;

    @Override
    public Integer call() throws IOException {
        var o = new Output(json);
        Path runDir = resolve();
        Path logFile = runDir.resolve(RecipeRunner.EVENTS);
        var log = EventLog.read(logFile);
        if (log.allDamage())
            throw new IllegalArgumentException("the event log " + logFile + " has " + log.lines() + " lines and not one "
                    + "readable event, so the run's story is unknown; it is damaged (not JSON lines written by flywheel)");
        List<RunEvent> events = log.events();
        o.say("run %s: %d guard events", runDir, events.size());
        if (log.lostLines() > 0)
            o.say("warning: %d unreadable lines of %s were skipped (a damaged log); events after the first are missing",
                    log.unreadable(), logFile);
        var quarantined = new LinkedHashSet<String>();
        var lines = new ArrayList<String>();
        var jsonEvents = new ArrayList<Map<String, Object>>();
        var spikes = new ArrayList<Map<String, Object>>();
        int grad = 0;
        for (var e : events) {
            var je = new LinkedHashMap<String, Object>();
            je.put("step", e.step());
            je.put("kind", e.kind());
            je.put("rule", e.rule());
            je.put("action", e.action());
            je.put("message", e.message());
            je.put("measured", e.measured());
            if (e.kind() == EventKind.GRAD_SPIKE) {
                grad++; // many and small: summarised below instead of one line each
            } else {
                o.say("  step %6d  %-18s %-20s -> %s%s", e.step(), e.kind(), e.rule(), e.action(),
                        e.message() == null ? "" : "  " + e.message());
            }
            if (e.kind().hasForensics()) {
                var docs = topDocuments(e);
                je.put("top_documents", docs.stream().map(d -> d.get("document")).toList());
                String cause = String.valueOf(e.measured().getOrDefault("cause", "unknown"));
                je.put("cause", cause);
                spikes.add(Map.of("step", e.step(), "kind", e.kind(), "cause", cause,
                        "top_documents", docs.stream().map(d -> d.get("document")).toList()));
                double top = docs.isEmpty() ? 0 : number(docs.getFirst().get("excess_nats"));
                for (var d : docs) {
                    double excess = number(d.get("excess_nats"));
                    o.say("      %-40s excess %8.2f nats over %4s tokens  %s", d.get("document"), excess, d.get("tokens"),
                            snippet(d.get("snippet")));
                    // the documents that carried the spike: a clear share of the top document's excess
                    if ("data".equals(cause) && excess > 0 && excess >= 0.25 * top) {
                        if (quarantined.add(String.valueOf(d.get("document")))) {
                            lines.add(d.get("document") + "\tstep " + e.step() + "\t" + e.kind() + "\texcess "
                                    + String.format(Locale.ROOT, "%.2f", excess) + " nats");
                        }
                    }
                }
            } else if (e.kind() == EventKind.INJECT && e.measured().get("documents") instanceof List<?> injected) {
                je.put("documents", injected);
            }
            jsonEvents.add(je);
        }
        if (grad > 0) o.say("  %d gradient-norm spikes (clipped as in ZClip)", grad);
        Path qFile = quarantine != null ? quarantine : runDir.resolve("quarantine.txt");
        if (!quarantined.isEmpty()) {
            var text = new StringBuilder("# documents behind data-caused loss spikes of " + runDir
                    + "\n# use: flywheel data prepare --exclude " + qFile + "\n");
            for (String l : lines) text.append(l).append('\n');
            AtomicFiles.writeString(qFile, text.toString());
            o.say("quarantine list of %d documents: %s (flywheel data prepare --exclude %s)", quarantined.size(), qFile, qFile);
        } else {
            o.say("no data-caused spikes: nothing to quarantine");
        }
        var j = new LinkedHashMap<String, Object>();
        j.put("run", runDir.toString());
        j.put("events", jsonEvents);
        j.put("spikes", spikes);
        j.put("quarantine", quarantined.isEmpty() ? null : qFile.toString());
        j.put("quarantined_documents", List.copyOf(quarantined));
        o.result(j);
        return 0;
    }

    /** The run directory for a run directory, a checkpoint directory, or a run id. */
    private Path resolve() throws IOException {
        Path p = Path.of(run);
        if (Files.isDirectory(p)) {
            if (Files.isRegularFile(p.resolve(RecipeRunner.EVENTS))) return p;
            if (Files.isRegularFile(p.resolve("model.safetensors")) && p.getParent() != null) return p.getParent();
            if (Files.isRegularFile(p.resolve("model.safetensors")) || Files.isRegularFile(p.resolve("recipe.json"))) return p;
            throw new IllegalArgumentException(p + " is neither a run directory nor a checkpoint; give a run directory, "
                    + "a checkpoint directory or a run id");
        }
        if (!dev.flywheel.lab.Names.valid(run))
            throw new IllegalArgumentException("no run directory at " + run + ", and it is not a run id; give a run "
                    + "directory, a checkpoint directory or a run id (see flywheel study show NAME)");
        var labDir = Lab.at(lab).dir();
        if (Files.isDirectory(labDir)) {
            try (Stream<Path> walk = Files.walk(labDir, 4)) {
                var found = walk.filter(Files::isDirectory).filter(d -> d.getFileName().toString().equals(run))
                        .filter(d -> Files.isRegularFile(d.resolve(RecipeRunner.EVENTS)) || Files.isDirectory(d.resolve("checkpoint")))
                        .findFirst();
                if (found.isPresent()) return found.get();
            }
        }
        throw new IllegalArgumentException("no run '" + run + "' in " + labDir + "; give a run directory, a checkpoint "
                + "directory or a run id (see flywheel studies)");
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> topDocuments(RunEvent e) {
        Object docs = e.measured().get("top_documents");
        if (!(docs instanceof List<?> list)) return List.of();
        var out = new ArrayList<Map<String, Object>>();
        for (Object d : list) if (d instanceof Map<?, ?> m) out.add((Map<String, Object>) m);
        return out;
    }

    private static double number(Object o) {
        return o instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    private static String snippet(Object s) {
        if (s == null) return "";
        String t = s.toString().replace('\n', ' ').replace('\r', ' ');
        return t.length() > 60 ? t.substring(0, 60) + "…" : t;
    }
}
