package dev.flywheel.engine;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TrainerTest {

    /** A corpus with structure a tiny model can learn: a repeating pattern with noise. */
    static int[] corpus(int n, int vocab, long seed) {
        var r = new Random(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = r.nextInt(10) == 0 ? r.nextInt(vocab) : (i * 7 + i / 13) % vocab;
        return t;
    }

    static ModelConfig small(ModelConfig.Norm norm) {
        return new ModelConfig(32, 16, 2, 2, 16, 64, norm, ModelConfig.Position.LEARNED, ModelConfig.Activation.GELU,
                true, true, false, 0, 0, 10000, 1e-5f);
    }

    static TrainConfig train(OptimizerConfig.Kind kind, long steps) {
        var opt = new OptimizerConfig(kind, 3e-3f, 0.1f, 0.9f, 0.99f, 1e-8f, 0.1f, 1.0f, 0.02f, 0.95f);
        return new TrainConfig(4, 16, 2, opt, new LrSchedule.Cosine(3, 0.1), new TrainBudget.Steps(steps), 0, 4, 7);
    }

    static Trainer trainer(ModelConfig cfg, TrainConfig tc, int threads) {
        var model = new Gpt(cfg, new Parallel(threads));
        model.initialize(tc.seed());
        int[] data = corpus(5000, cfg.vocabSize(), 1);
        int[] bytes = new int[cfg.vocabSize()];
        java.util.Arrays.fill(bytes, 1);
        return new Trainer(model, tc, new TokenWindows(data, tc.seed()), new TokenWindows(corpus(2000, cfg.vocabSize(), 2), 99), bytes);
    }

    static List<Float> losses(Trainer t) {
        var out = new ArrayList<Float>();
        while (!t.budgetSpent()) out.add(t.step().loss());
        return out;
    }

    @Test
    void trainingLowersTheLossWithAdamWAndMuon() {
        for (var kind : OptimizerConfig.Kind.values()) {
            var t = trainer(small(ModelConfig.Norm.LAYERNORM), train(kind, 60), 2);
            double before = t.evaluate().loss();
            var l = losses(t);
            double after = t.evaluate().loss();
            assertThat(after).as(kind + ": validation loss after 60 steps").isLessThan(before - 0.5);
            assertThat(l.getLast()).isLessThan(l.getFirst());
        }
    }

    @Test
    void sameSeedAndThreadsGiveBitwiseIdenticalLossTrajectories() {
        for (var kind : OptimizerConfig.Kind.values()) {
            var a = losses(trainer(small(ModelConfig.Norm.RMSNORM), train(kind, 25), 2));
            var b = losses(trainer(small(ModelConfig.Norm.RMSNORM), train(kind, 25), 2));
            assertThat(b).as(kind.name()).containsExactlyElementsOf(a);
            // our kernels never split a reduction across threads, so even the thread count does not matter
            var c = losses(trainer(small(ModelConfig.Norm.RMSNORM), train(kind, 25), 1));
            assertThat(c).as(kind.name() + " with one thread").containsExactlyElementsOf(a);
        }
    }

    @Test
    void checkpointResumeIsExact(@TempDir Path dir) {
        for (var kind : OptimizerConfig.Kind.values()) {
            var cfg = small(ModelConfig.Norm.LAYERNORM);
            var whole = trainer(cfg, train(kind, 20), 2);
            var straight = losses(whole);

            var first = trainer(cfg, train(kind, 20), 2);
            var part1 = new ArrayList<Float>();
            for (int i = 0; i < 9; i++) part1.add(first.step().loss());
            Path ck = dir.resolve("ck-" + kind);
            Checkpoint.save(ck, first.model(), first, java.util.Map.of());

            var loaded = Checkpoint.load(ck, new Parallel(2));
            var tc = train(kind, 20);
            var resumed = new Trainer(loaded.model(), tc, new TokenWindows(corpus(5000, cfg.vocabSize(), 1), tc.seed()),
                    null, null);
            Checkpoint.restoreTrainer(loaded, resumed);
            part1.addAll(losses(resumed));
            assertThat(part1).as(kind.name()).containsExactlyElementsOf(straight);
            assertThat(resumed.model().params).containsExactly(whole.model().params);
        }
    }

    @Test
    void gpt2AndLlamaCheckpointsUseHuggingFaceNamesAndShapes(@TempDir Path dir) {
        var gpt2 = new Gpt(ModelConfig.gpt2(50, 16, 2, 2, 8), new Parallel(1));
        gpt2.initialize(1);
        Checkpoint.save(dir.resolve("g"), gpt2, null, java.util.Map.of());
        var st = Safetensors.read(dir.resolve("g").resolve(Checkpoint.MODEL));
        assertThat(st.entries().keySet()).contains("transformer.wte.weight", "transformer.wpe.weight",
                "transformer.h.0.ln_1.weight", "transformer.h.1.attn.c_attn.bias", "transformer.ln_f.bias")
                .doesNotContain("lm_head.weight");
        assertThat(st.entry("transformer.h.0.attn.c_attn.weight").shape()).containsExactly(8, 24);
        assertThat(st.entry("transformer.h.0.mlp.c_fc.weight").shape()).containsExactly(8, 32);
        assertThat(st.entry("transformer.h.0.mlp.c_proj.weight").shape()).containsExactly(32, 8);
        // Conv1D orientation: c_attn.weight[i][j] = qkv.weight[j][i]
        float[] cAttn = st.floats("transformer.h.0.attn.c_attn.weight");
        int qkv = gpt2.layout().tensor("h.0.attn.qkv.weight").offset();
        assertThat(cAttn[3 * 24 + 17]).isEqualTo(gpt2.params[qkv + 17 * 8 + 3]);

        var llama = new Gpt(ModelConfig.llama(50, 16, 2, 2, 8), new Parallel(1));
        llama.initialize(1);
        Checkpoint.save(dir.resolve("l"), llama, null, java.util.Map.of());
        st = Safetensors.read(dir.resolve("l").resolve(Checkpoint.MODEL));
        assertThat(st.entries().keySet()).contains("model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.weight",
                "model.layers.0.self_attn.k_proj.weight", "model.layers.1.self_attn.v_proj.weight",
                "model.layers.0.mlp.gate_proj.weight", "model.layers.0.mlp.down_proj.weight", "model.norm.weight",
                "lm_head.weight");
        var loaded = Checkpoint.load(dir.resolve("l"), new Parallel(1));
        assertThat(loaded.model().params).containsExactly(llama.params);
        assertThat(loaded.model().config()).isEqualTo(llama.config());
    }

    @Test
    void corruptCheckpointsAreRefusedWithAClearMessage(@TempDir Path dir) throws Exception {
        var model = new Gpt(small(ModelConfig.Norm.LAYERNORM), new Parallel(1));
        model.initialize(1);
        Path ck = dir.resolve("ck");
        Checkpoint.save(ck, model, null, java.util.Map.of());
        Path file = ck.resolve(Checkpoint.MODEL);
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length - 100));
        assertThatThrownBy(() -> Checkpoint.load(ck, new Parallel(1))).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("truncated");
        Files.write(file, new byte[] {1, 2, 3});
        assertThatThrownBy(() -> Checkpoint.load(ck, new Parallel(1))).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("not a safetensors file");
        assertThatThrownBy(() -> Checkpoint.load(dir.resolve("missing"), new Parallel(1)))
                .isInstanceOf(CheckpointException.class).hasMessageContaining("no checkpoint");
    }

    @Test
    void schedulesHaveTheirShapes() {
        var cos = new LrSchedule.Cosine(10, 0.1);
        assertThat(cos.multiplier(0, 0)).isCloseTo(1.0 / 11, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(cos.multiplier(10, 0)).isEqualTo(1.0);
        assertThat(cos.multiplier(50, 0.5)).isCloseTo(0.55, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(cos.multiplier(99, 1.0)).isCloseTo(0.1, org.assertj.core.data.Offset.offset(1e-12));
        var wsd = new LrSchedule.WarmupStableDecay(0, 0.2, 0.0);
        assertThat(wsd.multiplier(5, 0.7)).isEqualTo(1.0);
        assertThat(wsd.multiplier(5, 0.9)).isCloseTo(0.5, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(new LrSchedule.Constant(0).multiplier(100, 0.99)).isEqualTo(1.0);
    }

    @Test
    void adamWMatchesItsFormulaAndSkipsDecayOnVectors() {
        var cfg = small(ModelConfig.Norm.LAYERNORM);
        var model = new Gpt(cfg, new Parallel(1));
        model.initialize(3);
        var r = new Random(1);
        for (int i = 0; i < model.grads.length; i++) model.grads[i] = (float) r.nextGaussian() * 0.01f;
        float[] p0 = model.params.clone();
        var oc = new OptimizerConfig(OptimizerConfig.Kind.ADAMW, 1e-2f, 0.1f, 0.9f, 0.99f, 1e-8f, 0.5f, 0, 0.02f, 0.95f);
        var opt = new Optimizer(model, oc);
        opt.update(1.0, 0);
        int wIdx = model.layout().tensor("h.0.attn.qkv.weight").offset() + 5;
        int bIdx = model.layout().tensor("h.0.attn.qkv.bias").offset() + 5;
        for (int idx : new int[] {wIdx, bIdx}) {
            double g = model.grads[idx], m = 0.1 * g, v = 0.01 * g * g;
            double mhat = m / 0.1, vhat = v / 0.01;
            double decay = idx == wIdx ? 0.5 : 0;
            double expected = p0[idx] * (1 - 1e-2 * decay) - 1e-2 * mhat / (Math.sqrt(vhat) + 1e-8);
            assertThat((double) model.params[idx]).isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-6));
        }
    }

    @Test
    void muonUpdatesAreNearlyOrthogonal() {
        // one Muon step from zero momentum on a matrix: the update O = (W_before − W_after)/lr has singular values
        // near 1, i.e. OᵀO ≈ I up to the quintic's deliberate slack (0.7..1.2)
        var cfg = small(ModelConfig.Norm.LAYERNORM);
        var model = new Gpt(cfg, new Parallel(2));
        model.initialize(3);
        var r = new Random(2);
        for (int i = 0; i < model.grads.length; i++) model.grads[i] = (float) r.nextGaussian();
        var t = model.layout().tensor("h.0.attn.proj.weight"); // 16 x 16
        float[] before = java.util.Arrays.copyOfRange(model.params, t.offset(), t.offset() + t.size());
        var oc = new OptimizerConfig(OptimizerConfig.Kind.MUON, 1e-3f, 0.1f, 0.9f, 0.99f, 1e-8f, 0f, 0, 0.01f, 0.95f);
        new Optimizer(model, oc).update(1.0, 0);
        int n = 16;
        double[][] o = new double[n][n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) o[i][j] = (before[i * n + j] - model.params[t.offset() + i * n + j]) / 0.01;
        for (int i = 0; i < n; i++) {
            double diag = 0;
            for (int k = 0; k < n; k++) diag += o[k][i] * o[k][i];
            assertThat(Math.sqrt(diag)).as("column norm %d", i).isBetween(0.5, 1.3);
        }
    }

    /** A hook that makes every step slower, inside the timed part of the step: a busy or slower machine. */
    static Trainer.Hooks slowMachine(long millis) {
        return new Trainer.Hooks() {
            @Override
            public float afterGradients(Trainer trainer, float loss) {
                try {
                    Thread.sleep(millis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return loss;
            }
        };
    }

    /** Every step's loss, learning rate and progress, bit for bit. */
    static List<String> trajectory(Trainer t) {
        var out = new ArrayList<String>();
        while (!t.budgetSpent()) {
            var s = t.step();
            out.add(Float.floatToIntBits(s.loss()) + " " + Double.doubleToLongBits(s.lr()) + " "
                    + Double.doubleToLongBits(s.progress()));
        }
        return out;
    }

    static TrainConfig withBudget(TrainConfig c, TrainBudget budget) {
        return new TrainConfig(c.batch(), c.seq(), c.accum(), c.optimizer(), c.schedule(), budget, c.evalEvery(),
                c.evalBatches(), c.seed());
    }

    @Test
    void aTokenBudgetTrainsTheSameRunOnASlowerMachine() {
        var base = train(OptimizerConfig.Kind.ADAMW, 1);
        long budget = 20L * base.tokensPerStep() + 5; // not a whole number of steps: the last one overshoots
        var tc = withBudget(base, new TrainBudget.Tokens(budget));
        var fast = trainer(small(ModelConfig.Norm.LAYERNORM), tc, 2);
        var slow = trainer(small(ModelConfig.Norm.LAYERNORM), tc, 2);
        slow.setHooks(slowMachine(15));
        var a = trajectory(fast);
        var b = trajectory(slow);
        assertThat(a).hasSize(21);
        assertThat(b).as("steps, losses, learning rates and progress, bitwise").containsExactlyElementsOf(a);
        assertThat(slow.trainSeconds()).as("the slowed steps were timed").isGreaterThanOrEqualTo(21 * 0.015);
        assertThat(Double.doubleToLongBits(slow.evaluate().bitsPerByte()))
                .isEqualTo(Double.doubleToLongBits(fast.evaluate().bitsPerByte()));
        // the schedule follows tokens: the cosine has reached min_lr (ratio 0.1) once the budget is spent
        assertThat(fast.progress()).isGreaterThanOrEqualTo(1.0);
        assertThat(fast.currentLr()).isCloseTo(3e-3 * 0.1, org.assertj.core.api.Assertions.within(1e-9));
    }

    @Test
    void aSecondsBudgetTrainsFewerStepsOnASlowerMachine() {
        var tc = withBudget(train(OptimizerConfig.Kind.ADAMW, 1), new TrainBudget.Seconds(0.3));
        var fast = trainer(small(ModelConfig.Norm.LAYERNORM), tc, 2);
        var slow = trainer(small(ModelConfig.Norm.LAYERNORM), tc, 2);
        slow.setHooks(slowMachine(30));
        // why the lab's default is a token budget: the same recipe and seed, another machine, another run
        assertThat(trajectory(slow).size()).isLessThan(trajectory(fast).size());
    }
}
