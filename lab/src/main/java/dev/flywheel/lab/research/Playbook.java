package dev.flywheel.lab.research;

import dev.flywheel.lab.study.Diagnostics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The built-in researcher's rules on the diagnostics of the best run ({@link Diagnostics}): spikes or divergence call
 * for a lower learning rate, a longer warmup, QK-norm, gradient clipping; a loss still falling fast at the end
 * (under-trained) for a higher rate and what gives more learning for the same budget ({@link Priors#underTrained()},
 * which depends on the budget's kind); a warmup that eats a large part of the run for a shorter one; a flat loss for a
 * larger model; a validation loss well above the training loss for more weight decay or a smaller model. Most rules
 * boost a step of the line search ("path+" or "path-") and give its reason; the two that are not a step of one
 * dimension are whole candidates ({@link #extras}).
 */
final class Playbook {

    private Playbook() {
    }

    /** Fills {@code boost} with the diagnostics' say on each step ("path+" / "path-") and returns the reasons. */
    static Map<String, String> boosts(Evidence ctx, Map<String, Double> boost) {
        var why = new LinkedHashMap<String, String>();
        var d = ctx.diag;
        if (d.spiky() || d.diverged()) {
            put(boost, why, "optimizer.lr-", 6, "the best run is unstable (" + trouble(d) + "), and a lower peak rate is "
                    + "the first remedy");
            put(boost, why, "schedule.warmup+", 5, "the best run is unstable, and a longer warmup eases the first steps");
        }
        if (d.logitDrift()) put(boost, why, "model.z_loss+", 6, "the guard saw the output logits drift, which z-loss counters");
        if (d.stillFalling()) {
            var fall = String.format(Locale.ROOT, "the best run's loss was still falling %.1f%% over its last quarter: it is "
                    + "under-trained in this budget", 100 * d.lateDrop());
            for (var r : ctx.priors.underTrained()) put(boost, why, r.key(), r.amount(), fall + ", and " + r.why());
        }
        if (d.plateaued()) {
            var flat = String.format(Locale.ROOT, "the best run's loss was flat over its last quarter (%.1f%%): the "
                    + "model has learnt what it can at this size", 100 * d.lateDrop());
            put(boost, why, "model.dim+", 2, flat + ", so a wider model should go further");
            put(boost, why, "model.layers+", 1.5, flat + ", so a deeper model should go further");
        }
        if (d.overfitting()) {
            var gap = String.format(Locale.ROOT, "the validation loss is %.3f nats above the training loss: overfitting", d.gap());
            put(boost, why, "optimizer.weight_decay+", 4, gap + ", which weight decay counters");
            put(boost, why, "model.dim-", 1.5, gap + ", and a smaller model fits the data less closely");
        }
        long steps = ctx.steps();
        int warmup = ctx.best.schedule().warmup();
        if (steps > 0 && warmup > 0.2 * steps)
            put(boost, why, "schedule.warmup-", 3, String.format(Locale.ROOT, "the warmup of %d steps is %.0f%% of the %d "
                    + "steps the best run took", warmup, 100.0 * warmup / steps, steps));
        return why;
    }

    private static void put(Map<String, Double> boost, Map<String, String> why, String key, double amount, String reason) {
        boost.merge(key, amount, Double::sum);
        why.merge(key, reason, (a, b) -> a + "; " + b);
    }

    /** Remedies that are not a step of one dimension: QK-norm and clipping for an unstable run. */
    static List<Candidate> extras(Evidence ctx) {
        var d = ctx.diag;
        var out = new ArrayList<Candidate>();
        if (!(d.spiky() || d.diverged())) return out;
        var trouble = "The best run is unstable (" + trouble(d) + ")";
        if (!ctx.best.model().qkNorm() && ctx.space.dimension("model.qk_norm").isPresent())
            out.add(new Candidate(d.attentionGrowth() ? 10 : 8.5, "playbook", Map.of("model.qk_norm", true), trouble
                    + "; QK-norm bounds the attention logits, whose growth is the known instability of small models at high rates."));
        if (ctx.best.optimizer().gradClip() == 0 && ctx.space.dimension("optimizer.grad_clip").isPresent())
            out.add(new Candidate(8, "playbook", Map.of("optimizer.grad_clip", 1.0), trouble
                    + "; clipping the gradient norm at 1 bounds the damage of a bad batch."));
        return out;
    }

    /** What made a run unstable, in words. */
    static String trouble(Diagnostics d) {
        var parts = new ArrayList<String>();
        if (d.spikes() > 0) parts.add(d.spikes() + (d.spikes() == 1 ? " loss spike" : " loss spikes"));
        if (d.guardEvents() > 0) parts.add(d.guardEvents() + " signs of instability from the guard"
                + (d.attentionGrowth() ? ", attention logits growing" : ""));
        if (d.gradClips() > 0) parts.add(d.gradClips() + " gradient clips");
        if (d.diverged()) parts.add("diverging");
        return String.join(", ", parts);
    }
}
