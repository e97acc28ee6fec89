package dev.flywheel.agent;

import dev.flywheel.engine.Fuzz;
import dev.flywheel.lab.LabException;
import dev.flywheel.lab.store.Store;
import dev.flywheel.lab.study.Study;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The LLM tools' JSON inputs fuzzed (issue 22). Whatever a model sends — a tool name, arguments mutated into
 * wrong types, hostile numbers, deep nesting, huge strings, broken JSON — {@link LabTools#call} answers with a
 * result or an error the model can act on; it never throws, and never answers "internal error" (the sign of an
 * exception nobody expected).
 *
 * <p>The study's budget is spent by its baseline, so a valid run_experiment is validated and then refused for
 * the budget instead of training (no call may add a run); finish is left out (a valid one would end the study the other calls need).
 */
class LabToolsFuzzTest {

    @TempDir
    static Path lab;
    static Store store;
    static Study study;
    static LabTools tools;
    static String baselineRun;

    @BeforeAll
    static void aStudyWithItsBudgetSpent() {
        store = Store.open(lab.resolve("flywheel.db"));
        study = TestStudies.open(store, TestStudies.settings(lab, "fuzz", "fuzzer", "2runs", false));
        study.runBaseline();
        baselineRun = study.state().baseline().runs().getFirst();
        tools = new LabTools(study, "fuzzer", () -> { });
        assertThat(study.canRunExperiment()).isFalse();
    }

    @AfterAll
    static void close() {
        study.close();

    }

    /** A valid call of each tool but finish, as the seeds of the mutants: {@code TOOL\nARGUMENTS}. */
    static Map<String, String> seeds() {
        return Map.of(
                LabTools.STUDY_STATE, "{}",
                LabTools.RUN_EXPERIMENT, "{\"hypothesis\": \"a higher rate learns faster\", \"changes\": {\"optimizer.lr\": 0.002, \"model.norm\": \"rmsnorm\"}, \"seeds\": 2}",
                LabTools.RUN_DETAILS, "{\"run_id\": \"" + baselineRun + "\"}",
                LabTools.SAMPLE_TEXT, "{\"run_id\": \"" + baselineRun + "\", \"prompt\": \"To be\"}",
                LabTools.NOTE, "{\"text\": \"warmup matters\"}",
                LabTools.REPLICATE, "{\"seeds\": 3}");
    }

    static Stream<byte[]> inputs(long seed, int n) {
        var random = new Random(seed);
        var tools = List.copyOf(seeds().keySet());
        return Stream.generate(() -> {
            var tool = tools.get(random.nextInt(tools.size()));
            var args = Fuzz.json(List.of(seeds().get(tool)), random.nextLong(), 1).findFirst().orElseThrow();
            var name = random.nextInt(20) == 0 ? Fuzz.mutateJson("\"" + tool + "\"", random).replace("\"", "") : tool;
            return (name + "\n" + new String(args, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
        }).limit(n);
    }

    static final Fuzz.Target CALL = input -> {
        var text = new String(input, StandardCharsets.UTF_8);
        int newline = text.indexOf('\n');
        int runs = study.record().runs().size();
        var outcome = tools.call(new Chat.ToolCall("call-1", newline < 0 ? text : text.substring(0, newline),
                newline < 0 ? "" : text.substring(newline + 1)));
        if (outcome.content() == null || outcome.content().isBlank())
            throw new IllegalStateException("an empty answer to " + outcome.tool());
        if (outcome.error() && outcome.content().contains("internal error"))
            throw new IllegalStateException(outcome.content());
        if (study.record().runs().size() != runs) throw new IllegalStateException("a run was made on a spent budget");
    };

    @Test
    void everyMutatedCallIsAnsweredWithAResultOrAnErrorTheModelCanActOn() {
        var report = Fuzz.run("lab-tools", inputs(22, Fuzz.tries(300)), LabException.class, CALL);
        assertThat(report.findings()).isEmpty();
    }

    @Test
    void keptInputsStillAnsweredCleanly() {
        var corpus = Fuzz.corpus("lab-tools");
        var report = Fuzz.run("lab-tools-corpus", corpus.stream(), LabException.class, CALL);
        assertThat(report.findings()).isEmpty();
        assertThat(report.inputs()).isEqualTo(corpus.size()).isPositive();
    }
}
