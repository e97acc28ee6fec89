package dev.flywheel.lab.recipe;

import dev.flywheel.engine.ModelConfig;
import dev.flywheel.lab.LabException;
import dev.flywheel.lab.budget.RunBudget;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RecipeTest {

    static final String CONTRACT = """
            {
             "data": {"source": "jdk-src", "tokenizer": "bpe", "vocab": 2048, "split": "hash"},
             "model": {"layers": 4, "heads": 4, "dim": 128, "seq": 128, "mlp_ratio": 4.0, "norm": "layernorm", "position": "learned", "activation": "gelu", "tied_head": true, "bias": true, "qk_norm": false, "z_loss": 0.0, "attn_soft_cap": 0.0, "rope_theta": 10000.0},
             "optimizer": {"name": "adamw", "lr": 0.001, "min_lr": 0.0001, "beta1": 0.9, "beta2": 0.99, "eps": 1e-8, "weight_decay": 0.1, "grad_clip": 1.0, "muon_lr": 0.02, "muon_momentum": 0.95},
             "schedule": {"kind": "cosine", "warmup": 100, "decay_fraction": 0.2},
             "batch": {"size": 16, "accum": 1},
             "budget": {"kind": "tokens", "amount": 250000},
             "seed": 1337,
             "eval": {"tokens": 131072, "every": 0},
             "guard": {"policy": "remediate"},
             "inject": []
            }
            """;

    @Test
    void contractJsonIsExactlyTheDefaults() {
        assertThat(Recipe.parse(CONTRACT, "contract.json")).isEqualTo(Recipe.defaults());
        assertThat(Recipe.parse("{}", "empty.json")).isEqualTo(Recipe.defaults());
    }

    @Test
    void prettyJsonHasTheDocumentedShapeAndReadsBack() {
        var json = Recipe.defaults().toJson();
        assertThat(json).startsWith("{\n  \"data\": {\n    \"source\": \"jdk-src\",");
        assertThat(json).contains("\"mlp_ratio\": 4.0", "\"eps\": 1e-8", "\"amount\": 250000\n", "\"tied_head\": true",
                "\"rope_theta\": 10000.0", "\"inject\": []", "\"norm\": \"layernorm\"", "\"min_lr\": 0.0001");
        assertThat(json.indexOf("\"model\"")).isLessThan(json.indexOf("\"optimizer\""));
        assertThat(Recipe.parse(json, "x")).isEqualTo(Recipe.defaults());
        var varied = Recipe.defaults().with(Map.of("inject", List.of("nan@5", "lr-spike@7:2.5"), "budget.kind", "seconds", "budget.amount", 0.5));
        assertThat(Recipe.parse(varied.toJson(), "x")).isEqualTo(varied);
        assertThat(varied.toJson()).contains("\"inject\": [\"nan@5\", \"lr-spike@7:2.5\"]", "\"amount\": 0.5");
    }

    @Test
    void anyObjectMapperWritesTheSameShape() throws Exception {
        // Other modules (the web dashboard, the agent's tool results) serialise recipes with their own mappers.
        var plain = new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(Recipe.defaults().with("inject", List.of("nan@3")));
        assertThat(plain).contains("\"mlp_ratio\":4.0", "\"norm\":\"layernorm\"", "\"amount\":250000}", "\"tied_head\":true")
                .doesNotContain("mlpRatio", "LAYERNORM", "\"hash\":", "model_config", "modelConfig");
        assertThat(Recipe.parse(plain, "plain")).isEqualTo(Recipe.defaults().with("inject", List.of("nan@3")));
    }

    @Test
    void numbersAreFormattedShortAndFixed() {
        assertThat(Values.format(0.0001)).isEqualTo("0.0001");
        assertThat(Values.format(5e-5)).isEqualTo("5e-5");
        assertThat(Values.format(2.5e-9)).isEqualTo("2.5e-9");
        assertThat(Values.format(4.0)).isEqualTo("4.0");
        assertThat(Values.format(0.1 + 0.2)).isEqualTo("0.30000000000000004");
        assertThat(Values.format(1234567.0)).isEqualTo("1234567.0");
        assertThat(Values.format(1e7)).isEqualTo("1e7");
        assertThat(Values.format(-0.0)).isEqualTo("0.0");
        assertThat(Values.format(List.of("a", "b"))).isEqualTo("[a, b]");
        assertThat(Values.format(Recipe.Model.Norm.RMSNORM)).isEqualTo("rmsnorm");
    }

    @Test
    void canonicalJsonIsCompactSortedAndStable() {
        var canonical = Recipe.defaults().canonicalJson();
        assertThat(canonical).doesNotContain(" ", "\n");
        assertThat(canonical).startsWith("{\"batch\":{\"accum\":1,\"size\":16},\"budget\":{\"amount\":250000,\"kind\":\"tokens\"}");
        assertThat(canonical).contains("\"eps\":1e-8");
        // Pinned: a change here changes every stored recipe's identity, so it must be deliberate.
        assertThat(Recipe.defaults().hash()).hasSize(12).matches("[0-9a-f]{12}").isEqualTo(Recipe.parse(CONTRACT, "x").hash());
    }

    @Test
    void hashFollowsContentNotSpelling() {
        var a = Recipe.parse("{\"optimizer\": {\"lr\": 0.002}}", "a");
        var b = Recipe.parse("{\"optimizer\": {\"lr\": \"2e-3\", \"name\": \"AdamW\"}, \"model\": {\"layers\": 4.0}}", "b");
        assertThat(a).isEqualTo(b);
        assertThat(a.hash()).isEqualTo(b.hash()).isNotEqualTo(Recipe.defaults().hash());
        assertThat(Recipe.defaults().with("model.z_loss", -0.0).hash()).isEqualTo(Recipe.defaults().hash());
    }

    @Test
    void randomRecipesRoundTripThroughJsonWithTheSameHash() {
        var random = new Random(7);
        for (int i = 0; i < 100; i++) {
            var changes = new LinkedHashMap<String, Object>();
            changes.put("optimizer.lr", Math.exp(-9 + 5 * random.nextDouble()));
            changes.put("optimizer.min_lr", 0.0);
            changes.put("optimizer.weight_decay", random.nextDouble() * 0.3);
            changes.put("model.mlp_ratio", 1 + random.nextDouble() * 4);
            changes.put("model.heads", List.of(1, 2, 4, 8).get(random.nextInt(4)));
            changes.put("model.norm", random.nextBoolean() ? "rmsnorm" : "layernorm");
            changes.put("seed", random.nextLong());
            var recipe = Recipe.defaults().with(changes);
            var back = Recipe.parse(recipe.toJson(), "round-trip");
            assertThat(back).isEqualTo(recipe);
            assertThat(back.hash()).isEqualTo(recipe.hash());
            assertThat(back.canonicalJson()).isEqualTo(recipe.canonicalJson());
        }
    }

    @Test
    void diffListsChangedSettingsInDocumentedOrder() {
        var b = Recipe.defaults().with(Map.of("optimizer.lr", 0.002, "model.norm", "rmsnorm", "inject", List.of("nan@3")));
        assertThat(Recipe.diff(Recipe.defaults(), b)).containsExactly(
                "model.norm: layernorm → rmsnorm", "optimizer.lr: 0.001 → 0.002", "inject: [] → [nan@3]");
        assertThat(Recipe.diff(b, b)).isEmpty();
        assertThat(Recipe.diff(Recipe.defaults(), Recipe.defaults().with("optimizer.eps", 1e-6)))
                .containsExactly("optimizer.eps: 1e-8 → 1e-6");
    }

    @Test
    void modelSectionMapsToTheEngineConfig() {
        var recipe = Recipe.defaults().with(Map.of("model.mlp_ratio", 2.67, "model.norm", "rmsnorm",
                "model.position", "rope", "model.activation", "swiglu", "model.qk_norm", true, "model.z_loss", 1e-4));
        ModelConfig config = recipe.modelConfig();
        assertThat(config.vocabSize()).isEqualTo(2048);
        assertThat(config.seqLen()).isEqualTo(128);
        assertThat(config.mlpHidden()).isEqualTo(342); // round(2.67 · 128) = round(341.76)
        assertThat(config.norm()).isEqualTo(ModelConfig.Norm.RMSNORM);
        assertThat(config.position()).isEqualTo(ModelConfig.Position.ROPE);
        assertThat(config.activation()).isEqualTo(ModelConfig.Activation.SWIGLU);
        assertThat(config.qkNorm()).isTrue();
        assertThat(config.zLoss()).isEqualTo(1e-4f);
        assertThat(config.normEps()).isEqualTo(1e-5f);
        assertThat(Recipe.defaults().modelConfig()).isEqualTo(ModelConfig.gpt2(2048, 128, 4, 4, 128));
    }

    @Test
    void crossFieldRulesComeFromTheEngine() {
        assertThatThrownBy(() -> Recipe.defaults().with("model.heads", 3))
                .isInstanceOf(RecipeException.class)
                .hasMessageContaining("model: dim 128 is not divisible by heads 3")
                .hasMessageContaining("multiple of the number of heads");
        // dim 96 / heads 32 = head size 3: fine with learned positions, odd for RoPE.
        var odd = Recipe.defaults().with(Map.of("model.dim", 96, "model.heads", 32));
        assertThat(odd.model().heads()).isEqualTo(32);
        assertThatThrownBy(() -> odd.with("model.position", "rope")).hasMessageContaining("RoPE needs an even head size");
        assertThatThrownBy(() -> Recipe.defaults().with("optimizer.min_lr", 0.01))
                .hasMessageContaining("optimizer.min_lr 0.01 is above optimizer.lr 0.001");
    }

    @Test
    void unknownKeyInAFileNamesFileAndPathAndSuggestsTheFix() {
        assertThatThrownBy(() -> Recipe.parse("{\"model\": {\"layrs\": 6}}", "run.json"))
                .isInstanceOf(RecipeException.class)
                .hasMessage("recipe run.json: model.layrs is not a recipe setting; did you mean model.layers?");
        assertThatThrownBy(() -> Recipe.parse("{\"model\": {\"lr\": 0.1}}", "run.json"))
                .hasMessage("recipe run.json: model.lr is not a recipe setting; did you mean optimizer.lr?");
        assertThatThrownBy(() -> Recipe.parse("{\"learning_rate\": 0.1}", "run.json"))
                .hasMessage("recipe run.json: learning_rate is not a recipe setting; did you mean optimizer.lr?");
        assertThatThrownBy(() -> Recipe.parse("{\"model\": {\"wobble\": 1}}", "run.json"))
                .hasMessageStartingWith("recipe run.json: model.wobble is not a recipe setting; the model settings are layers, heads, dim");
        assertThatThrownBy(() -> Recipe.parse("{\"modle\": {}}", "run.json"))
                .hasMessage("recipe run.json: modle is not a recipe setting; did you mean model?");
    }

    @Test
    void wrongTypesNameThePathAndTheAcceptedForm() {
        assertThatThrownBy(() -> Recipe.parse("{\"model\": {\"layers\": \"four\"}}", "run.json"))
                .hasMessage("recipe run.json: model.layers must be a whole number (got \"four\"); write a whole number such as 4");
        assertThatThrownBy(() -> Recipe.parse("{\"model\": {\"layers\": 4.5}}", "run.json"))
                .hasMessage("recipe run.json: model.layers must be a whole number (got 4.5)");
        assertThatThrownBy(() -> Recipe.parse("{\"model\": {\"tied_head\": \"yes\"}}", "run.json"))
                .hasMessageContaining("model.tied_head must be true or false (got \"yes\")");
        assertThatThrownBy(() -> Recipe.parse("{\"model\": {\"norm\": \"batchnorm\"}}", "run.json"))
                .hasMessage("recipe run.json: model.norm must be one of layernorm, rmsnorm (got \"batchnorm\")");
        assertThatThrownBy(() -> Recipe.parse("{\"model\": 4}", "run.json"))
                .hasMessageContaining("model must be a JSON object of model settings");
        assertThatThrownBy(() -> Recipe.parse("{\"optimizer\": {\"lr\": null}}", "run.json"))
                .hasMessageContaining("optimizer.lr must be a number (got nothing)");
        assertThatThrownBy(() -> Recipe.parse("{\"model\": {\"layers\": 1e12}}", "run.json"))
                .hasMessageContaining("model.layers is too large");
    }

    @Test
    void invalidValuesNameThePathAndTheRange() {
        assertThatThrownBy(() -> Recipe.parse("{\"model\": {\"layers\": 0}}", "run.json"))
                .hasMessage("recipe run.json: model.layers must be at least 1 (got 0)");
        assertThatThrownBy(() -> Recipe.parse("{\"optimizer\": {\"beta2\": 1.5}}", "run.json"))
                .hasMessage("recipe run.json: optimizer.beta2 must be at least 0 and below 1 (got 1.5)");
        assertThatThrownBy(() -> Recipe.parse("{\"optimizer\": {\"lr\": -1}}", "run.json"))
                .hasMessage("recipe run.json: optimizer.lr must be a number above 0 (got -1.0)");
        assertThatThrownBy(() -> Recipe.parse("{\"data\": {\"vocab\": 100}}", "run.json"))
                .hasMessage("recipe run.json: data.vocab must be at least 257 (got 100); a BPE vocabulary holds the 256 bytes and <|endoftext|>, plus merges");
        assertThatThrownBy(() -> Recipe.parse("{\"data\": {\"split\": \"random\"}}", "run.json"))
                .hasMessage("recipe run.json: data.split must be one of hash, contiguous (got \"random\")");
        assertThatThrownBy(() -> Recipe.parse("{\"data\": {\"tokenizer\": \"gpt2\"}}", "run.json"))
                .hasMessage("recipe run.json: data.tokenizer must be one of bpe, byte, char (got \"gpt2\")");
        assertThatThrownBy(() -> Recipe.parse("{\"budget\": {\"kind\": \"steps\", \"amount\": 10.5}}", "run.json"))
                .hasMessageContaining("budget.amount: a run budget in steps must be a whole number (got 10.5)");
        assertThatThrownBy(() -> Recipe.parse("{\"inject\": [\"lr-spike@200\"]}", "run.json"))
                .hasMessageContaining("inject[0]: \"lr-spike@200\" needs a factor; write lr-spike@200:FACTOR");
    }

    @Test
    void severalProblemsAreAllReportedOneALine() {
        var e = (RecipeException) catchLab(() -> Recipe.parse(
                "{\"model\": {\"layrs\": 6, \"dim\": \"wide\"}, \"optimizer\": {\"lr\": true}}", "run.json"));
        assertThat(e.problems()).extracting(RecipeException.Problem::path)
                .containsExactly("model.layrs", "model.dim", "optimizer.lr");
        assertThat(e.getMessage().lines()).hasSize(3).allMatch(l -> l.startsWith("recipe run.json: "));
        // Value rules too: one problem per section is found in a single read.
        var values = (RecipeException) catchLab(() -> Recipe.parse(
                "{\"model\": {\"layers\": 0}, \"optimizer\": {\"beta2\": 2}, \"batch\": {\"size\": 0}}", "run.json"));
        assertThat(values.problems()).extracting(RecipeException.Problem::path)
                .containsExactly("model.layers", "optimizer.beta2", "batch.size");
    }

    @Test
    void syntaxErrorsAndMissingFilesAreOneSentence(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> Recipe.parse("{\"model\": {\"layers\": 4,}}", "run.json"))
                .isInstanceOf(LabException.class)
                .hasMessageStartingWith("recipe run.json is not valid JSON at line 1, column")
                .hasMessageEndingWith("fix the syntax there");
        assertThatThrownBy(() -> Recipe.parse("[1, 2]", "run.json")).hasMessageStartingWith("recipe run.json must be a JSON object");
        var missing = dir.resolve("nope.json");
        assertThatThrownBy(() -> Recipe.read(missing)).hasMessageStartingWith("recipe " + missing + " does not exist");
        var file = dir.resolve("sub/recipe.json");
        var recipe = Recipe.defaults().with("model.layers", 6);
        recipe.write(file);
        assertThat(Recipe.read(file)).isEqualTo(recipe);
        assertThat(Files.list(file.getParent())).containsExactly(file); // no temporary file left behind
    }

    @Test
    void tokenizersFixWhatTheyFix() {
        // The byte tokenizer has exactly 257 ids, whatever the file says, so equal runs hash equal.
        var bytes = Recipe.parse("{\"data\": {\"tokenizer\": \"byte\"}}", "a");
        assertThat(bytes.data().vocab()).isEqualTo(257);
        assertThat(Recipe.parse("{\"data\": {\"tokenizer\": \"byte\", \"vocab\": 4096}}", "b").hash()).isEqualTo(bytes.hash());
        assertThat(bytes.modelConfig().vocabSize()).isEqualTo(257);
        // A char vocabulary is the text's; the executor passes the prepared size.
        var chars = Recipe.parse("{\"data\": {\"source\": \"tinyshakespeare\", \"tokenizer\": \"char\", \"split\": \"contiguous\"}}", "c");
        assertThat(chars.modelConfig(65).vocabSize()).isEqualTo(65);
        assertThat(chars.data().split()).isEqualTo(Recipe.Data.Split.CONTIGUOUS);
    }

    @Test
    void olderFilesWithoutNewerKeysStillRead() {
        // A file written before guard thresholds or eval.every existed: missing keys take their defaults.
        var old = Recipe.parse("{\"model\": {\"layers\": 2}, \"guard\": {}, \"eval\": {\"batches\": 5}}", "old.json");
        assertThat(old.model().layers()).isEqualTo(2);
        assertThat(old.eval().every()).isZero();
        assertThat(old.guard().policy()).isEqualTo(Recipe.Guard.Policy.REMEDIATE);
    }

    @Test
    void recipesWrittenWithEvalBatchesReadAsTheTokensTheyScoredAtTheDefaultContext() {
        var old = Recipe.parse("{\"eval\": {\"batches\": 10, \"every\": 5}}", "old.json");
        assertThat(old.eval()).isEqualTo(new Recipe.Eval(10 * 8 * 128, 5));
        assertThat(Recipe.defaults().with("eval.batches", 4).eval().tokens()).isEqualTo(4096);
        assertThat(Recipe.defaults().with("eval.batches", 4.0).eval().tokens()).isEqualTo(4096);
        assertThat(Recipe.defaults().with(Map.of("eval", Map.of("batches", 2))).eval().tokens()).isEqualTo(2048);
        assertThatThrownBy(() -> Recipe.defaults().with("eval.batches", 2.5)).hasMessageContaining("eval.batches is now eval.tokens");
        assertThatThrownBy(() -> Recipe.defaults().with("eval.tokens", 0)).hasMessageContaining("eval.tokens must be at least 1");
    }

    @Test
    void getFlattenAndTypedViews() {
        var r = Recipe.defaults().with(Map.of("inject", List.of("corrupt-batch@300", "lr-spike@200:10", "nan@150"),
                "budget.kind", "steps", "budget.amount", "500"));
        assertThat(r.get("optimizer.lr")).isEqualTo(0.001);
        assertThat(r.get("model.layers")).isEqualTo(4L);
        assertThat(r.get("model.tied_head")).isEqualTo(true);
        assertThat(r.get("model.norm")).isEqualTo("layernorm");
        assertThat(r.flatten()).hasSize(50).containsEntry("seed", 1337L).containsEntry("guard.loss_z", 6.0);
        assertThatThrownBy(() -> r.get("model.layer")).hasMessageContaining("did you mean model.layers?");
        assertThat(r.runBudget()).isEqualTo(new RunBudget.Steps(500));
        assertThat(r.injections()).containsExactly(new Injection.CorruptBatch(300), new Injection.LrSpike(200, 10), new Injection.Nan(150));
        assertThat(r.tokensPerStep()).isEqualTo(16L * 128);
        assertThat(Recipe.Budget.of(new RunBudget.Tokens(2_000_000))).isEqualTo(new Recipe.Budget(Recipe.Budget.Kind.TOKENS, 2e6));
    }

    @Test
    void nestedChangesAreFlattenedAndCamelCaseIsUnderstood() {
        var r = Recipe.defaults().with(Map.of("optimizer", Map.of("lr", "0.003", "weightDecay", 0.0), "model.mlpRatio", 3));
        assertThat(r.optimizer().lr()).isEqualTo(0.003);
        assertThat(r.optimizer().weightDecay()).isZero();
        assertThat(r.model().mlpRatio()).isEqualTo(3.0);
    }

    @Test
    void parameterEstimateMatchesGpt2Arithmetic() {
        // GPT-2 small: 124,439,808 parameters with V=50257, T=1024, L=12, C=768 (tied head, biases, LayerNorm).
        var gpt2 = Recipe.defaults().with(Map.of("data.vocab", 50257,
                "model.layers", 12, "model.heads", 12, "model.dim", 768, "model.seq", 1024));
        assertThat(gpt2.estimatedParameters()).isEqualTo(124_439_808L);
        var untied = gpt2.with("model.tied_head", false);
        assertThat(untied.estimatedParameters() - gpt2.estimatedParameters()).isEqualTo(50257L * 768);
    }

    @Test
    void injectionsParseAndReject() {
        assertThat(Injection.parse(" lr-spike @ 200 : 10 ")).isEqualTo(new Injection.LrSpike(200, 10));
        assertThat(new Injection.LrSpike(200, 10).spec()).isEqualTo("lr-spike@200:10.0");
        assertThat(Injection.parse(new Injection.LrSpike(200, 2.5).spec())).isEqualTo(new Injection.LrSpike(200, 2.5));
        assertThatThrownBy(() -> Injection.parse("explode@3")).hasMessageContaining("unknown fault \"explode\"");
        assertThatThrownBy(() -> Injection.parse("nan@3:2")).hasMessageContaining("nan takes no factor");
        assertThatThrownBy(() -> Injection.parse("lr-spike@3:-1")).hasMessageContaining("factor must be a number above 0");
        assertThatThrownBy(() -> Injection.parse("nan")).hasMessageContaining("is not an injection");
    }

    static LabException catchLab(Runnable r) {
        try {
            r.run();
        } catch (LabException e) {
            return e;
        }
        throw new AssertionError("expected a LabException");
    }
}
