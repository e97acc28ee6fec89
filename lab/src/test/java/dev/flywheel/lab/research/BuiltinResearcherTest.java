package dev.flywheel.lab.research;

import dev.flywheel.lab.search.Brief;
import dev.flywheel.lab.search.Change;
import dev.flywheel.lab.search.ChangeResult;
import dev.flywheel.lab.study.Diagnostics;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The built-in researcher's choices on histories written by hand ({@link FakeLab}): the opening screen of structural
 * variants, the learning rate searched again after a structural keep, no chasing of discarded near misses, and
 * priors that argue in the terms of the run budget.
 */
class BuiltinResearcherTest {

    private static final List<String> SCREENED = List.of("optimizer.name=muon", "model.position=rope",
            "model.activation=swiglu", "model.qk_norm=true", "model.norm=rmsnorm");

    /** The next proposal, recorded as discarded (looking {@code sigmas} σ better), {@code n} times. */
    static List<Proposal> discardAll(FakeLab lab, int n, double sigmas) {
        var researcher = new BuiltinResearcher(1);
        var out = new ArrayList<Proposal>();
        for (int i = 0; i < n; i++) {
            var p = researcher.propose(lab, 0).orElseThrow();
            out.add(p);
            lab.experiment(p.change(), false, sigmas);
        }
        return out;
    }

    static String describe(Proposal p) {
        return p.change().describe();
    }

    @Test
    void aFreshStudyScreensTheStructuralVariantsWithinSixExperiments() {
        var proposals = discardAll(FakeLab.defaults(), 8, 0);
        for (int i = 0; i < 8; i++) System.out.println((i + 1) + ". " + describe(proposals.get(i)) + " — " + proposals.get(i).hypothesis());
        var firstSix = proposals.subList(0, 6).stream().map(BuiltinResearcherTest::describe).toList();
        // the default recipe warms up for 100 of its 122 steps, which the playbook puts first
        assertThat(firstSix.getFirst()).isEqualTo("schedule.warmup=50");
        assertThat(proposals.getFirst().hypothesis()).contains("82% of the 122 steps");
        assertThat(firstSix.subList(1, 6)).containsExactlyElementsOf(SCREENED); // Muon second, the rest in order
        assertThat(proposals.get(1).hypothesis()).contains("Screening early").contains("1 of 5").endsWith("[ablation]");
        assertThat(describe(proposals.get(6))).startsWith("optimizer.lr=0.002");
        // the rate's other direction next: the step up was discarded from this best
        assertThat(describe(proposals.get(7))).startsWith("optimizer.lr=0.0005");
        assertThat(proposals.get(7).hypothesis()).contains("was discarded from this best, so the line search turns");
    }

    @Test
    void withoutAPlaybookRemedyTheRateGoesFirstThenTheScreen() {
        // a baseline whose warmup (20 of 122 steps) does not eat the run
        var lab = new FakeLab(Brief.defaults().text().replace("## Baseline\n", "## Baseline\n\n- schedule.warmup: 20\n"));
        var researcher = new BuiltinResearcher(1);
        var first = researcher.propose(lab, 0).orElseThrow();
        assertThat(describe(first)).startsWith("optimizer.lr=0.002");
        lab.experiment(first.change(), false, 0);
        assertThat(describe(researcher.propose(lab, 0).orElseThrow())).isEqualTo("optimizer.name=muon");
    }

    @Test
    void aKeptRateStepIsFollowedOnceThenTheOverdueScreenGoesFirst() {
        var lab = FakeLab.defaults();
        var researcher = new BuiltinResearcher(1);
        lab.experiment(Change.of(Map.of("optimizer.lr", 0.002, "optimizer.min_lr", 0.0002)), true, 3);
        var second = researcher.propose(lab, 0).orElseThrow();
        assertThat(describe(second)).startsWith("optimizer.lr=0.004");
        assertThat(second.hypothesis()).contains("was kept, so the line search goes on");
        lab.experiment(second.change(), true, 3); // kept again: Muon is overdue now and goes before a third rate step
        assertThat(describe(researcher.propose(lab, 0).orElseThrow())).isEqualTo("optimizer.name=muon");
    }

    @Test
    void afterAStructuralKeepTheNextProposalIsALearningRateStep() {
        var lab = FakeLab.defaults();
        lab.experiment(Change.of(Map.of("optimizer.lr", 0.002, "optimizer.min_lr", 0.0002)), false, 0.5);
        lab.experiment(Change.of("optimizer.name", "muon"), true, 4);
        var p = new BuiltinResearcher(1).propose(lab, 0).orElseThrow();
        // the rate step up was discarded under AdamW, but Muon moved the best rate: the search starts again, up first
        assertThat(p.change().values()).containsKey("optimizer.lr");
        assertThat((Double) p.change().values().get("optimizer.lr")).isEqualTo(0.002);
        assertThat(p.hypothesis()).contains("optimizer.name=muon").contains("searched again").endsWith("[line search]");
        // under Muon the rates move together, as the study's sweep scales them
        assertThat(p.change().values()).containsEntry("optimizer.muon_lr", 0.04);
    }

    @Test
    void aRateTheSweepAlreadyRanIsNotProposedAgain() {
        var lab = FakeLab.defaults();
        lab.experiment(Change.of("model.position", "rope"), true, 4);
        // the study's sweep measured the kept recipe at ×0.5 and ×2 its rate on the sweep seed
        var best = lab.bestRecipe();
        lab.sweep(best.with(Map.of("optimizer.lr", 0.0005, "optimizer.min_lr", 0.00005)), 2.1);
        lab.sweep(best.with(Map.of("optimizer.lr", 0.002, "optimizer.min_lr", 0.0002)), 2.05);
        var p = new BuiltinResearcher(1).propose(lab, 0).orElseThrow();
        assertThat(p.change().values().get("optimizer.lr")).isNotIn(0.0005, 0.002);
        assertThat(describe(p)).isEqualTo("optimizer.name=muon"); // both rate steps ran: the screen goes on
    }

    @Test
    void aDiscardedNearMissIsNeitherProposedAgainNorCombined() {
        var lab = FakeLab.defaults();
        var proposals = discardAll(lab, 12, 1.5); // every one looked 1.5σ better and was discarded
        var seen = new ArrayList<String>();
        for (var p : proposals) {
            assertThat(seen).as("proposed twice").doesNotContain(Evidence.canonical(p.change().values()));
            seen.add(Evidence.canonical(p.change().values()));
            assertThat(p.hypothesis()).doesNotContain("bolder").doesNotContain("combination").doesNotContain("σ better");
            // one idea at a time: a rate step moves min_lr along, nothing else comes in two
            assertThat(p.change().values().keySet().stream().filter(k -> !k.equals("optimizer.min_lr")).count()).isEqualTo(1);
        }
        // after the rate was discarded both ways, no bolder rate: the rate stays off the top of the list
        assertThat(proposals.stream().map(BuiltinResearcherTest::describe)
                .filter(d -> d.startsWith("optimizer.lr=0.004") || d.startsWith("optimizer.lr=0.00025"))).isEmpty();
    }

    @Test
    void aChangeAlreadyTriedFromTheSameBestIsNotResubmitted() {
        var lab = FakeLab.defaults();
        lab.experiment(Change.of("model.position", "rope"), false, 1.5);
        var researcher = new BuiltinResearcher(1);
        for (int i = 0; i < 10; i++) {
            var p = researcher.propose(lab, 0).orElseThrow();
            assertThat(describe(p)).isNotEqualTo("model.position=rope");
            lab.experiment(p.change(), false, 0);
        }
    }

    static Diagnostics stillFalling() {
        return new Diagnostics(new double[5], 0.06, 0, Double.NaN, 0, 0, false, false, Double.NaN, true, false, false,
                false, false, "still falling");
    }

    static List<String> hypotheses(FakeLab lab) {
        var r = new BuiltinResearcher(1);
        return r.candidates(new Evidence(lab, 1, 0)).stream().map(Candidate::hypothesis).toList();
    }

    @Test
    void underATokenBudgetNoHypothesisArguesInStepsPerSecond() {
        var lab = FakeLab.defaults().diagnostics(stillFalling());
        var words = String.join("\n", hypotheses(lab));
        assertThat(words).doesNotContain("per second").doesNotContain("in a fixed time").doesNotContain("in the fixed time");
        assertThat(words).contains("smaller batches give more optimizer steps on the same tokens");
        assertThat(String.join("\n", hypotheses(FakeLab.defaults())))
                .contains("every recipe sees the same tokens, so a smaller batch gives more optimizer steps on the same data")
                .doesNotContain("per second");
        // a still-falling loss does not argue for a smaller model when it would see no more data
        assertThat(hypotheses(lab).stream().filter(h -> h.contains("model.dim 128 → 96")).findFirst().orElseThrow())
                .doesNotContain("under-trained");
    }

    @Test
    void underASecondsBudgetTheWallClockReasoningHolds() {
        var lab = FakeLab.withRunBudget("30s").diagnostics(stillFalling());
        assertThat(lab.settings().runBudget().kind()).isEqualTo("seconds");
        var words = String.join("\n", hypotheses(lab));
        assertThat(words).contains("a smaller model takes more steps per second")
                .contains("a shallower model takes more steps per second");
        assertThat(String.join("\n", hypotheses(FakeLab.withRunBudget("30s"))))
                .contains("in a fixed time, smaller batches mean more optimizer steps");
    }

    @Test
    void underAFlopBudgetASmallerModelSeesMoreTokens() {
        var lab = FakeLab.withRunBudget("1e12 flops").diagnostics(stillFalling());
        var words = String.join("\n", hypotheses(lab));
        assertThat(words).contains("a smaller model sees more tokens for the same compute").doesNotContain("per second");
    }

    @Test
    void theScreenIsOrderedAndOverdueOnceItsTurnHasPassed() {
        assertThat(BuiltinResearcher.screenScore(0, 0)).isEqualTo(4.8);
        assertThat(BuiltinResearcher.screenScore(0, 1)).isEqualTo(4.8 + BuiltinResearcher.OVERDUE);
        assertThat(BuiltinResearcher.screenScore(4, 4)).isLessThan(BuiltinResearcher.screenScore(3, 3));
        assertThat(BuiltinResearcher.screenScore(4, 0)).isLessThan(5); // a fresh rate step goes first
        assertThat(BuiltinResearcher.screenScore(0, 2)).isGreaterThan(8 + 5 * 0.49); // passes a twice-kept rate step
        assertThat(BuiltinResearcher.screenScore(0, 1)).isLessThan(8 + 5 * 0.7); // not a once-kept one
        assertThat(BuiltinResearcher.screenScore(0, 9)).isLessThan(8 + 5); // nor the rate after a structural keep
    }

    @Test
    void onlyArchitectureOptimizerSizeAndBatchResetTheRates() {
        assertThat(Evidence.resetsRates(Change.of("optimizer.name", "muon"))).isTrue();
        assertThat(Evidence.resetsRates(Change.of("model.qk_norm", true))).isTrue();
        assertThat(Evidence.resetsRates(Change.of("batch.size", 8))).isTrue();
        assertThat(Evidence.resetsRates(Change.of("model.z_loss", 0.0001))).isFalse();
        assertThat(Evidence.resetsRates(Change.of("optimizer.weight_decay", 0.2))).isFalse();
        assertThat(Evidence.resetsRates(Change.of("schedule.warmup", 10))).isFalse();
    }

    @Test
    void aSpaceWithoutSomeVariantsScreensTheRest() {
        var lab = new FakeLab(Brief.defaults().text()
                .replace("- optimizer.name: adamw, muon\n", "").replace("- model.position: learned, rope\n", ""));
        var screen = BuiltinResearcher.screenable(new Evidence(lab, 1, 0));
        assertThat(screen).containsExactly("model.activation=swiglu", "model.qk_norm=true", "model.norm=rmsnorm");
        assertThat(lab.validate(Change.of("optimizer.name", "muon"))).isInstanceOf(ChangeResult.Rejected.class);
    }
}
