package dev.flywheel.lab.run;

import dev.flywheel.data.prep.DataCache;
import dev.flywheel.lab.recipe.Recipe;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One run to execute.
 *
 * @param runId       the run's id (names its directory and its store rows)
 * @param recipe      what to train
 * @param runDir      where the run writes its checkpoint (runDir/checkpoint) and files
 * @param cache       where prepared data is cached (shared by all runs of a lab)
 * @param threads     worker threads for the engine
 * @param resume      continue from runDir/checkpoint when it exists (a restarted run)
 * @param evalTest    also evaluate the held-out test split at the end (only for a study's final report)
 * @param checkpointEverySeconds save a checkpoint this often (wall clock), so a killed run can resume; 0 = only at the end
 */
public record RunSpec(String runId, Recipe recipe, Path runDir, DataCache cache, int threads, boolean resume,
                      boolean evalTest, double checkpointEverySeconds) {

    public RunSpec {
        Objects.requireNonNull(runId, "runId");
        Objects.requireNonNull(recipe, "recipe");
        Objects.requireNonNull(runDir, "runDir");
        Objects.requireNonNull(cache, "cache");
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1");
    }

    public Path checkpointDir() {
        return runDir.resolve("checkpoint");
    }
}
