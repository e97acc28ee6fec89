package dev.flywheel.lab.store;

import java.util.Map;

/**
 * Something the guard (or the executor) noticed or did during a run, for {@link Store#recordEvent}.
 *
 * @param step     the optimizer step
 * @param kind     what happened: spike, nan, divergence, grad_spike, attn_logit_growth, rollback, ...
 * @param rule     the rule that fired and its threshold, such as "loss z-score > 6"
 * @param measured the values the rule saw, such as {"loss": 7.2, "ema": 3.1, "z": 8.4}
 * @param action   what was done: none, rollback, skip_batches, cut_lr, abort
 * @param message  one sentence for the journal
 */
public record Event(long step, String kind, String rule, Map<String, Double> measured, String action, String message) {

    public Event {
        measured = measured == null ? Map.of() : Map.copyOf(measured);
    }
}
