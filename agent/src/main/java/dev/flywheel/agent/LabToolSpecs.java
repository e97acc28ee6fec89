package dev.flywheel.agent;

import static dev.flywheel.agent.LabTools.*;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The lab's tools as an LLM sees them: names, descriptions and JSON schemas of their arguments. */
final class LabToolSpecs {
    private LabToolSpecs() {
    }

    /** The tools' definitions, fixed for every study so they stay in the cached prefix. */
    static final List<ToolSpec> SPECS = List.of(
            new ToolSpec(STUDY_STATE, "Where the study stands: objective, metric (lower is better), budget left, keep "
                    + "rule, baseline, the current best recipe and its metric, the noise floor, the search space (every "
                    + "setting you may change, with its bounds or allowed values), and a table of all runs so far with "
                    + "their hypotheses and decisions. Call it first, and whenever you need to re-orient.",
                    schema(map(), List.of())),
            new ToolSpec(RUN_EXPERIMENT, "Trains the current best recipe with your change under the study's fixed run "
                    + "budget, applies the study's keep rule (study_state's keep_rule: in a new study, paired seeds "
                    + "against the best recipe, more seeds while the call is unclear, an error budget) and returns the result: metric, "
                    + "delta vs best, noise floor, decision and why, a learning-curve summary, guard events (loss "
                    + "spikes, NaNs, divergence and what the guard did) and the run id. A kept change becomes the new "
                    + "best that later changes apply to. Changes outside the search space are rejected before anything "
                    + "runs, with a message saying what to fix. A structural change (optimizer.name, model.dim, "
                    + "model.layers, batch.size, batch.accum) is judged at its own best learning rate against the best "
                    + "at its own, from a ×0.5/×1/×2 sweep the study runs itself first, so you need not pair it with a "
                    + "learning-rate change. Takes as long as the run budget, per seed.",
                    schema(props(
                            "hypothesis", map("type", "string", "description", "Why you expect this change to lower "
                                    + "the metric, in a sentence or two; it goes into the journal as written."),
                            "changes", map("type", "object", "description", "Recipe settings to change, as dotted "
                                    + "paths to new values, such as {\"optimizer.lr\": 0.002, \"model.norm\": \"rmsnorm\"}. "
                                    + "Only settings of the search space (see study_state) may change.",
                                    "additionalProperties", map("type", List.of("number", "string", "boolean"))),
                            "seeds", map("type", "integer", "minimum", 1, "maximum", 5, "description", "Seeds to "
                                    + "start with (default: the study's minimum); the study adds seeds itself while "
                                    + "the call is unclear, so there is rarely a reason to ask for more.")),
                            List.of("hypothesis", "changes"))),
            new ToolSpec(RUN_DETAILS, "One run in depth: its recipe changes, a downsampled curve of training loss, "
                    + "learning rate and gradient norm, the validation evaluations, every guard event, diagnostics "
                    + "(still falling, plateaued, spiky, overfitting, diverged) and, for a failed run, its error and "
                    + "the end of its log.",
                    schema(props("run_id", map("type", "string", "description", "A run id from study_state or a "
                            + "run_experiment result.")), List.of("run_id"))),
            new ToolSpec(SAMPLE_TEXT, "A short text sample (" + SAMPLE_TOKENS + " tokens) from a finished run's final "
                    + "checkpoint, to see what the model has learnt.",
                    schema(props("run_id", map("type", "string", "description", "A finished run's id."),
                            "prompt", map("type", "string", "description", "Text to continue (default: a newline).")),
                            List.of("run_id"))),
            new ToolSpec(NOTE, "Writes a note in the study's journal: an insight, a pattern across runs, a plan. Your "
                    + "notes are part of the memory you keep when the conversation is restarted, so write down what "
                    + "you learnt.",
                    schema(props("text", map("type", "string", "description", "The note, in Markdown.")), List.of("text"))),
            new ToolSpec(REPLICATE, "Replicates the study's finding on fresh seeds the decisions never saw: the "
                    + "starting recipe against the current best, and the best without each kept change (that change's "
                    + "settings put back), on the same seeds for every recipe. Returns the gain (baseline − best, "
                    + "positive = the best is better) with a 95% interval, and per kept change the delta (without it − "
                    + "best, positive = the change helps) with its interval. Costs (2 + kept changes) × seeds runs of "
                    + "the study budget; the end of the study runs it anyway when the budget has room, so call it only "
                    + "when you need to know whether a kept change really helps before building on it.",
                    schema(props("seeds", map("type", "integer", "minimum", 2, "maximum", 10, "description",
                            "Fresh seeds per recipe (default 5).")), List.of())),
            new ToolSpec(SCALING_LAW, "Fits the scaling law L(N, D) = E + A/N^alpha + B/D^beta to the study's finished "
                    + "runs (N = parameters, embeddings included; D = tokens trained; L = the study's metric), as Epoch AI "
                    + "refitted Chinchilla, with 95% bootstrap intervals and warnings when the runs cannot identify the law "
                    + "(sizes or tokens spanning under 10x, sizes and tokens moving together). Returns the law, its "
                    + "compute-optimal exponent, and at each compute the optimal parameters, tokens and predicted metric with "
                    + "an interval. A study at one run budget rarely spans enough sizes: read the warnings before trusting "
                    + "an exponent. Runs nothing; takes seconds.",
                    schema(props("compute", map("type", "array", "items", map("type", "number", "exclusiveMinimum", 0),
                            "description", "Training computes C = 6ND in FLOPs to predict at (default: 10x and 100x "
                                    + "the largest run's).")), List.of())),
            new ToolSpec(FINISH, "Ends the study: the kept changes are checked at a larger model, the best recipe is "
                    + "written, and your summary goes into the journal. Call it when the budget is spent or nothing "
                    + "worth trying is left.",
                    schema(props("summary", map("type", "string", "description", "What you learnt: what worked, "
                            + "what did not and why, and what to try next.")), List.of("summary"))));

    static Map<String, Object> props(Object... kv) {
        return map(kv);
    }

    static Map<String, Object> schema(Map<String, Object> properties, List<String> required) {
        var m = new LinkedHashMap<String, Object>();
        m.put("type", "object");
        m.put("properties", properties);
        if (!required.isEmpty()) m.put("required", required);
        m.put("additionalProperties", false);
        return m;
    }
}
