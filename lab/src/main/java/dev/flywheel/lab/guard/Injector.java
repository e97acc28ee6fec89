package dev.flywheel.lab.guard;

import dev.flywheel.engine.BatchSource;
import dev.flywheel.engine.Rng;
import dev.flywheel.engine.TrainConfig;
import dev.flywheel.engine.Trainer;
import dev.flywheel.lab.recipe.Injection;
import dev.flywheel.lab.run.EventAction;
import dev.flywheel.lab.run.EventKind;
import dev.flywheel.lab.run.RunEvent;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Injects the recipe's faults into a run, to test and demonstrate the guard: a {@link BatchSource} wrapper
 * ({@link #wrap}) for the data faults and trainer hooks for the others, so the trainer needs no fault-injection
 * API. Each fires once, at its optimizer step:
 * <ul>
 * <li>{@code corrupt-batch@STEP}: the documents in every other row of that step's batch are "marked", and all
 * their tokens in the batch are replaced by random tokens — degenerate data the forensics should trace back to
 * exactly those documents;</li>
 * <li>{@code lr-spike@STEP:FACTOR}: that step's learning rate is multiplied by FACTOR;</li>
 * <li>{@code nan@STEP}: that step's loss and gradients become NaN.</li>
 * </ul>
 */
public final class Injector implements Trainer.Hooks {

    private final List<Injection> pending;
    private final TrainConfig config;
    private final DocumentLocator locator;
    private final int vocab;
    private final Consumer<RunEvent> events;
    private final Map<Long, Set<String>> corrupted = new HashMap<>();

    public Injector(List<Injection> injections, TrainConfig config, DocumentLocator locator, int vocab,
                    Consumer<RunEvent> events) {
        this.pending = new ArrayList<>(injections);
        this.config = config;
        this.locator = locator;
        this.vocab = vocab;
        this.events = events;
    }

    /** The run's training batches as the trainer should see them: corrupted where a corrupt-batch says so. */
    public BatchSource wrap(BatchSource real) {
        return pending.stream().anyMatch(i -> i instanceof Injection.CorruptBatch) ? new Corrupting(real) : real;
    }

    /** Removes and returns the pending injection of this type due at this step, if any. */
    private <T extends Injection> T due(Class<T> type, long step) {
        var it = pending.iterator();
        while (it.hasNext()) {
            var inj = it.next();
            if (inj.step() == step && type.isInstance(inj)) {
                it.remove();
                return type.cast(inj);
            }
        }
        return null;
    }

    @Override
    public void beforeStep(Trainer trainer) {
        long step = trainer.currentStep();
        for (Injection.CorruptBatch c; (c = due(Injection.CorruptBatch.class, step)) != null; ) {
            var all = new LinkedHashSet<String>();
            for (int i = 0; i < c.batches(); i++) {
                long ds = trainer.dataStep() + i;
                var marked = new LinkedHashSet<String>();
                for (int micro = 0; micro < config.accum(); micro++) {
                    for (int row = 0; row < config.batch(); row += 2) {
                        for (int pos = 0; pos <= config.seq(); pos++) {
                            marked.add(locator.locate(ds, micro, row, pos, config.seq()).documentId());
                        }
                    }
                }
                corrupted.put(ds, marked);
                all.addAll(marked);
            }
            events.accept(new RunEvent(step, EventKind.INJECT, "corrupt-batch", Map.of("data_step", trainer.dataStep(),
                    "batches", c.batches(), "documents", List.copyOf(all)), EventAction.INJECTED,
                    "the tokens of " + all.size() + " documents in " + c.batches()
                            + (c.batches() == 1 ? " batch" : " consecutive batches") + " were replaced by random tokens"));
        }
    }

    @Override
    public double learningRate(Trainer trainer, double lr) {
        long step = trainer.currentStep();
        for (Injection.LrSpike l; (l = due(Injection.LrSpike.class, step)) != null; ) {
            lr *= l.factor();
            events.accept(new RunEvent(step, EventKind.INJECT, "lr-spike", Map.of("factor", l.factor(), "lr", lr),
                    EventAction.INJECTED, "the learning rate of this step is multiplied by " + l.factor()));
        }
        return lr;
    }

    /** A NaN fault: without a guard the update then poisons the weights, as any framework's run would suffer. */
    @Override
    public float afterGradients(Trainer trainer, float loss) {
        long step = trainer.currentStep();
        boolean due = false;
        while (due(Injection.Nan.class, step) != null) due = true;
        if (!due) return loss;
        java.util.Arrays.fill(trainer.model().grads, Float.NaN);
        events.accept(new RunEvent(step, EventKind.INJECT, "nan", Map.of(), EventAction.INJECTED,
                "the loss and gradients of this step are NaN"));
        return Float.NaN;
    }

    /** The documents whose tokens were corrupted, by data step. */
    public Map<Long, Set<String>> corrupted() {
        return Map.copyOf(corrupted);
    }

    /** The real batches, except that marked documents' tokens are random in corrupted batches. */
    private final class Corrupting implements BatchSource {
        private final BatchSource inner;

        Corrupting(BatchSource inner) {
            this.inner = inner;
        }

        @Override
        public void fill(long step, int micro, int batch, int seq, int[] inputs, int[] targets) {
            inner.fill(step, micro, batch, seq, inputs, targets);
            Set<String> marked = corrupted.get(step);
            if (marked == null) return;
            for (int row = 0; row < batch; row++) {
                for (int pos = 0; pos <= seq; pos++) {
                    if (!marked.contains(locator.locate(step, micro, row, pos, seq).documentId())) continue;
                    long h = Rng.mix(Rng.mix(step * 1_000_003L + micro) * 31 + row * 65_537L + pos);
                    int token = (int) Math.floorMod(h, (long) vocab);
                    // the window token at pos is input pos and target pos-1
                    if (pos < seq) inputs[row * seq + pos] = token;
                    if (pos > 0) targets[row * seq + pos - 1] = token;
                }
            }
        }
    }
}
