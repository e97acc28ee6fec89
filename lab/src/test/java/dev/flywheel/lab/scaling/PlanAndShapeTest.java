package dev.flywheel.lab.scaling;

import dev.flywheel.lab.recipe.Recipe;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class PlanAndShapeTest {

    @Test
    void theNearestShapeIsBuildableCloseInSizeAndKeepsTheRecipesArchitecture() {
        var base = Recipe.defaults().with(Map.of("model.position", "rope", "model.activation", "swiglu"));
        for (double target : new double[]{2e5, 1e6, 2e7, 3e8}) {
            var s = EngineShape.nearest(base, target);
            assertThat(s.params() / target).as("size for %s", target).isCloseTo(1, within(0.12));
            assertThat(s.width() % s.heads()).isZero();
            assertThat(s.recipe().model().position()).isEqualTo(Recipe.Model.Position.ROPE);
            assertThat(s.recipe().model().activation()).isEqualTo(Recipe.Model.Activation.SWIGLU);
            assertThat(s.recipe().estimatedParameters()).isEqualTo(s.params());
        }
    }

    @Test
    void aTargetSmallerThanTheVocabularyAllowsIsRefusedInWords() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> EngineShape.nearest(Recipe.defaults(), 1e4))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("plan for more compute");
    }

    @Test
    void aPlanSpendsTheComputeAndItsIntervalHoldsThePrediction() {
        var law = ScalingLawTest.EPOCH;
        var boot = List.of(new ScalingLaw(1.80, 470, 2000, 0.34, 0.36), new ScalingLaw(1.83, 490, 2200, 0.355, 0.37),
                new ScalingLaw(1.81, 480, 2100, 0.35, 0.365));
        var plan = ComputePlan.of(new FitReport.SavedLaw(law, boot, null), 1e14, Recipe.defaults());
        assertThat(6 * plan.optimum().params() * plan.optimum().tokens()).isCloseTo(1e14, within(1e5));
        assertThat(plan.lossInterval()[0]).isLessThanOrEqualTo(plan.optimum().loss());
        assertThat(plan.lossInterval()[1]).isGreaterThanOrEqualTo(plan.optimum().loss());
        assertThat(6.0 * plan.shape().params() * plan.shapeTokens()).isCloseTo(1e14, within(1e14 * 1e-6));
        var j = plan.toJson();
        assertThat(j).containsKeys("params", "tokens", "predicted_loss", "predicted_loss_interval", "shape");
        @SuppressWarnings("unchecked") var shape = (Map<String, Object>) j.get("shape");
        assertThat(shape).containsKeys("layers", "heads", "width");
    }
}
