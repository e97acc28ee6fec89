package dev.flywheel.lab.search;

import dev.flywheel.lab.LabException;
import dev.flywheel.lab.recipe.Recipe;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SearchSpaceTest {

    final SearchSpace space = SearchSpace.defaults();
    final Recipe base = Recipe.defaults();

    Recipe accepted(Change change) {
        var result = space.apply(base, change);
        assertThat(result).isInstanceOf(ChangeResult.Accepted.class);
        return ((ChangeResult.Accepted) result).recipe();
    }

    List<String> rejected(SearchSpace space, Change change) {
        var result = space.apply(base, change);
        assertThat(result).as("expected a rejection of %s", change).isInstanceOf(ChangeResult.Rejected.class);
        return ((ChangeResult.Rejected) result).reasons();
    }

    List<String> rejected(Change change) {
        return rejected(space, change);
    }

    @Test
    void validChangeGivesTheRecipeAndItsDiff() {
        var result = (ChangeResult.Accepted) space.apply(base, Change.of(Map.of("optimizer.lr", 0.002)));
        assertThat(result.recipe().optimizer().lr()).isEqualTo(0.002);
        assertThat(result.diff()).containsExactly("optimizer.lr: 0.001 → 0.002");
        assertThat(result.change().values()).containsExactly(Map.entry("optimizer.lr", 0.002));
    }

    @Test
    void valuesAreCoercedSensibly() {
        var r = accepted(Change.of(mapOf("optimizer.lr", "2e-3", "model.layers", "6", "model.dim", 256.0,
                "model.qk_norm", "TRUE", "model.norm", "RMSNorm", "optimizer.weight_decay", 0)));
        assertThat(r.optimizer().lr()).isEqualTo(0.002);
        assertThat(r.model().layers()).isEqualTo(6);
        assertThat(r.model().dim()).isEqualTo(256);
        assertThat(r.model().qkNorm()).isTrue();
        assertThat(r.model().norm()).isEqualTo(Recipe.Model.Norm.RMSNORM);
        assertThat(r.optimizer().weightDecay()).isZero();
        assertThat(rejected(Change.of("model.layers", 4.5))).containsExactly("model.layers must be a whole number (got 4.5)");
        assertThat(rejected(Change.of("optimizer.lr", "fast")))
                .containsExactly("optimizer.lr must be a number (got \"fast\"); write a number such as 0.001 or 1e-3");
        assertThat(rejected(Change.of("model.qk_norm", 1))).singleElement().asString().contains("must be true or false (got 1)");
    }

    @Test
    void unknownPathsGetANearMiss() {
        assertThat(rejected(Change.of("optimizer.learning_rate", 0.01)))
                .containsExactly("optimizer.learning_rate is not a recipe setting; did you mean optimizer.lr?");
        assertThat(rejected(Change.of("model.layrs", 6)))
                .containsExactly("model.layers".replace("model.layers", "model.layrs is not a recipe setting; did you mean model.layers?"));
        assertThat(rejected(Change.of("data.vocabb", 6)))
                .containsExactly("data.vocabb is not a recipe setting; did you mean data.vocab? (it is not in this study's search space)");
        assertThat(rejected(Change.of("model.flux_capacitor", 1))).singleElement().asString()
                .startsWith("model.flux_capacitor is not a recipe setting; the model settings are layers, heads, dim");
    }

    @Test
    void evaluationSetupCanNeverBeChanged() {
        for (var path : List.of("data.vocab", "data.source", "eval.tokens", "seed", "budget.amount", "budget.kind")) {
            var value = switch (path) {
                case "data.source" -> "tinyshakespeare";
                case "budget.kind" -> "steps";
                default -> 4096;
            };
            assertThat(rejected(Change.of(path, value))).singleElement().asString()
                    .startsWith(path + " is fixed by the study")
                    .contains("change a setting of the search space instead, such as optimizer.lr or optimizer.min_lr");
        }
        assertThat(rejected(Change.of(Map.of("data", Map.of("split", "tail"))))).singleElement().asString()
                .startsWith("data.split is fixed by the study");
        // Not even a brief can put them into a search space.
        assertThatThrownBy(() -> Dimension.Numeric.linear("eval.tokens", 1, 100)).hasMessageContaining("is fixed by the study");
    }

    @Test
    void pathsOutsideTheSpaceAreRejectedWithTheListOfWhatMayChange() {
        var small = new SearchSpace(List.of(Dimension.Numeric.log("optimizer.lr", 1e-4, 1e-2),
                Dimension.Categorical.of("model.norm", "layernorm", "rmsnorm")));
        assertThat(rejected(small, Change.of("model.layers", 6)))
                .containsExactly("model.layers is not in this study's search space; the settings you may change are optimizer.lr, model.norm");
        assertThat(rejected(Change.of("model.rope_theta", 500000.0))).singleElement().asString()
                .startsWith("model.rope_theta is not in this study's search space");
        assertThat(rejected(Change.of("model", 3))).singleElement().asString()
                .isEqualTo("model is a section, not a setting; change one of its settings, such as model.layers");
    }

    @Test
    void boundsAndVariantsAreEnforced() {
        assertThat(rejected(Change.of("optimizer.lr", 0.5)))
                .containsExactly("optimizer.lr 0.5 is outside this study's search space 0.0001 .. 0.01; choose a value in that range");
        assertThat(rejected(Change.of("model.layers", 12)))
                .containsExactly("model.layers 12 is outside this study's search space 1 .. 8; choose a value in that range");
        assertThat(rejected(Change.of("model.dim", 100)))
                .containsExactly("model.dim 100 is not allowed in this study; choose one of 64, 96, 128, 192, 256, 384");
        assertThat(rejected(Change.of("model.norm", "batchnorm")))
                .containsExactly("model.norm must be one of layernorm, rmsnorm (got \"batchnorm\")");
        var noRope = SearchSpace.defaults().with(Dimension.Categorical.of("model.position", "learned"));
        assertThat(rejected(noRope, Change.of("model.position", "rope")))
                .containsExactly("model.position rope is not allowed in this study; choose one of learned");
    }

    @Test
    void crossFieldRulesAreCheckedOnTheWholeRecipe() {
        var custom = space.with(Dimension.Numeric.linear("model.heads", 1, 16));
        assertThat(rejected(custom, Change.of("model.heads", 3))).containsExactly(
                "the changed recipe is invalid: model: dim 128 is not divisible by heads 3; choose a dim that is a multiple of the number of heads");
        // Each of these alone is fine; together the head size is 96/32 = 3, odd, which RoPE cannot rotate.
        var wide = custom.with(Dimension.Numeric.linear("model.heads", 1, 32));
        assertThat(rejected(wide, Change.of(mapOf("model.dim", 96, "model.heads", 32, "model.position", "rope"))))
                .singleElement().asString().contains("RoPE needs an even head size");
        assertThat(rejected(Change.of(mapOf("optimizer.lr", 0.0005, "optimizer.min_lr", 0.0008))))
                .singleElement().asString().contains("optimizer.min_lr 0.0008 is above optimizer.lr 0.0005");
        // Changing lr and min_lr together is how to move both.
        assertThat(accepted(Change.of(mapOf("optimizer.lr", 0.005, "optimizer.min_lr", 0.0009))).optimizer().minLr()).isEqualTo(0.0009);
    }

    @Test
    void parameterLimitIsACrossFieldRule() {
        var limited = space.withMaxParameters(2_000_000);
        assertThat(rejected(limited, Change.of(mapOf("model.dim", 384, "model.layers", 8)))).singleElement().asString()
                .matches("the changed recipe has about 15(\\.\\d)?M parameters, above this study's limit of 2M; choose a smaller model.dim, model.layers or model.mlp_ratio");
        assertThat(limited.apply(base, Change.of("model.layers", 5))).isInstanceOf(ChangeResult.Accepted.class);
    }

    @Test
    void changesThatChangeNothingAreRejectedAndNoOpsDropped() {
        assertThat(rejected(Change.of("optimizer.lr", "0.001")))
                .containsExactly("the change leaves the recipe as it was: optimizer.lr is already 0.001; propose a different value");
        var result = (ChangeResult.Accepted) space.apply(base, Change.of(mapOf("optimizer.lr", 0.001, "model.layers", 6)));
        assertThat(result.change().values()).containsOnlyKeys("model.layers");
        assertThat(rejected(Change.of(Map.of()))).singleElement().asString().startsWith("the change is empty");
    }

    @Test
    void everyProblemIsReportedAndNothingThrows() {
        var reasons = rejected(Change.of(mapOf("model.layrs", 6, "data.vocab", 1, "optimizer.lr", 9.0, "model.norm", null)));
        assertThat(reasons).hasSize(4);
        assertThat(reasons.get(3)).isEqualTo("model.norm must be one of layernorm, rmsnorm (got nothing); remove the key to keep the current value");
        // Strange objects from a careless caller are still a rejection, not an exception.
        assertThat(rejected(Change.of("optimizer.lr", new Object()))).singleElement().asString().contains("optimizer.lr");
        assertThat(rejected(Change.of("optimizer.lr", List.of(1, 2)))).singleElement().asString().contains("must be a number");
    }

    @Test
    void changesParseFromAgentJsonAndFlattenNestedObjects() {
        var change = Change.parse("{\"optimizer\": {\"lr\": 0.002}, \"model.norm\": \"rmsnorm\"}");
        assertThat(change.values()).containsExactly(Map.entry("optimizer.lr", 0.002), Map.entry("model.norm", "rmsnorm"));
        assertThat(change.describe()).isEqualTo("optimizer.lr=0.002, model.norm=rmsnorm");
        assertThat(Change.parse(change.toJson())).isEqualTo(change);
        assertThatThrownBy(() -> Change.parse("{\"optimizer.lr\": }")).isInstanceOf(LabException.class)
                .hasMessageStartingWith("the change is not valid JSON");
        assertThatThrownBy(() -> Change.parse("[1]")).hasMessageStartingWith("a change must be a JSON object of dotted paths");
    }

    @Test
    void everyValueOfTheDefaultSpaceBuildsARecipe() {
        var random = new Random(11);
        for (var d : space.dimensions()) {
            switch (d) {
                case Dimension.Numeric n -> {
                    for (double u : new double[]{0, 0.5, 1, random.nextDouble()})
                        assertThat(space.apply(base, Change.of(n.path(), n.fromUnit(u))))
                                .as("%s at %s", n.path(), u)
                                .satisfiesAnyOf(r -> assertThat(r).isInstanceOf(ChangeResult.Accepted.class),
                                        r -> assertThat(((ChangeResult.Rejected) r).reasons()).allMatch(
                                                s -> s.startsWith("the change leaves the recipe as it was")
                                                        || s.contains("optimizer.min_lr")));
                }
                case Dimension.Categorical c -> {
                    for (var v : c.values())
                        assertThat(space.apply(base, Change.of(c.path(), v))).as("%s = %s", c.path(), v)
                                .satisfiesAnyOf(r -> assertThat(r).isInstanceOf(ChangeResult.Accepted.class),
                                        r -> assertThat(((ChangeResult.Rejected) r).reasons()).singleElement().asString()
                                                .startsWith("the change leaves the recipe as it was"));
                }
            }
        }
        // Heads and widths are chosen so every pairing builds, with RoPE too.
        var heads = (Dimension.Categorical) space.dimension("model.heads").orElseThrow();
        var dims = (Dimension.Categorical) space.dimension("model.dim").orElseThrow();
        for (var h : heads.values())
            for (var w : dims.values())
                assertThat(base.with(mapOf("model.heads", h, "model.dim", w, "model.position", "rope")).model().dim()).isEqualTo(((Long) w).intValue());
    }

    @Test
    void numericDimensionsMapTheUnitInterval() {
        var lr = Dimension.Numeric.log("optimizer.lr", 1e-4, 1e-2);
        assertThat(lr.fromUnit(0)).isEqualTo(1e-4);
        assertThat(lr.fromUnit(0.5)).isCloseTo(1e-3, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(lr.toUnit(1e-3)).isCloseTo(0.5, org.assertj.core.data.Offset.offset(1e-12));
        var layers = new Dimension.Numeric("model.layers", 0.5, 8.7, false, false);
        assertThat(layers.integer()).isTrue();
        assertThat(layers.min()).isEqualTo(1);
        assertThat(layers.max()).isEqualTo(8);
        assertThat(layers.fromUnit(0.52)).isEqualTo(5);
        assertThatThrownBy(() -> Dimension.Numeric.log("optimizer.weight_decay", 0, 0.3)).hasMessageContaining("log scale needs a lower bound above 0");
        assertThatThrownBy(() -> Dimension.Numeric.linear("optimizer.lr", 0.1, 0.01)).hasMessageContaining("write the smaller bound first");
        assertThatThrownBy(() -> Dimension.Numeric.linear("model.norm", 0, 1)).hasMessageContaining("list its values instead, such as model.norm: layernorm, rmsnorm");
        assertThatThrownBy(() -> Dimension.Categorical.of("model.norm", "groupnorm")).hasMessageContaining("must be one of layernorm, rmsnorm");
        assertThatThrownBy(() -> new SearchSpace(List.of(lr, lr))).hasMessageContaining("appears twice");
    }

    static Map<String, Object> mapOf(Object... kv) {
        var m = new LinkedHashMap<String, Object>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }
}
