package dev.flywheel.lab.exec;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * One line of an external trainer's {@code metrics.jsonl} (docs/trainer-protocol.md): a training step, an
 * evaluation, or the trainer's hello naming the remediation signals it supports. {@link #parse} says in one sentence
 * what is wrong with a line that is none of these, which is what {@code flywheel trainer check} prints.
 */
public sealed interface TrainerLine {

    /** The keys a line may carry; any other key is reported by the check (a typo such as "los" loses a metric). */
    Set<String> KNOWN = Set.of("step", "tokens", "loss", "lr", "grad_norm", "seconds", "documents", "val_loss",
            "val_bpb", "supports", "protocol");

    /** A training step; lr, gradNorm and seconds are NaN when not given, documents empty. */
    record Step(long step, long tokens, double loss, double lr, double gradNorm, double seconds,
                List<String> documents) implements TrainerLine {}

    /** An evaluation; either metric is NaN when not given. */
    record Eval(long step, double valLoss, double valBpb) implements TrainerLine {}

    /** The trainer's hello: the signals of docs/trainer-protocol.md it acts on, e.g. "lr_cut". */
    record Hello(Set<String> supports) implements TrainerLine {}

    /** A line that is not the protocol's: why, in one sentence. */
    record Bad(String problem) implements TrainerLine {}

    /** NaN and Infinity as Python's json module writes them: a NaN loss is a finding, not a parse error. */
    JsonMapper READER = JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

    /** Reads one line (without its newline); {@code at} names it in a problem ("line 3"). */
    static TrainerLine parse(String line, String at) {
        JsonNode j;
        try {
            j = READER.readTree(line);
        } catch (JsonProcessingException e) {
            return new Bad(at + " is not JSON (" + e.getOriginalMessage() + "): " + shorten(line));
        }
        if (j == null || !j.isObject()) return new Bad(at + " is not a JSON object: " + shorten(line));
        if (j.has("supports")) {
            if (!j.get("supports").isArray()) return new Bad(at + ": \"supports\" must be a list such as [\"lr_cut\"]");
            var s = new java.util.TreeSet<String>();
            j.get("supports").forEach(n -> s.add(n.asText()));
            return new Hello(Set.copyOf(s));
        }
        if (!j.has("step") || !j.get("step").canConvertToLong() || j.get("step").asLong() < 0)
            return new Bad(at + " has no \"step\" (a whole number from 0): " + shorten(line));
        long step = j.get("step").asLong();
        var unknown = new ArrayList<String>();
        j.fieldNames().forEachRemaining(k -> {
            if (!KNOWN.contains(k)) unknown.add(k);
        });
        if (!unknown.isEmpty())
            return new Bad(at + " has keys the protocol does not know: " + String.join(", ", unknown) + " (known: step, "
                    + "tokens, loss, lr, grad_norm, seconds, documents, val_loss, val_bpb)");
        if (j.has("val_loss") || j.has("val_bpb")) {
            if (j.has("loss")) return new Bad(at + " mixes a training step (\"loss\") and an evaluation (\"val_loss\"/\"val_bpb\"); write two lines");
            return new Eval(step, number(j, "val_loss"), number(j, "val_bpb"));
        }
        if (!j.has("loss")) return new Bad(at + " has neither \"loss\" (a training step) nor \"val_loss\"/\"val_bpb\" (an evaluation)");
        if (!j.get("loss").isNumber()) return new Bad(at + ": \"loss\" must be a number (got " + j.get("loss") + ")");
        if (!j.has("tokens") || !j.get("tokens").canConvertToLong())
            return new Bad(at + " has no \"tokens\" (the training tokens seen so far, a whole number): " + shorten(line));
        var docs = new ArrayList<String>();
        if (j.has("documents")) j.get("documents").forEach(n -> docs.add(n.asText()));
        return new Step(step, j.get("tokens").asLong(), j.get("loss").asDouble(), number(j, "lr"), number(j, "grad_norm"),
                number(j, "seconds"), List.copyOf(docs));
    }

    /** The number at {@code key}, or NaN when it is missing or not a number. */
    static double number(JsonNode j, String key) {
        var n = j.get(key);
        return n != null && n.isNumber() ? n.asDouble() : Double.NaN;
    }

    private static String shorten(String line) {
        return line.length() > 120 ? line.substring(0, 117) + "..." : line;
    }
}
