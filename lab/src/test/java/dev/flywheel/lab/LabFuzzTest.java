package dev.flywheel.lab;

import dev.flywheel.engine.Fuzz;
import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.search.Brief;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The lab's parsers fuzzed (issue 22): recipe JSON and the research brief. Each either parses into a value that
 * can be used (hashed, written, diffed; the brief's starting recipe and search space built) or refuses with a
 * {@link LabException} carrying a message.
 */
class LabFuzzTest {

    static List<String> recipeSeeds() throws Exception {
        var seeds = new ArrayList<String>();
        seeds.add(Recipe.defaults().toJson());
        for (var study : List.of("builtin", "random", "confirm"))
            seeds.add(Files.readString(Path.of("src/test/resources/replay", study, "best-recipe.json")));
        return seeds;
    }

    static List<String> briefSeeds() throws Exception {
        var seeds = new ArrayList<String>();
        seeds.add(Files.readString(Path.of("src/main/resources/briefs/default.md")));
        seeds.add(Files.readString(Path.of("../docs/briefs/nanogpt-shakespeare.md")));
        for (var brief : List.of("tiny.md", "tiny-k1.md"))
            seeds.add(Files.readString(Path.of("src/test/resources/replay/briefs", brief)));
        return seeds;
    }

    static final Fuzz.Target RECIPE = input -> {
        var recipe = Recipe.parse(new String(input, StandardCharsets.UTF_8), "fuzzed.json");
        recipe.hash();
        Recipe.parse(recipe.toJson(), "round trip");
        Recipe.diff(Recipe.defaults(), recipe);
    };

    static final Fuzz.Target BRIEF = input -> {
        var brief = Brief.parse(new String(input, StandardCharsets.UTF_8), "fuzzed.md");
        brief.startingRecipe().hash();
        for (var d : brief.space().dimensions()) {
            d.describe();
            if (d instanceof dev.flywheel.lab.search.Dimension.Numeric n) n.toUnit(n.fromUnit(0.5));
        }
    };

    /** A brief's {@code - key: value} lines with the value replaced by a hostile one. */
    static Stream<byte[]> briefLines(List<String> seeds, long seed, int n) {
        var random = new Random(seed);
        var values = List.of("", "-1", "0", "NaN", "Infinity", "1e309", "99999999999999999999", "-0", "1 .. 0", "5 .. 5 log",
                "0 .. 1 log", "-1 .. 1 log", "a, b, c", ",,,", "..", "fixed", "defaults", "true", "[1, 2]", "{}", "\u0000",
                "1e-400 .. 1e400", "3 ..", ".. 3", "1.5", "9223372036854775807 tokens", "-5m", "0s", "1e9h", "∞");
        return Stream.generate(() -> {
            var lines = new ArrayList<>(seeds.get(random.nextInt(seeds.size())).lines().toList());
            for (int r = 1 + random.nextInt(3); r > 0; r--) {
                int i = random.nextInt(lines.size());
                var line = lines.get(i);
                int colon = line.indexOf(':');
                if (line.startsWith("- ") && colon > 0)
                    lines.set(i, line.substring(0, colon + 1) + " " + values.get(random.nextInt(values.size())));
                else if (random.nextBoolean()) lines.remove(i);
                else lines.add(i, lines.get(random.nextInt(lines.size())));
            }
            return String.join("\n", lines).getBytes(StandardCharsets.UTF_8);
        }).limit(n);
    }

    static Stream<byte[]> briefInputs(int n) throws Exception {
        var seeds = briefSeeds();
        return Stream.concat(briefLines(seeds, 22, n / 2),
                Fuzz.bytes(seeds.stream().map(s -> s.getBytes(StandardCharsets.UTF_8)).toList(), 22, n - n / 2));
    }

    @Test
    void recipeJsonParsesOrRefusesEveryMutantCleanly() throws Exception {
        var report = Fuzz.run("recipe", Fuzz.json(recipeSeeds(), 22, Fuzz.tries(400)), LabException.class, RECIPE);
        assertThat(report.findings()).isEmpty();
        assertThat(report.refused()).as("the mutants reach the checks").isGreaterThan(report.inputs() / 4);
    }

    @Test
    void briefParsesOrRefusesEveryMutantCleanly() throws Exception {
        var report = Fuzz.run("brief", briefInputs(Fuzz.tries(250)), LabException.class, BRIEF);
        assertThat(report.findings()).isEmpty();
        assertThat(report.refused()).as("the mutants reach the checks").isGreaterThan(report.inputs() / 10);
    }

    @Test
    void keptInputsStillParseOrRefuseCleanly() {
        for (var parser : List.of("recipe", "brief")) {
            var corpus = Fuzz.corpus(parser);
            var report = Fuzz.run(parser + "-corpus", corpus.stream(), LabException.class, parser.equals("recipe") ? RECIPE : BRIEF);
            assertThat(report.findings()).as(parser).isEmpty();
            assertThat(report.inputs()).isEqualTo(corpus.size()).isPositive();
        }
    }
}
