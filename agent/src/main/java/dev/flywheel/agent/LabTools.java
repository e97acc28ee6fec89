package dev.flywheel.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.flywheel.data.DataException;
import dev.flywheel.engine.CheckpointException;
import dev.flywheel.lab.LabException;
import dev.flywheel.lab.search.Change;
import dev.flywheel.lab.search.ChangeResult;
import dev.flywheel.lab.study.Lab;
import dev.flywheel.lab.study.Curve;
import dev.flywheel.lab.study.ExperimentResult;
import dev.flywheel.lab.study.RunDetails;
import dev.flywheel.lab.study.StudyState;

import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The seven tools an LLM researcher drives a study with — {@code study_state}, {@code run_experiment},
 * {@code run_details}, {@code sample_text}, {@code note}, {@code replicate}, {@code finish} — and nothing more: no tool runs code,
 * reads files, touches the evaluation data or metric, or sees the test split. Arguments are checked before anything
 * runs, and every problem (malformed JSON, a missing or mistyped argument, an unknown tool, a change the search
 * space rejects) comes back as an error result that says what to do instead; nothing a model sends can end the
 * study.
 */
final class LabTools {

    static final String STUDY_STATE = "study_state", RUN_EXPERIMENT = "run_experiment", RUN_DETAILS = "run_details",
            SAMPLE_TEXT = "sample_text", NOTE = "note", REPLICATE = "replicate", FINISH = "finish",
            SCALING_LAW = "scaling_law";

    static final int MAX_TEXT = 4000;
    static final int SAMPLE_TOKENS = 200;
    static final double SAMPLE_TEMPERATURE = 0.8;
    static final int SAMPLE_TOP_K = 40;

    /** The tools' definitions ({@link LabToolSpecs}). */
    static final List<ToolSpec> SPECS = LabToolSpecs.SPECS;

    static final Set<String> NAMES = Set.copyOf(SPECS.stream().map(ToolSpec::name).toList());

    /** One rejected proposal, for the memory: what was proposed and why the study refused it. */
    record Rejection(String changes, String reason) {}

    /** A tool's result, and what it did to the study. */
    record Outcome(String tool, String content, boolean error, boolean ranExperiment) {}

    private final Lab study;
    private final String proposer;
    private final Runnable beforeFinish;
    private final List<Rejection> rejections = new ArrayList<>();
    private boolean finished;

    /** @param beforeFinish what to write in the journal before the study's summary (the LLM usage) */
    LabTools(Lab study, String proposer, Runnable beforeFinish) {
        this.study = study;
        this.proposer = proposer;
        this.beforeFinish = beforeFinish;
    }

    boolean finished() {
        return finished;
    }

    List<Rejection> rejections() {
        return List.copyOf(rejections);
    }

    /** Runs one call, or explains why not; never throws for anything the model sent. */
    Outcome call(Chat.ToolCall call) {
        var name = call.name() == null ? "" : call.name().strip();
        if (!NAMES.contains(name))
            return error(name, "There is no tool named \"" + name + "\". The tools are " + String.join(", ",
                    SPECS.stream().map(ToolSpec::name).toList()) + "; nothing ran.");
        if (finished)
            return error(name, "The study is finished; no tool can change it any more.");
        JsonNode args;
        try {
            args = parseArguments(call.arguments());
        } catch (ArgumentException e) {
            return error(name, name + " was not run: " + e.getMessage());
        }
        try {
            return switch (name) {
                case STUDY_STATE -> studyState(args);
                case RUN_EXPERIMENT -> runExperiment(args);
                case RUN_DETAILS -> runDetails(args);
                case SAMPLE_TEXT -> sampleText(args);
                case NOTE -> note(args);
                case REPLICATE -> replicate(args);
                case SCALING_LAW -> scalingLaw(args);
                case FINISH -> finish(args);
                default -> throw new IllegalStateException(name);
            };
        } catch (ArgumentException e) {
            return error(name, name + " was not run: " + e.getMessage());
        } catch (LabException | CheckpointException | DataException | IllegalArgumentException e) {
            return error(name, name + " failed: " + e.getMessage());
        } catch (RuntimeException e) {
            return error(name, name + " failed with an internal error (" + e.getClass().getSimpleName() + ": "
                    + e.getMessage() + "); try something else");
        }
    }

    // ---- the tools --------------------------------------------------------------------------------------------------

    private Outcome studyState(JsonNode args) {
        allowOnly(args, Set.of());
        var s = study.state();
        var out = new LinkedHashMap<String, Object>();
        out.put("study", s.study());
        out.put("title", s.title());
        out.put("objective", s.objective());
        out.put("metric", s.metric() + " on the validation split, lower is better (fixed by the study)");
        var b = s.budget();
        var budget = new LinkedHashMap<String, Object>();
        budget.put("study_budget", b.total());
        budget.put("run_budget", b.perRun());
        budget.put("spent_seconds", round(b.spentSeconds()));
        if (b.leftSeconds() != null) budget.put("left_seconds", round(b.leftSeconds()));
        budget.put("runs_done", b.runsDone());
        if (b.runsLeft() != null) budget.put("runs_left", b.runsLeft());
        budget.put("seconds_per_run", round(b.runSeconds()));
        budget.put("can_run_another_experiment", !b.spent());
        out.put("budget", budget);
        out.put("keep_rule", s.keepRule());
        out.put("baseline", map("runs", s.baseline().runs(), "metrics", roundAll(s.baseline().metrics()),
                "metric", round(s.baseline().metric())));
        out.put("noise_floor", map("sigma_used", round(s.noise().used()), "sigma_measured", round(s.noise().measured()),
                "degrees_of_freedom", s.noise().dof(), "description", s.noise().describe()));
        var best = new LinkedHashMap<String, Object>();
        best.put("run", s.best().run());
        best.put("metric", round(s.best().metric()));
        best.put("kept_changes", s.best().keptChanges());
        best.put("differs_from_start", s.best().diffFromStart());
        best.put("recipe", s.best().recipe() == null ? null : roundValues(s.best().recipe().flatten()));
        out.put("best", best);
        out.put("search_space", s.searchSpace());
        out.put("fixed", "data.*, eval.*, seed and budget.* are fixed by the study: the same for every run so results compare");
        out.put("runs", s.runs().stream().map(LabTools::row).toList());
        var notes = s.notes();
        out.put("notes", notes.subList(Math.max(0, notes.size() - 20), notes.size()));
        out.put("finished", s.finished());
        return ok(STUDY_STATE, write(out), false);
    }

    private Outcome runExperiment(JsonNode args) {
        allowOnly(args, Set.of("hypothesis", "changes", "seeds"));
        var hypothesis = text(args, "hypothesis");
        var changes = args.get("changes");
        if (changes == null || changes.isNull())
            throw new ArgumentException("\"changes\" is missing; give an object of dotted recipe paths to new values, "
                    + "such as {\"optimizer.lr\": 0.002}");
        if (!changes.isObject())
            throw new ArgumentException("\"changes\" must be an object of dotted recipe paths to new values, such as "
                    + "{\"optimizer.lr\": 0.002}, not " + kind(changes));
        if (changes.isEmpty())
            throw new ArgumentException("\"changes\" is empty; change at least one setting of the search space");
        int seeds = 1;
        var s = args.get("seeds");
        if (s != null && !s.isNull()) {
            if (!s.isNumber() || s.asDouble() != Math.rint(s.asDouble()))
                throw new ArgumentException("\"seeds\" must be a whole number from 1 to 5, not " + s);
            seeds = s.asInt();
            if (seeds < 1 || seeds > 5) throw new ArgumentException("\"seeds\" must be from 1 to 5, not " + seeds);
        }
        Change change = Change.of(changes);
        if (study.validate(change) instanceof ChangeResult.Rejected r) {
            rejections.add(new Rejection(change.describe(), r.message().replace('\n', ' ')));
            study.note(proposer, "A proposal of mine was rejected before running (" + change.describe() + "): "
                    + String.join("; ", r.reasons()));
            return error(RUN_EXPERIMENT, "The change was rejected and nothing ran: " + String.join(" ", r.reasons()));
        }
        if (!study.canRunExperiment())
            return error(RUN_EXPERIMENT, "The study budget is spent: no further experiment fits. Call finish with your summary.");
        ExperimentResult e = study.runExperiment(proposer, hypothesis, change, seeds);
        var out = new LinkedHashMap<String, Object>();
        out.put("experiment", e.experiment());
        out.put("runs", e.runs());
        out.put("change", e.change());
        out.put("status", e.status());
        out.put("metric", round(e.metric()));
        out.put("metrics", roundAll(e.metrics()));
        out.put("best_before", round(e.bestBefore()));
        out.put("delta_vs_best", round(e.delta()));
        out.put("noise_floor", round(e.noiseFloor()));
        out.put("sigmas_better", round(e.sigmas()));
        out.put("decision", e.decision());
        out.put("why", e.rationale());
        out.put("curve", e.curve());
        out.put("guard_events", e.events());
        out.put("best_after", round(e.bestAfter()));
        var st = study.state().budget();
        out.put("budget_left", st.leftSeconds() != null ? String.format(Locale.ROOT, "%.0f s", st.leftSeconds())
                : st.runsLeft() != null ? st.runsLeft() + " runs" : "?");
        out.put("can_run_another_experiment", study.canRunExperiment());
        return ok(RUN_EXPERIMENT, write(out), true);
    }

    private Outcome runDetails(JsonNode args) {
        allowOnly(args, Set.of("run_id"));
        var id = text(args, "run_id");
        RunDetails d = study.runDetails(id.strip());
        var out = new LinkedHashMap<String, Object>();
        out.put("run", row(d.row()));
        out.put("diff_from_parent", d.diffFromParent());
        out.put("diff_from_start", d.diffFromStart());
        var curve = new ArrayList<Map<String, Object>>();
        for (Curve.Point p : thin(d.curve(), 32))
            curve.add(map("step", p.step(), "progress", round(p.progress()), "loss", round(p.loss()), "lr", round(p.lr()),
                    "grad_norm", round(p.gradNorm())));
        out.put("curve", curve);
        var evals = new ArrayList<Map<String, Object>>();
        for (double[] e : d.evals()) evals.add(map("step", (long) e[0], "val_loss", round(e[1]), "val_metric", round(e[2])));
        out.put("evaluations", evals);
        out.put("events", d.events());
        var g = d.diagnostics();
        out.put("diagnostics", map("summary", g.summary(), "still_falling", g.stillFalling(), "plateaued", g.plateaued(),
                "spiky", g.spiky(), "overfitting", g.overfitting(), "diverged", g.diverged(),
                "loss_spikes", g.spikes(), "guard_events", g.guardEvents(), "tokens_per_second", round(g.tokensPerSecond())));
        if (d.error() != null) out.put("error", d.error());
        if (d.logTail() != null) out.put("log_tail", d.logTail());
        out.put("has_checkpoint", d.checkpoint() != null);
        return ok(RUN_DETAILS, write(out), false);
    }

    private Outcome sampleText(JsonNode args) {
        allowOnly(args, Set.of("run_id", "prompt"));
        var id = text(args, "run_id").strip();
        var p = args.get("prompt");
        String prompt = "\n";
        if (p != null && !p.isNull()) {
            if (!p.isTextual()) throw new ArgumentException("\"prompt\" must be a string, not " + kind(p));
            if (p.asText().length() > 1000) throw new ArgumentException("\"prompt\" must be at most 1000 characters");
            if (!p.asText().isEmpty()) prompt = p.asText();
        }
        var d = study.runDetails(id);
        if (d.checkpoint() == null)
            return error(SAMPLE_TEXT, "Run " + id + " has no checkpoint (" + d.row().status()
                    + "); sample a finished run, such as the best run " + study.state().best().run() + ".");
        var s = CheckpointSampler.sample(Path.of(d.checkpoint()), prompt, SAMPLE_TOKENS, SAMPLE_TEMPERATURE, SAMPLE_TOP_K,
                1234, Math.max(1, study.settings().threads()));
        return ok(SAMPLE_TEXT, write(map("run_id", id, "prompt", s.prompt(), "sample", s.continuation(), "tokens",
                s.tokens(), "temperature", s.temperature(), "top_k", s.topK())), false);
    }

    private Outcome note(JsonNode args) {
        allowOnly(args, Set.of("text"));
        var text = text(args, "text");
        study.note(proposer, text);
        return ok(NOTE, "Noted in the journal.", false);
    }

    private Outcome replicate(JsonNode args) {
        allowOnly(args, Set.of("seeds"));
        int seeds = 5;
        var s = args.get("seeds");
        if (s != null && !s.isNull()) {
            if (!s.isNumber() || s.asDouble() != Math.rint(s.asDouble()))
                throw new ArgumentException("\"seeds\" must be a whole number from 2 to 10, not " + s);
            seeds = s.asInt();
            if (seeds < 2 || seeds > 10) throw new ArgumentException("\"seeds\" must be from 2 to 10, not " + seeds);
        }
        int before = study.record().runs().size();
        // the held-out test figures stay out of what the model sees, as everywhere else
        var report = write(study.replicate(seeds).toMap(false));
        // with nothing kept there is nothing to replicate, and nothing ran
        return ok(REPLICATE, report, study.record().runs().size() > before);
    }

    private Outcome scalingLaw(JsonNode args) {
        allowOnly(args, Set.of("compute"));
        var computes = new ArrayList<Double>();
        var c = args.get("compute");
        if (c != null && !c.isNull()) {
            if (!c.isArray()) throw new ArgumentException("\"compute\" must be a list of FLOPs such as [1e15, 1e16], not " + c);
            for (var x : c) {
                if (!x.isNumber() || !(x.asDouble() > 0) || !Double.isFinite(x.asDouble()))
                    throw new ArgumentException("every \"compute\" must be a positive number of FLOPs, not " + x);
                computes.add(x.asDouble());
            }
        }
        return ok(SCALING_LAW, write(dev.flywheel.lab.scaling.RunsLaw.summary(study.record().runs(), computes)), false);
    }

    private Outcome finish(JsonNode args) {
        allowOnly(args, Set.of("summary"));
        var summary = text(args, "summary");
        beforeFinish.run();
        var c = study.finish(summary);
        finished = true;
        // The held-out test metric stays out of what the model sees.
        return ok(FINISH, String.format(Locale.ROOT, "The study is finished: %d runs, %d kept; %s baseline %s → best %s. "
                        + "Your summary is in the journal %s.", c.runs(), c.kept(), c.metric(), fmt(c.baselineMetric()),
                fmt(c.bestMetric()), c.journal()), false);
    }

    // ---- arguments --------------------------------------------------------------------------------------------------

    /** A problem with the arguments, in words the model can act on. */
    static final class ArgumentException extends RuntimeException {
        ArgumentException(String message) {
            super(message);
        }
    }

    static JsonNode parseArguments(String arguments) {
        if (arguments == null || arguments.isBlank()) return Json.MAPPER.createObjectNode();
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(arguments);
        } catch (JsonProcessingException e) {
            throw new ArgumentException("the arguments are not valid JSON (" + e.getOriginalMessage()
                    + "); send one JSON object, such as {\"run_id\": \"...\"}");
        }
        if (node == null || node.isNull() || node.isMissingNode()) return Json.MAPPER.createObjectNode();
        if (!node.isObject())
            throw new ArgumentException("the arguments must be one JSON object, not " + kind(node));
        return node;
    }

    private static void allowOnly(JsonNode args, Set<String> allowed) {
        var unknown = new LinkedHashSet<String>();
        for (Iterator<String> it = args.fieldNames(); it.hasNext(); ) {
            var f = it.next();
            if (!allowed.contains(f)) unknown.add(f);
        }
        if (!unknown.isEmpty())
            throw new ArgumentException("unknown argument" + (unknown.size() > 1 ? "s " : " ") + String.join(", ", unknown)
                    + (allowed.isEmpty() ? "; this tool takes no arguments" : "; the arguments are " + String.join(", ", allowed)));
    }

    private static String text(JsonNode args, String name) {
        var v = args.get(name);
        if (v == null || v.isNull()) throw new ArgumentException("\"" + name + "\" is missing");
        if (!v.isTextual()) throw new ArgumentException("\"" + name + "\" must be a string, not " + kind(v));
        if (v.asText().isBlank()) throw new ArgumentException("\"" + name + "\" is empty");
        if (v.asText().length() > MAX_TEXT)
            throw new ArgumentException("\"" + name + "\" must be at most " + MAX_TEXT + " characters (got " + v.asText().length() + ")");
        return v.asText().strip();
    }

    private static String kind(JsonNode n) {
        return switch (n.getNodeType()) {
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            default -> n.getNodeType().name().toLowerCase(Locale.ROOT);
        };
    }

    // ---- output -----------------------------------------------------------------------------------------------------

    private static Outcome ok(String tool, String content, boolean ran) {
        return new Outcome(tool, content, false, ran);
    }

    private static Outcome error(String tool, String content) {
        return new Outcome(tool, content, true, false);
    }

    static Map<String, Object> row(StudyState.Row r) {
        var m = new LinkedHashMap<String, Object>();
        m.put("n", r.ordinal());
        m.put("run", r.run());
        if (r.experiment() != null && !r.experiment().equals(r.run())) m.put("experiment", r.experiment());
        m.put("role", r.role());
        m.put("proposer", r.proposer());
        m.put("change", r.change());
        m.put("status", r.stoppedAt() != null ? String.format(Locale.ROOT, "stopped early at %.0f%%", 100 * r.stoppedAt()) : r.status());
        m.put("metric", round(r.metric()));
        m.put("delta", round(r.delta()));
        m.put("decision", r.decision());
        if (r.hypothesis() != null) m.put("hypothesis", clip(r.hypothesis(), 160));
        return m;
    }

    private static <T> List<T> thin(List<T> xs, int n) {
        if (xs.size() <= n) return xs;
        var out = new ArrayList<T>(n);
        for (int i = 0; i < n; i++) out.add(xs.get((int) ((long) (i + 1) * xs.size() / n) - 1));
        return out;
    }

    static Map<String, Object> map(Object... kv) {
        var m = new LinkedHashMap<String, Object>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }


    /** Five significant digits: enough for metrics and learning rates, short in tokens. */
    static Object round(Double x) {
        if (x == null) return null;
        if (!Double.isFinite(x)) return Double.isNaN(x) ? null : x.toString();
        if (x == 0) return 0.0;
        return new BigDecimal(x).round(new MathContext(5)).doubleValue();
    }

    private static List<Object> roundAll(List<Double> xs) {
        return xs.stream().map(LabTools::round).toList();
    }

    private static Map<String, Object> roundValues(Map<String, Object> m) {
        var out = new LinkedHashMap<String, Object>();
        m.forEach((k, v) -> out.put(k, v instanceof Double d ? round(d) : v));
        return out;
    }

    private static String fmt(Double x) {
        return x == null ? "—" : String.format(Locale.ROOT, "%.4f", x);
    }

    static String clip(String s, int n) {
        var t = s.replaceAll("\\s+", " ").strip();
        return t.length() <= n ? t : t.substring(0, n - 1) + "…";
    }

    static String write(Object value) {
        try {
            return Json.MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a tool result as JSON", e);
        }
    }
}
