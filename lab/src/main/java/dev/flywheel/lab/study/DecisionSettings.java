package dev.flywheel.lab.study;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flywheel.lab.LabException;
import dev.flywheel.lab.budget.StudyBudget;
import dev.flywheel.lab.decide.SequentialRule;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * How a study decides its experiments, fixed when it is created (saved in study.json) so that a resumed study goes
 * on under the same rule and error budget.
 *
 * <ul>
 *   <li>{@link Procedure#PAIRED} (new studies): each seed of an experiment against the best recipe's run on the same
 *   seed; the sequential rule adds seeds while the call is ambiguous, from {@code minSeeds} to {@code maxSeeds}; an
 *   error budget of {@code alpha} over {@code horizon} experiments bounds the chance of keeping any change that does
 *   nothing; a kept change is re-measured on {@code remeasureSeeds} fresh seeds. See docs/decision.md.</li>
 *   <li>{@link Procedure#KEEP_RULE} (studies made before): one run beats the best by k·σ ({@link KeepRule}).</li>
 * </ul>
 *
 * @param horizon the number of experiments the study's α is spread over: set at creation to what the budget affords
 * @param lrSweep under the paired procedure, whether a structural change (optimizer, width, depth, batch) is judged
 *                at its own best learning rate against the best at its own, each from a ×0.5/×1/×2 sweep the study
 *                runs first ({@link LrSweep}, docs/decision.md). Off for studies saved before it existed, so they
 *                decide as they did.
 */
public record DecisionSettings(Procedure procedure, double alpha, int horizon, int minSeeds, int maxSeeds,
                               double futilityAlpha, int remeasureSeeds, boolean lrSweep) {

    public enum Procedure {
        PAIRED, KEEP_RULE;

        public String id() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /** Fewest runs an experiment takes under the paired rule: the horizon is the most experiments a budget affords. */
    static final int MIN_SEEDS = 2;
    /** The horizon of a time budget, which cannot be counted in runs before any ran: the Monte Carlo's 20. */
    static final int TIME_BUDGET_HORIZON = 20;

    public DecisionSettings {
        if (!(alpha > 0 && alpha < 1)) throw new LabException("the error budget alpha must be in (0, 1), got " + alpha);
        if (horizon < 1) throw new LabException("the error budget's horizon must be at least 1 experiment, got " + horizon);
        if (minSeeds < 1 || maxSeeds < minSeeds)
            throw new LabException("seeds per experiment need 1 ≤ min ≤ max, got " + minSeeds + " and " + maxSeeds);
    }

    /**
     * The paired rule with α = 0.05 over as many experiments as {@code budget} affords, 2 to 6 seeds, 2 to re-measure,
     * structural changes at their own swept learning rate.
     */
    public static DecisionSettings paired(StudyBudget budget, int baselineSeeds) {
        int horizon = budget instanceof StudyBudget.Runs r
                ? Math.max(1, (r.runs() - baselineSeeds) / MIN_SEEDS) : TIME_BUDGET_HORIZON;
        return new DecisionSettings(Procedure.PAIRED, 0.05, horizon, MIN_SEEDS, 6, 0.1, 2, true);
    }

    /** The rule of studies made before the paired one. */
    public static DecisionSettings keepRule() {
        return new DecisionSettings(Procedure.KEEP_RULE, 0.05, 1, 1, 2, 0.1, 0, false);
    }

    public boolean paired() {
        return procedure == Procedure.PAIRED;
    }

    /** Whether an experiment of {@code change} first sweeps the learning rate of both arms. */
    boolean sweeps(dev.flywheel.lab.search.Change change) {
        return paired() && lrSweep && LrSweep.structural(change);
    }

    /** The sequential rule's settings, with the smallest gain worth keeping. */
    SequentialRule.Settings rule(double minGain) {
        return new SequentialRule.Settings(minSeeds, maxSeeds, minGain, futilityAlpha);
    }

    Map<String, Object> toJson() {
        var j = new LinkedHashMap<String, Object>();
        j.put("procedure", procedure.id());
        j.put("alpha", alpha);
        j.put("horizon", horizon);
        j.put("min_seeds", minSeeds);
        j.put("max_seeds", maxSeeds);
        j.put("futility_alpha", futilityAlpha);
        j.put("remeasure_seeds", remeasureSeeds);
        j.put("lr_sweep", lrSweep);
        return j;
    }

    /**
     * From study.json; a study saved before the choice existed (no field) was decided by the keep rule, and one saved
     * before the learning-rate sweep (no {@code lr_sweep}) judges structural changes at the best's rate, as it did.
     */
    static DecisionSettings fromJson(JsonNode j) {
        if (j == null || j.isNull()) return keepRule();
        var procedure = switch (j.path("procedure").asText()) {
            case "paired" -> Procedure.PAIRED;
            case "keep-rule" -> Procedure.KEEP_RULE;
            default -> throw new LabException("study.json names an unknown decision procedure \""
                    + j.path("procedure").asText() + "\"; expected paired or keep-rule");
        };
        return new DecisionSettings(procedure, j.path("alpha").asDouble(), j.path("horizon").asInt(),
                j.path("min_seeds").asInt(), j.path("max_seeds").asInt(), j.path("futility_alpha").asDouble(),
                j.path("remeasure_seeds").asInt(), j.path("lr_sweep").asBoolean(false));
    }
}
