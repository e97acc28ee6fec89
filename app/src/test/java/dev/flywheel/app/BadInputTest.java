package dev.flywheel.app;

import dev.flywheel.lab.budget.StudyBudget;
import dev.flywheel.lab.search.Brief;
import dev.flywheel.lab.store.Store;
import dev.flywheel.lab.study.DecisionSettings;
import dev.flywheel.lab.study.StudySettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A new user's mistakes, across every command: each is refused in one sentence that names the input, with exit
 * status 2, no stack trace, and nothing written outside the lab. Every input is refused before anything trains,
 * so the battery stays fast. docs/reliability.md points here.
 *
 * <p>Paths in the cases are relative to a scratch folder {@code {root}}; the lab is {@code {root}/lab}. A
 * case that names a study or run id such as {@code ../../escaped} would, if it got through, write to
 * {@code {root}/escaped}, which the check after each case would see.
 */
class BadInputTest {

    @TempDir
    static Path root;
    private static FileChannel heldChannel;
    private static FileLock held;
    /** The process id another `research` holding study "held" would have written into its lock file. */
    static final String OTHER_PID = "4242";

    record Case(String key, String[] args) {
        @Override
        public String toString() {
            return String.join(" ", args);
        }
    }

    static Case c(String key, String... args) {
        return new Case(key, args);
    }

    static Stream<Case> cases() {
        String lab = "{lab}", r = "{root}";
        return Stream.of(
                // the five of issue 22
                c("study name \"../../escaped\" may hold only letters, digits", "research", "--lab", lab, "--study", "../../escaped", "--budget", "1runs"),
                c("--temperature must be a number of 0 or more, not NaN", "sample", "--checkpoint", r + "/ck", "--temperature", "NaN"),
                c("--top-k must be a whole number of 0 or more, not -1", "sample", "--checkpoint", r + "/ck", "--top-k", "-1"),
                c("not one readable event", "doctor", r + "/damaged-run"),
                c("is a file, not a lab directory", "studies", "--lab", r + "/a-file.txt"),
                c("study held is open in process " + OTHER_PID, "research", "--lab", lab, "--study", "held", "--resume"),
                c("study held is open in process " + OTHER_PID, "replicate", "held", "--lab", lab, "--seeds", "2"),
                // names that become paths
                c("study name \"a/b\"", "research", "--lab", lab, "--study", "a/b"),
                c("study name \".hidden\"", "research", "--lab", lab, "--study", ".hidden"),
                c("study name \"-x\"", "research", "--lab", lab, "--study=-x"),
                c("study name \"\"", "research", "--lab", lab, "--study", ""),
                c("study name \"" + "n".repeat(65) + "\"", "research", "--lab", lab, "--study", "n".repeat(65)),
                c("study name \"../x\"", "replicate", "../x", "--lab", lab),
                c("study name \"../../escaped\"", "study", "show", "../../escaped", "--lab", lab),
                c("run id \"../../escaped\"", "runs", "show", "../../escaped", "--lab", lab),
                c("not a run id", "doctor", "../../escaped/run", "--lab", lab),
                // labs that are not there or not labs
                c("there is no lab at", "studies", "--lab", r + "/no-lab"),
                c("there is no lab at", "study", "show", "s", "--lab", r + "/no-lab"),
                c("there is no lab at", "runs", "show", "r", "--lab", r + "/no-lab"),
                c("is a file, not a lab directory", "study", "show", "s", "--lab", r + "/a-file.txt"),
                c("is a file, not a lab directory", "research", "--lab", r + "/a-file.txt"),
                c("is a file, not a lab directory", "train", "--lab", r + "/a-file.txt", "--steps", "1"),
                c("there is no study in", "study", "show", "nosuch", "--lab", lab),
                c("there is no run nosuch", "runs", "show", "nosuch", "--lab", lab),
                c("no run 'nosuch'", "doctor", "nosuch", "--lab", lab),
                c("is neither a run directory nor a checkpoint", "doctor", r + "/empty-dir"),
                // unknown flags and commands
                c("Unknown option: '--bogus'", "train", "--bogus"),
                c("Unknown option: '--colour'", "sample", "--checkpoint", r + "/ck", "--colour"),
                c("Unmatched argument", "fly"),
                c("Missing required option", "sample"),
                c("Missing required parameter", "replicate"),
                // train: numbers that make no sense
                c("--lr must be a number greater than 0, not NaN", "train", "--lab", lab, "--lr", "NaN"),
                c("--lr must be a number greater than 0, not -1", "train", "--lab", lab, "--lr", "-1"),
                c("--lr must be a number greater than 0, not Infinity", "train", "--lab", lab, "--lr", "Infinity"),
                c("--min-lr must be a number of 0 or more", "train", "--lab", lab, "--min-lr", "-Infinity"),
                c("--steps must be a whole number of 1 or more, not 0", "train", "--lab", lab, "--steps", "0"),
                c("--steps must be a whole number of 1 or more, not -5", "train", "--lab", lab, "--steps", "-5"),
                c("--batch must be a whole number of 1 or more", "train", "--lab", lab, "--batch", "0"),
                c("--layers must be a whole number of 1 or more", "train", "--lab", lab, "--layers", "0"),
                c("--heads must be a whole number of 1 or more", "train", "--lab", lab, "--heads", "-2"),
                c("--dim must be a whole number of 1 or more, not abc", "train", "--lab", lab, "--dim", "abc"),
                c("--seq must be a whole number of 1 or more", "train", "--lab", lab, "--seq", "99999999999"),
                c("--seconds must be a number greater than 0, not NaN", "train", "--lab", lab, "--seconds", "NaN"),
                c("--weight-decay must be a number of 0 or more", "train", "--lab", lab, "--weight-decay", "-0.1"),
                c("--beta2 must be a finite number", "train", "--lab", lab, "--beta2", "NaN"),
                c("--warmup must be a whole number of 0 or more", "train", "--lab", lab, "--warmup", "-1"),
                c("--eval-tokens must be a whole number of 1 or more", "train", "--lab", lab, "--eval-tokens", "0"),
                c("--eval-every must be a whole number of 0 or more", "train", "--lab", lab, "--eval-every", "-1"),
                c("--threads must be a whole number of 1 or more", "train", "--lab", lab, "--threads", "0"),
                c("--sample-tokens must be a whole number of 0 or more", "train", "--lab", lab, "--sample-tokens", "-1"),
                c("--mlp-ratio must be a number greater than 0", "train", "--lab", lab, "--mlp-ratio", "0"),
                c("--vocab must be a whole number of 1 or more", "train", "--lab", lab, "--vocab", "-4096"),
                // train: budgets, recipes, data
                c("parsecs", "train", "--lab", lab, "--budget", "10 parsecs"),
                c("give one budget", "train", "--lab", lab, "--steps", "10", "--seconds", "5"),
                c("--resume needs --out", "train", "--lab", lab, "--resume"),
                c("does not exist", "train", "--lab", lab, "--recipe", r + "/missing.json"),
                c("is not valid JSON", "train", "--lab", lab, "--recipe", r + "/not-json.json"),
                c("bogus", "train", "--lab", lab, "--recipe", r + "/unknown-key.json"),
                c("optimizer.lr", "train", "--lab", lab, "--recipe", r + "/wrong-type.json"),
                c("must be a JSON object", "train", "--lab", lab, "--recipe", r + "/array.json"),
                c("missing.txt", "train", "--lab", lab, "--data", r + "/missing.txt", "--steps", "1"),
                c("empty", "train", "--lab", lab, "--data", r + "/empty.txt", "--steps", "1"),
                c("klingon", "train", "--lab", lab, "--tokenizer", "klingon", "--steps", "1"),
                c("sometimes", "train", "--lab", lab, "--guard", "sometimes", "--steps", "1"),
                c("bogus", "train", "--lab", lab, "--inject", "bogus@3", "--steps", "1"),
                // sample and eval
                c("--temperature must be a number of 0 or more, not -0.5", "sample", "--checkpoint", r + "/ck", "--temperature", "-0.5"),
                c("--temperature must be a number of 0 or more, not Infinity", "sample", "--checkpoint", r + "/ck", "--temperature", "Infinity"),
                c("--tokens must be a whole number of 1 or more, not 0", "sample", "--checkpoint", r + "/ck", "--tokens", "0"),
                c("--threads must be a whole number of 1 or more", "sample", "--checkpoint", r + "/ck", "--threads", "0"),
                c("no checkpoint at", "sample", "--checkpoint", r + "/nothing"),
                c("flywheel-tokenizer", "sample", "--checkpoint", r + "/ck"),
                c("--tokens must be a whole number of 1 or more, not 0", "eval", "--checkpoint", r + "/ck", "--tokens", "0"),
                c("--tokens must be a whole number of 1 or more, not -3", "eval", "--checkpoint", r + "/ck", "--tokens", "-3"),
                c("--threads must be a whole number of 1 or more", "eval", "--checkpoint", r + "/ck", "--threads", "-1"),
                c("no checkpoint at", "eval", "--checkpoint", r + "/nothing"),
                // bench
                c("--steps must be a whole number of 1 or more", "bench", "--steps", "0"),
                c("--dim must be a whole number of 1 or more", "bench", "--dim", "-1"),
                c("--warmup must be a whole number of 0 or more", "bench", "--warmup", "-1"),
                c("--vocab must be a whole number of 1 or more, not NaN", "bench", "--vocab", "NaN"),
                // data
                c("--val must be a fraction from 0 up to 1", "data", "prepare", "--cache", lab + "/cache", "--val", "NaN"),
                c("--test must be a fraction from 0 up to 1", "data", "prepare", "--cache", lab + "/cache", "--test", "1.5"),
                c("--vocab must be a whole number of 1 or more", "data", "prepare", "--cache", lab + "/cache", "--vocab", "0"),
                c("--block-bytes must be a whole number of 1 or more", "data", "prepare", "--cache", lab + "/cache", "--block-bytes", "0"),
                c("diagonal", "data", "prepare", "--cache", lab + "/cache", "--split", "diagonal"),
                c("klingon", "data", "prepare", "--cache", lab + "/cache", "--tokenizer", "klingon"),
                c("--max-bytes", "data", "prepare", "--cache", lab + "/cache", "--max-bytes", "lots"),
                c("missing.txt", "data", "prepare", "--cache", lab + "/cache", "--data", r + "/missing.txt", "--out", lab + "/prepared"),
                c("empty-dir", "data", "show", r + "/empty-dir"),
                // cleaning: bad rules files, evaluation files, malformed JSONL (audit and prepare --clean)
                c("unknown rule \"gopher_qualty\"", "data", "audit", "--data", r + "/a-file.txt", "--rules", r + "/unknown-rule.json", "--out", lab + "/audit"),
                c("near_duplicate.threshold = 1.5", "data", "prepare", "--cache", lab + "/cache", "--data", r + "/a-file.txt", "--clean", r + "/bad-threshold.json", "--out", lab + "/prepared"),
                c("no threshold min_wrds", "data", "audit", "--data", r + "/a-file.txt", "--rules", r + "/unknown-threshold.json", "--out", lab + "/audit"),
                c("missing-rules.json does not exist", "data", "prepare", "--cache", lab + "/cache", "--data", r + "/a-file.txt", "--clean", r + "/missing-rules.json", "--out", lab + "/prepared"),
                c("missing-eval.txt does not exist", "data", "audit", "--data", r + "/a-file.txt", "--eval", r + "/missing-eval.txt", "--out", lab + "/audit"),
                c("missing-eval.txt does not exist", "data", "prepare", "--cache", lab + "/cache", "--data", r + "/a-file.txt", "--decontaminate", r + "/missing-eval.txt", "--out", lab + "/prepared"),
                c("binary-eval.txt is not UTF-8 text", "data", "audit", "--data", r + "/a-file.txt", "--eval", r + "/binary-eval.txt", "--out", lab + "/audit"),
                c("malformed.jsonl:2 in JSONL file", "data", "audit", "--data", r + "/malformed.jsonl", "--out", lab + "/audit"),
                c("malformed.jsonl:2 in JSONL file", "data", "prepare", "--cache", lab + "/cache", "--data", r + "/malformed.jsonl", "--clean", "--out", lab + "/prepared"),
                // research
                c("parsecs", "research", "--lab", lab, "--budget", "10 parsecs"),
                c("fast", "research", "--lab", lab, "--run-budget", "fast"),
                c("does not exist", "research", "--lab", lab, "--brief", r + "/missing.md"),
                c("noise_seds is not a brief setting; did you mean noise_seeds?", "research", "--lab", lab, "--brief", r + "/typo-brief.md"),
                c("noise_seeds must be between 1 and 100 (got 0)", "research", "--lab", lab, "--brief", r + "/zero-seeds-brief.md"),
                c("optimizer.flux", "research", "--lab", lab, "--brief", r + "/unknown-dimension-brief.md"),
                c("oracle", "research", "--lab", lab, "--researcher", "oracle"),
                c("--concurrency must be a whole number of 1 or more, not 0", "research", "--lab", lab, "--concurrency", "0"),
                c("--threads must be a whole number of 1 or more, not -1", "research", "--lab", lab, "--threads", "-1"),
                c("--checkpoint-every must be a number of 0 or more, not NaN", "research", "--lab", lab, "--checkpoint-every", "NaN"),
                c("--executor must be child or in-process", "research", "--lab", lab, "--executor", "cloud"),
                c("--llm-max-tokens must be a whole number of 1 or more", "research", "--lab", lab, "--llm-max-tokens", "0"),
                c("--llm-memory-every must be a whole number of 1 or more", "research", "--lab", lab, "--llm-memory-every", "-2"),
                c("there is no study nosuch", "research", "--lab", lab, "--study", "nosuch", "--resume"),
                // replicate
                c("--seeds must be between 2 and 20 (got 0)", "replicate", "held", "--lab", lab, "--seeds", "0"),
                c("--seeds must be between 2 and 20 (got -1)", "replicate", "held", "--lab", lab, "--seeds", "-1"),
                c("--seeds must be between 2 and 20 (got 100)", "replicate", "held", "--lab", lab, "--seeds", "100"),
                c("there is no study nosuch", "replicate", "nosuch", "--lab", lab),
                c("--concurrency must be a whole number of 1 or more", "replicate", "held", "--lab", lab, "--concurrency", "-3"),
                // scale: points files and fits that cannot be used; nothing is written beside them
                c("missing-column.csv has no column \"tokens\"", "scale", "fit", "--points", r + "/missing-column.csv"),
                c("negative.csv line 3: params is -5e6; params, tokens, flops and loss must be positive numbers", "scale", "fit", "--points", r + "/negative.csv"),
                c("not-number.csv line 2: loss \"low\" is not a number", "scale", "fit", "--points", r + "/not-number.csv"),
                c("a scaling law has 5 parameters (E, A, B, α, β) but there are only 3 points", "scale", "fit", "--points", r + "/three.csv"),
                c("--drop-highest 3 leaves no points", "scale", "fit", "--points", r + "/three.csv", "--drop-highest", "3"),
                c("the points file " + r + "/nosuch.csv does not exist", "scale", "fit", "--points", r + "/nosuch.csv"),
                c("empty.txt is empty", "scale", "fit", "--points", r + "/empty.txt"),
                c("there is no study nosuch", "scale", "fit", "--study", "nosuch", "--lab", lab),
                c("--bootstrap must be a whole number of 0 or more, not -1", "scale", "fit", "--points", r + "/three.csv", "--bootstrap", "-1"),
                c("the fit " + r + "/nosuch.json does not exist", "scale", "plan", "--fit", r + "/nosuch.json", "--compute", "1e20"),
                c("the fit " + r + "/array.json has no number \"E\"", "scale", "plan", "--fit", r + "/array.json", "--compute", "1e20"),
                c("the fit " + r + "/not-json.json is not readable JSON", "scale", "plan", "--fit", r + "/not-json.json", "--compute", "1e20"),
                c("--compute must be a number greater than 0, not -1", "scale", "plan", "--fit", r + "/array.json", "--compute", "-1"),
                c("--compute must be a number greater than 0, not 0", "scale", "ladder", "--recipe", r + "/not-json.json", "--compute", "0"),
                c("is not valid JSON", "scale", "ladder", "--lab", lab, "--recipe", r + "/not-json.json", "--compute", "1e12"),
                c("the ladder would fit the law's 5 parameters on only 4 rungs", "scale", "ladder", "--lab", lab,
                        "--recipe", r + "/ladder-recipe.json", "--compute", "1e12", "--sizes", "2", "--token-counts", "2"));
    }

    @BeforeAll
    static void fixtures() throws Exception {
        Path lab = Files.createDirectories(root.resolve("lab"));
        Store.open(lab.resolve("flywheel.db"));
        Files.writeString(root.resolve("a-file.txt"), "not a lab\n");
        Files.createFile(root.resolve("empty.txt"));
        Files.createDirectories(root.resolve("empty-dir"));
        Files.writeString(root.resolve("not-json.json"), "model: {layers: 4");
        Files.writeString(root.resolve("unknown-key.json"), "{\"bogus\": 1}");
        Files.writeString(root.resolve("wrong-type.json"), "{\"optimizer\": {\"lr\": \"fast\"}}");
        Files.writeString(root.resolve("array.json"), "[1, 2]");
        Files.writeString(root.resolve("unknown-rule.json"), "{\"rules\": {\"gopher_qualty\": {}}}");
        Files.writeString(root.resolve("bad-threshold.json"), "{\"rules\": {\"near_duplicate\": {\"threshold\": 1.5}}}");
        Files.writeString(root.resolve("unknown-threshold.json"), "{\"rules\": {\"gopher_quality\": {\"min_wrds\": 5}}}");
        Files.write(root.resolve("binary-eval.txt"), new byte[] {(byte) 0xC3, (byte) 0x28, (byte) 0xFF, 0});
        Files.writeString(root.resolve("malformed.jsonl"), "{\"text\": \"fine words here\"}\n{\"text\": \"torn\n");
        Files.writeString(root.resolve("missing-column.csv"), "params,loss\n1e6,3.2\n");
        Files.writeString(root.resolve("negative.csv"), "params,tokens,loss\n1e6,2e7,3.1\n-5e6,2e7,3.0\n");
        Files.writeString(root.resolve("not-number.csv"), "params,tokens,loss\n1e6,2e7,low\n");
        Files.writeString(root.resolve("three.csv"), "params,tokens,loss\n1e6,2e7,3.1\n2e6,2e7,3.0\n4e6,2e7,2.9\n");
        Files.writeString(root.resolve("ladder-recipe.json"), "{\"data\": {\"tokenizer\": \"char\", \"vocab\": 65}}");
        Files.writeString(root.resolve("typo-brief.md"), "# Brief\n\n## Constraints\n\n- noise_seds: 3\n");
        Files.writeString(root.resolve("zero-seeds-brief.md"), "# Brief\n\n## Constraints\n\n- noise_seeds: 0\n");
        Files.writeString(root.resolve("unknown-dimension-brief.md"), "# Brief\n\n## Search space\n\n- optimizer.flux: 1 .. 2\n");
        // a checkpoint folder without its tokenizer: sample and eval options are refused before it is even opened
        Files.createDirectories(root.resolve("ck"));
        Files.writeString(root.resolve("ck/config.json"), "{}");
        // a run whose event log is all damage
        Path run = Files.createDirectories(root.resolve("damaged-run"));
        Files.writeString(run.resolve("events.jsonl"), "\u0000\u0001garbage\n{not json\n");
        Files.writeString(run.resolve("recipe.json"), "{}");
        // a study another process is running: its settings written, its lock held and naming that process
        var b = Brief.defaults();
        Path studyDir = lab.resolve("studies/held");
        new StudySettings("held", b, b.startingRecipe(), "builtin", StudyBudget.parse("2runs"), studyDir,
                lab.resolve("cache"), 1, 1, false, false, 0, DecisionSettings.keepRule()).write();
        heldChannel = FileChannel.open(studyDir.resolve("study.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        heldChannel.write(java.nio.ByteBuffer.wrap((OTHER_PID + "\n").getBytes(StandardCharsets.US_ASCII)));
        held = heldChannel.lock();
    }

    @AfterAll
    static void release() throws Exception {
        if (heldChannel != null) heldChannel.close();
    }

    @Test
    void theBatteryIsLargeAndCoversEveryCommand() {
        var list = cases().toList();
        assertThat(list).hasSizeGreaterThanOrEqualTo(60);
        var commands = list.stream().map(k -> k.args()[0]).collect(Collectors.toSet());
        assertThat(commands).contains("train", "eval", "sample", "data", "doctor", "bench", "research", "studies",
                "study", "runs", "replicate", "scale");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    @Timeout(30)
    void isRefusedCleanly(Case k) throws Exception {
        String[] args = Arrays.stream(k.args()).map(a -> a.replace("{lab}", root.resolve("lab").toString())
                .replace("{root}", root.toString())).toArray(String[]::new);
        var before = outsideTheLab();
        boolean defaultLab = Files.exists(Path.of("flywheel-lab"));
        var r = CliTest.run(args);
        String what = String.join(" ", args) + "\nstdout: " + r.out() + "\nstderr: " + r.err();
        assertThat(r.code()).as(what).isEqualTo(2);
        assertThat(r.err()).as(what).contains(k.key().replace("{root}", root.toString()));
        assertThat(r.err() + r.out()).as(what).doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(r.err().lines().filter(l -> l.startsWith("flywheel: ")).count()).as(what).isEqualTo(1);
        assertThat(outsideTheLab()).as("files outside the lab after " + what).isEqualTo(before);
        assertThat(Files.exists(Path.of("flywheel-lab"))).as("a default lab made by " + what).isEqualTo(defaultLab);
        assertThat(held.isValid()).isTrue();
    }

    @Test
    void doctorSkipsOneTornLastLineWithoutAWord(@TempDir Path dir) throws Exception {
        var event = Output.JSON.writeValueAsString(new dev.flywheel.lab.run.RunEvent(12, dev.flywheel.lab.run.EventKind.NAN,
                "non-finite-loss", java.util.Map.of("loss", 1.0), null, "the loss is NaN"));
        Files.writeString(dir.resolve("events.jsonl"), event + "\n{\"step\": 13, \"ki");
        var r = CliTest.run("doctor", dir.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("1 guard events").doesNotContain("warning");
        // damage before the end is said, not skipped in silence
        Files.writeString(dir.resolve("events.jsonl"), event + "\n#garbage\n" + event + "\n");
        r = CliTest.run("doctor", dir.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("1 guard events").contains("warning: 2 unreadable lines");
    }

    @Test
    void aNewStudyRefusedForItsDataLeavesNoTraceAndItsNameFree(@TempDir Path dir) throws Exception {
        var lab = dir.resolve("lab");
        for (int attempt = 0; attempt < 2; attempt++) {
            var r = CliTest.run("research", "--lab", lab.toString(), "--study", "fresh", "--data",
                    dir.resolve("missing.txt").toString(), "--budget", "1runs");
            assertThat(r.code()).as(r.err()).isEqualTo(2);
            assertThat(r.err()).contains("missing.txt").doesNotContain("already exists");
        }
        assertThat(lab.resolve("studies/fresh")).doesNotExist();
        assertThat(Store.open(lab.resolve("flywheel.db")).study("fresh")).isEmpty();
    }

    /** Every path under the scratch folder except inside the lab. */
    private static Set<String> outsideTheLab() throws Exception {
        Path lab = root.resolve("lab");
        try (var walk = Files.walk(root)) {
            return walk.filter(p -> !p.startsWith(lab)).map(p -> root.relativize(p).toString())
                    .collect(Collectors.toCollection(TreeSet::new));
        }
    }

    static List<Case> all() {
        return cases().toList();
    }
}
