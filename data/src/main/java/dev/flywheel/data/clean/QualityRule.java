package dev.flywheel.data.clean;

/**
 * A document-level quality rule: a pure function of the document's {@link TextStats}. Rules are records of their
 * thresholds, built from a rules file by {@link RuleParams}, and tested case by case without a corpus.
 */
public interface QualityRule {

    /** The rule's name in rules files, removed.jsonl and the audit. */
    String name();

    /** Null when the document passes, else why it fails: the measured value against the threshold. */
    String check(TextStats t);

    /** "0.42 > 0.30"-style detail, shared so every rule reports the same way. */
    static String detail(String what, double value, String op, double limit) {
        return String.format(java.util.Locale.ROOT, "%s %.3g %s %.3g", what, value, op, limit);
    }
}
