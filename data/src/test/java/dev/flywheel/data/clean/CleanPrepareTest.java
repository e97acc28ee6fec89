package dev.flywheel.data.clean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flywheel.data.DataException;
import dev.flywheel.data.Json;
import dev.flywheel.data.Progress;
import dev.flywheel.data.prep.DataPrep;
import dev.flywheel.data.prep.PrepSettings;
import dev.flywheel.data.prep.PreparedData;
import dev.flywheel.data.tokenizer.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code data prepare --clean} end to end on a small labelled JSONL: provenance, summary, determinism, refusals. */
class CleanPrepareTest {
    @TempDir
    Path dir;

    Path corpus() throws Exception {
        var texts = LabelledCorpus.cleanTexts().subList(0, 60);
        var lines = new ArrayList<String>();
        for (int i = 0; i < texts.size(); i++) lines.add(line("story-" + i, texts.get(i)));
        lines.add(line("copy-of-3", texts.get(3)));
        lines.add(line("lorem", LabelledCorpus.junk("lorem", new java.util.Random(1), texts)));
        lines.add("{\"text\": \"" + "a line without its own id, long enough to be a document of its own. ".repeat(2) + "\"}");
        Path file = dir.resolve("labelled.jsonl");
        Files.writeString(file, String.join("\n", lines) + "\n");
        return file;
    }

    static String line(String id, String text) {
        var m = new LinkedHashMap<String, String>();
        m.put("id", id);
        m.put("text", text);
        return Json.write(m);
    }

    PrepSettings settings(int threads) {
        return PrepSettings.defaults().withDownloadDir(dir.resolve("downloads")).withTokenizer(Tokenizer.Kind.BYTE).withThreads(threads)
                .withCleaning(new Cleaning(CleanRules.defaults(), List.of()));
    }

    @Test
    void removedDocumentsAreListedByTheirOwnIdsAndCountedInTheSummary() throws Exception {
        Path data = corpus();
        Path out = dir.resolve("prepared");
        var summary = DataPrep.prepare(data.toString(), settings(2), out, Progress.none());
        var removed = new LinkedHashMap<String, JsonNode>();
        for (String l : Files.readAllLines(out.resolve(CleanStage.REMOVED))) {
            JsonNode n = Json.MAPPER.readTree(l);
            removed.put(n.get("id").asText(), n);
        }
        assertThat(removed.get("copy-of-3").get("rule").asText()).isEqualTo(CleanRules.EXACT);
        assertThat(removed.get("copy-of-3").get("action").asText()).isEqualTo("removed");
        assertThat(removed.get("copy-of-3").get("detail").asText()).isEqualTo("same text as labelled.jsonl:4");
        assertThat(removed.get("lorem").get("action").asText()).isEqualTo("removed");
        assertThat(removed.keySet()).contains("labelled.jsonl:63"); // no "id" field: the line
        assertThat(summary.removed().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(removed.size());
        assertThat(summary.removedBytes()).isPositive();
        assertThat(summary.documents()).isEqualTo(63 - removed.values().stream().filter(n -> n.get("action").asText().equals("removed")).count());
        assertThat(Files.exists(out.resolve(CleanStage.SPOOL))).isFalse();
        var meta = Json.MAPPER.readTree(out.resolve(DataPrep.META).toFile());
        assertThat(meta.get("summary").get("removed").get(CleanRules.EXACT).asLong()).isEqualTo(1);
        assertThat(meta.get("settings").get("clean").get("rules").has(MinHash.NAME)).isTrue();
        assertThat(PreparedData.open(out).summary().removed()).isEqualTo(summary.removed());
    }

    @Test
    void cleanShardsDoNotDependOnTheThreadCount() throws Exception {
        Path data = corpus();
        DataPrep.prepare(data.toString(), settings(1), dir.resolve("one"), Progress.none());
        DataPrep.prepare(data.toString(), settings(3), dir.resolve("three"), Progress.none());
        for (String f : List.of("train-0000.bin", "val-0000.bin", "test-0000.bin", CleanStage.REMOVED)) {
            assertThat(Files.readAllBytes(dir.resolve("three").resolve(f))).as(f).isEqualTo(Files.readAllBytes(dir.resolve("one").resolve(f)));
        }
    }

    @Test
    void withoutCleanTheCacheKeyAndSummaryAreAsBefore() throws Exception {
        Path data = corpus();
        var plain = settings(2).withCleaning(null);
        assertThat(DataPrep.cacheKey(data.toString(), plain)).isNotEqualTo(DataPrep.cacheKey(data.toString(), settings(2)));
        var summary = DataPrep.prepare(data.toString(), plain, dir.resolve("plain"), Progress.none());
        assertThat(summary.removed()).isEqualTo(Map.of());
        assertThat(Files.exists(dir.resolve("plain").resolve(CleanStage.REMOVED))).isFalse();
        var meta = Json.MAPPER.readTree(dir.resolve("plain").resolve(DataPrep.META).toFile());
        assertThat(meta.get("settings").has("clean")).isFalse();
    }

    @Test
    void aMalformedLineStopsTheCleaningAndLeavesNothingBehind() throws Exception {
        Path data = dir.resolve("torn.jsonl");
        Files.writeString(data, line("a", LabelledCorpus.cleanTexts().getFirst()) + "\n{\"id\": \"b\", \"text\": \"torn\n");
        Path out = dir.resolve("never");
        assertThatThrownBy(() -> DataPrep.prepare(data.toString(), settings(2), out, Progress.none()))
                .isInstanceOf(DataException.class).hasMessage("torn.jsonl:2 in JSONL file " + data + " is not a valid JSON line;"
                        + " fix or delete the malformed lines, then run again");
        try (var left = Files.list(dir)) {
            assertThat(left.map(p -> p.getFileName().toString())).containsExactly("torn.jsonl");
        }
    }
}
