package dev.flywheel.lab.search;

import dev.flywheel.lab.LabException;
import dev.flywheel.lab.Metric;
import dev.flywheel.lab.budget.RunBudget;
import dev.flywheel.lab.budget.StudyBudget;
import dev.flywheel.lab.recipe.Recipe;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A research brief: the Markdown file a person edits to steer a study (like autoresearch's program.md).
 * It sets the objective, the constraints, the search space and the starting recipe; the whole text also
 * goes to an LLM researcher as its standing instructions. The format, forgiving on purpose:
 *
 * <pre>
 * # Title
 * ## Objective            prose, plus "metric: val_bpb | val_loss"
 * ## Constraints          prose, plus settings: run_budget: 60s, study_budget: 30m, max_params: 5M,
 *                         noise_seeds: 3, keep_sigmas: 2
 * ## Search space         one bullet per dimension:
 *                           - optimizer.lr: 1e-4 .. 1e-2 log     a range (".." or "to"), optionally log
 *                           - model.norm: layernorm, rmsnorm     allowed values (", " or " | ")
 *                           - defaults                           start from the default space
 *                           - model.position: default            take the default range for one setting
 *                           - model.bias: fixed                  leave a default dimension out
 * ## Baseline             bullets of settings for the starting recipe: - model.layers: 6
 * ## anything else        prose for the researcher
 * </pre>
 *
 * Headings are matched by keyword and case ("## Search", "### Dimensions to explore" both work); bullets may be
 * -, * or +; backticks, "# comments" and a trailing "(remark)" are ignored. Without a search-space section, or
 * with one that only leaves dimensions out, the default space is the start. Every line that cannot be
 * understood is reported with its line number; nothing is silently skipped.
 *
 * @param source      where the brief came from, for messages
 * @param title       the first level-one heading
 * @param objective   the objective's prose
 * @param metric      what the study minimises
 * @param constraints the constraints' prose (settings removed)
 * @param space       the search space
 * @param baseline    changes from {@link Recipe#defaults()} to the starting recipe (any path, including data.*)
 * @param studyBudget the study budget, if the brief sets one (a CLI flag overrides it)
 * @param runBudget   the run budget, if the brief sets one (a CLI flag overrides it)
 * @param noiseSeeds  how many runs of the baseline (different seeds) measure the noise floor
 * @param keepSigmas  a change is kept only if it beats the best by more than this many noise standard deviations
 * @param text        the whole Markdown
 */
public record Brief(String source, String title, String objective, Metric metric, String constraints,
                    SearchSpace space, Change baseline, Optional<StudyBudget> studyBudget,
                    Optional<RunBudget> runBudget, int noiseSeeds, double keepSigmas, String text) {

    public static final int DEFAULT_NOISE_SEEDS = 3;
    public static final double DEFAULT_KEEP_SIGMAS = 2.0;

    /** A brief that cannot be used; {@link #problems()} holds one sentence per bad line. */
    public static final class BriefException extends LabException {
        private final List<String> problems;

        BriefException(String source, List<String> problems) {
            super(problems.size() == 1 ? "brief " + source + " " + problems.getFirst()
                    : "brief " + source + " has " + problems.size() + " problems:\n  " + String.join("\n  ", problems));
            this.problems = List.copyOf(problems);
        }

        public List<String> problems() {
            return problems;
        }
    }

    /**
     * Reads a brief from Markdown text.
     *
     * @throws BriefException listing every line that could not be understood, with line numbers and fixes
     */
    public static Brief parse(String markdown, String source) {
        return new BriefParser(markdown, source).parse();
    }

    public static Brief read(Path file) {
        try {
            return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
        } catch (NoSuchFileException e) {
            throw new LabException("brief " + file + " does not exist; check the path, or start from the example in "
                    + "lab/src/main/resources/briefs/default.md");
        } catch (IOException e) {
            throw new LabException("brief " + file + " cannot be read (" + e.getMessage() + "); check its permissions");
        }
    }

    /** The brief a study uses when none is given: {@code briefs/default.md} on the classpath. */
    public static Brief defaults() {
        try (InputStream in = Brief.class.getResourceAsStream("/briefs/default.md")) {
            if (in == null) throw new IllegalStateException("briefs/default.md is missing from the lab jar");
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "briefs/default.md");
        } catch (IOException e) {
            throw new IllegalStateException("briefs/default.md cannot be read from the lab jar", e);
        }
    }

    /** The default recipe with the baseline changes and the run budget applied: the study's first run. */
    public Recipe startingRecipe() {
        var recipe = Recipe.defaults().with(baseline.values());
        return runBudget.map(b -> recipe.with(java.util.Map.of(
                "budget.kind", b.kind(), "budget.amount", b.amount()))).orElse(recipe);
    }
}
