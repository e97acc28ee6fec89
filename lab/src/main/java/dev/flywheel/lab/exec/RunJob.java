package dev.flywheel.lab.exec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flywheel.data.prep.DataCache;
import dev.flywheel.lab.Json;
import dev.flywheel.lab.LabException;
import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.run.RunSpec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * One run for an {@link Executor}: the {@link RunSpec} plus what the lab adds around it — the store its metric
 * points and events go to while it trains, and the early-stopping rule it is held to. A child JVM reads it from
 * {@code job.json} in the run directory and leaves {@code result.json} beside it.
 *
 * @param storeUrl  the JDBC URL of the store to write metric points and events to, or null for none
 * @param earlyStop the successive-halving rule for this run, or {@link EarlyStop#NONE}
 */
public record RunJob(String runId, Recipe recipe, Path runDir, Path cacheRoot, int threads, boolean resume,
                     boolean evalTest, double checkpointEverySeconds, String storeUrl, EarlyStop earlyStop) {

    public static final String JOB_FILE = "job.json", RESULT_FILE = "result.json", LOG_FILE = "run.log";

    public RunJob {
        Objects.requireNonNull(runId, "runId");
        Objects.requireNonNull(recipe, "recipe");
        runDir = runDir.toAbsolutePath();
        cacheRoot = cacheRoot.toAbsolutePath();
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1");
        earlyStop = earlyStop == null ? EarlyStop.NONE : earlyStop;
    }

    public RunSpec spec() {
        return new RunSpec(runId, recipe, runDir, new DataCache(cacheRoot), threads, resume, evalTest, checkpointEverySeconds);
    }

    public Path jobFile() {
        return runDir.resolve(JOB_FILE);
    }

    public Path resultFile() {
        return runDir.resolve(RESULT_FILE);
    }

    public Path logFile() {
        return runDir.resolve(LOG_FILE);
    }

    public RunJob withResume(boolean resume) {
        return new RunJob(runId, recipe, runDir, cacheRoot, threads, resume, evalTest, checkpointEverySeconds, storeUrl, earlyStop);
    }

    /** Writes job.json into the run directory (through a temporary file and a rename). */
    public void write() {
        ObjectNode j = Json.MAPPER.createObjectNode();
        j.put("run_id", runId);
        try {
            j.set("recipe", Json.MAPPER.readTree(recipe.canonicalJson()));
        } catch (IOException e) {
            throw new IllegalStateException("a recipe's own JSON does not parse", e);
        }
        j.put("run_dir", runDir.toString());
        j.put("cache", cacheRoot.toString());
        j.put("threads", threads);
        j.put("resume", resume);
        j.put("eval_test", evalTest);
        j.put("checkpoint_every_seconds", checkpointEverySeconds);
        j.put("store", storeUrl);
        j.set("early_stop", Json.MAPPER.valueToTree(earlyStop));
        Files2.writeAtomically(jobFile(), Json.write(j));
    }

    public static RunJob read(Path file) {
        try {
            JsonNode j = Json.MAPPER.readTree(Files.readString(file, StandardCharsets.UTF_8));
            var recipe = Recipe.parse(j.get("recipe").toString(), file.toString());
            var early = Json.MAPPER.treeToValue(j.get("early_stop"), EarlyStop.class);
            return new RunJob(j.get("run_id").asText(), recipe, Path.of(j.get("run_dir").asText()),
                    Path.of(j.get("cache").asText()), j.get("threads").asInt(), j.get("resume").asBoolean(),
                    j.get("eval_test").asBoolean(), j.get("checkpoint_every_seconds").asDouble(),
                    j.get("store").isNull() ? null : j.get("store").asText(), early);
        } catch (IOException | RuntimeException e) {
            throw new LabException("run job " + file + " cannot be read (" + e.getMessage() + "); it was written by "
                    + "the study that started this run, so start the run from the study again");
        }
    }
}
