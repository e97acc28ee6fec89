package dev.flywheel.lab.study;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flywheel.lab.Json;
import dev.flywheel.lab.LabException;
import dev.flywheel.lab.Names;
import dev.flywheel.lab.Metric;
import dev.flywheel.lab.exec.Files2;
import dev.flywheel.lab.budget.RunBudget;
import dev.flywheel.lab.budget.StudyBudget;
import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.search.Brief;
import dev.flywheel.lab.search.SearchSpace;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Objects;

/**
 * Everything that defines a study, fixed when it is created and saved as {@code study.json} in its folder, so a
 * resumed study goes on exactly as it began — except how it executes (concurrency, threads, cache), which the
 * resuming command may change.
 *
 * @param name        the study's name: its folder under the lab's studies and the prefix of its run ids
 * @param brief       the research brief: objective, metric, search space, noise seeds, keep sigmas
 * @param start       the starting recipe (the brief's baseline with the command's data and run budget)
 * @param researcher  who proposes: builtin, random, or a model id
 * @param budget      what the whole study may spend
 * @param dir         the study's folder (journal.md, results.tsv, progress.png, runs/)
 * @param cacheRoot   the lab's prepared-data cache
 * @param concurrency runs at once (seeds of one experiment, the baseline's seeds)
 * @param threads     engine threads per run
 * @param earlyStop   stop clearly losing runs against earlier learning curves (successive halving)
 * @param scaleConfirm re-run the kept changes at a larger model before the study ends
 * @param checkpointEverySeconds how often a run saves a checkpoint to resume from after a kill (0 = only at its end)
 * @param decisions   how experiments are decided; a study made before there was a choice used the keep rule
 */
public record StudySettings(String name, Brief brief, Recipe start, String researcher, StudyBudget budget, Path dir,
                            Path cacheRoot, int concurrency, int threads, boolean earlyStop, boolean scaleConfirm,
                            double checkpointEverySeconds, DecisionSettings decisions) {

    public static final String FILE = "study.json";

    public StudySettings {
        // before anything uses dir: forOpening writes study.json there, and the name is the folder's
        Names.require("study name", name);
        Objects.requireNonNull(brief, "brief");
        Objects.requireNonNull(start, "start");
        Objects.requireNonNull(researcher, "researcher");
        Objects.requireNonNull(budget, "budget");
        dir = dir.toAbsolutePath();
        cacheRoot = cacheRoot.toAbsolutePath();
        if (concurrency < 1) throw new LabException("concurrency must be at least 1 (got " + concurrency + ")");
        if (threads < 1) throw new LabException("threads per run must be at least 1 (got " + threads + ")");
        if (brief.noiseSeeds() < 1) throw new LabException("noise_seeds must be at least 1");
        if (decisions == null) decisions = DecisionSettings.paired(budget, brief.noiseSeeds());
    }

    /** A new study's settings, decided by paired seeds ({@link DecisionSettings#paired}). */
    public StudySettings(String name, Brief brief, Recipe start, String researcher, StudyBudget budget, Path dir,
                         Path cacheRoot, int concurrency, int threads, boolean earlyStop, boolean scaleConfirm,
                         double checkpointEverySeconds) {
        this(name, brief, start, researcher, budget, dir, cacheRoot, concurrency, threads, earlyStop, scaleConfirm,
                checkpointEverySeconds, null);
    }

    public SearchSpace space() {
        return brief.space();
    }

    public Metric metric() {
        return brief.metric();
    }

    public RunBudget runBudget() {
        return start.runBudget();
    }

    public int noiseSeeds() {
        return brief.noiseSeeds();
    }

    public double keepSigmas() {
        return brief.keepSigmas();
    }

    /**
     * The settings a study opens with: for a new study these (written to study.json), for a resumed one its saved
     * settings with this command's execution (cache, concurrency, threads). Writes nothing.
     *
     * @param inStore whether the store already has a study of this name
     * @throws LabException when the study exists and {@code resume} is false, or does not and it is true
     */
    static StudySettings forOpening(StudySettings given, boolean resume, boolean inStore) {
        var name = given.name();
        if (resume) {
            if (!exists(given.dir()))
                throw new LabException(inStore
                        ? "study " + name + " cannot be resumed: its settings file " + given.dir().resolve(FILE)
                        + " is missing; start a new study under another name"
                        : "there is no study " + name + " to resume; check the name with `flywheel studies`");
            return read(given.dir(), given.cacheRoot()).withExecution(given.cacheRoot(), given.concurrency(), given.threads());
        }
        if (inStore || exists(given.dir()))
            throw new LabException("study " + name + " already exists; add --resume to continue it, or choose "
                    + "another name with --study");
        return given; // written by Study.open once its data is known to be usable

    }

    public StudySettings withExecution(Path cacheRoot, int concurrency, int threads) {
        return new StudySettings(name, brief, start, researcher, budget, dir, cacheRoot, concurrency, threads, earlyStop,
                scaleConfirm, checkpointEverySeconds, decisions);
    }

    /** Writes study.json (through a temporary file and a rename). */
    public void write() {
        var j = new LinkedHashMap<String, Object>();
        j.put("name", name);
        j.put("researcher", researcher);
        j.put("budget", budget.format());
        j.put("brief_source", brief.source());
        j.put("brief", brief.text());
        j.put("concurrency", concurrency);
        j.put("threads", threads);
        j.put("early_stop", earlyStop);
        j.put("scale_confirm", scaleConfirm);
        j.put("checkpoint_every_seconds", checkpointEverySeconds);
        j.put("decisions", decisions.toJson());
        try {
            j.put("start", Json.MAPPER.readTree(start.canonicalJson()));
            Files2.writeAtomically(dir.resolve(FILE), Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(j));
        } catch (IOException e) {
            throw new LabException("study settings " + dir.resolve(FILE) + " cannot be written (" + e.getMessage()
                    + "); check that the lab directory is writable");
        }
    }

    /** Reads study.json from a study folder. */
    public static StudySettings read(Path dir, Path cacheRoot) {
        var file = dir.resolve(FILE);
        try {
            JsonNode j = Json.MAPPER.readTree(Files.readString(file, StandardCharsets.UTF_8));
            var brief = Brief.parse(j.get("brief").asText(), j.get("brief_source").asText());
            var start = Recipe.parse(j.get("start").toString(), file.toString());
            return new StudySettings(j.get("name").asText(), brief, start, j.get("researcher").asText(),
                    StudyBudget.parse(j.get("budget").asText()), dir, cacheRoot, j.get("concurrency").asInt(),
                    j.get("threads").asInt(), j.get("early_stop").asBoolean(), j.get("scale_confirm").asBoolean(),
                    j.get("checkpoint_every_seconds").asDouble(), DecisionSettings.fromJson(j.get("decisions")));
        } catch (IOException e) {
            throw new LabException("study settings " + file + " cannot be read (" + e.getMessage()
                    + "); the study cannot be resumed without them");
        }
    }

    public static boolean exists(Path dir) {
        return Files.isRegularFile(dir.resolve(FILE));
    }
}
