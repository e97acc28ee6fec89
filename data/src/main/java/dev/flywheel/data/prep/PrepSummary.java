package dev.flywheel.data.prep;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a preparation produced, for people (the command's summary), for scripts ({@code --json}) and for the
 * lab (stored in meta.json). Byte counts are UTF-8 bytes of document text; {@code tokens} counts every id in
 * the shards, {@code <|endoftext|>} separators included; {@code bytesPerToken} is bytes over non-special tokens.
 * {@code removed} counts the documents each cleaning rule removed or cut ({@code --clean}; empty without), and
 * {@code removedBytes} the bytes they took out; removed.jsonl beside the shards names every one.
 */
public record PrepSummary(
        String source, String sourceDescription, String out, boolean reused,
        long documents, long bytes, long tokens, double bytesPerToken,
        long trainTokens, long valTokens, long testTokens,
        long trainDocuments, long valDocuments, long testDocuments,
        String tokenizer, int vocabSize, int requestedVocabSize, String tokenizerHash, String splitMode,
        long skipped, long skippedBytes, List<Reason> skipReasons, long repaired, List<Reason> repairReasons,
        boolean truncated, List<String> warnings,
        double seconds, double readSeconds, double tokenizerSeconds, double encodeSeconds,
        Map<String, Long> removed, long removedBytes) {

    /** One reason with its count and the first ids it applied to. */
    public record Reason(String reason, long count, List<String> examples) {}

    public PrepSummary {
        skipReasons = List.copyOf(skipReasons);
        repairReasons = List.copyOf(repairReasons);
        warnings = List.copyOf(warnings);
        removed = removed == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(removed)); // older meta.json has none
    }

    public PrepSummary asReused(double seconds) {
        return new PrepSummary(source, sourceDescription, out, true, documents, bytes, tokens, bytesPerToken, trainTokens, valTokens,
                testTokens, trainDocuments, valDocuments, testDocuments, tokenizer, vocabSize, requestedVocabSize, tokenizerHash, splitMode,
                skipped, skippedBytes, skipReasons, repaired, repairReasons, truncated, warnings, seconds, 0, 0, 0, removed, removedBytes);
    }

    /**
     * One line of JSON with snake_case keys: documents, bytes, tokens, bytes_per_token, train_tokens, val_tokens,
     * test_tokens, seconds, out, and the rest of the record.
     */
    public String toJson() {
        return dev.flywheel.data.Json.write(this);
    }

    /** The summary for people: a few aligned lines. */
    public String toText() {
        var sb = new StringBuilder();
        sb.append(reused ? "Reused prepared data in " : "Prepared data in ").append(out).append('\n');
        sb.append(String.format("  source      %s%n", sourceDescription));
        sb.append(String.format("  documents   %,d (%,d bytes)%s%n", documents, bytes, truncated ? ", stopped at the byte limit" : ""));
        sb.append(String.format("  tokenizer   %s, %,d tokens%s, hash %s%n", tokenizer, vocabSize,
                requestedVocabSize > 0 && requestedVocabSize != vocabSize ? " (asked for " + requestedVocabSize + ")" : "",
                tokenizerHash.substring(0, 12)));
        sb.append(String.format("  tokens      %,d (%.2f bytes per token)%n", tokens, bytesPerToken));
        sb.append(String.format("  split       %s: train %,d tokens / %,d docs, val %,d / %,d, test %,d / %,d%n", splitMode,
                trainTokens, trainDocuments, valTokens, valDocuments, testTokens, testDocuments));
        if (skipped > 0) {
            sb.append(String.format("  skipped     %,d inputs (%,d bytes):%n", skipped, skippedBytes));
            for (Reason r : skipReasons) sb.append(String.format("              %,d × %s (e.g. %s)%n", r.count(), r.reason(), String.join(", ", r.examples())));
        }
        if (!removed.isEmpty()) {
            sb.append(String.format("  cleaned     %,d bytes taken out (removed.jsonl): %s%n", removedBytes,
                    String.join(", ", removed.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).toList())));
        }
        if (repaired > 0) {
            for (Reason r : repairReasons) sb.append(String.format("  repaired    %,d × %s (e.g. %s)%n", r.count(), r.reason(), String.join(", ", r.examples())));
        }
        for (String w : warnings) sb.append("  warning     ").append(w).append('\n');
        sb.append(String.format("  time        %.1f s", seconds));
        if (!reused) sb.append(String.format(" (read %.1f s, tokenizer %.1f s, encode %.1f s)", readSeconds, tokenizerSeconds, encodeSeconds));
        sb.append('\n');
        return sb.toString();
    }
}
