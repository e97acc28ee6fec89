package dev.flywheel.lab.exec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flywheel.engine.Trainer;
import dev.flywheel.lab.Json;
import dev.flywheel.lab.run.RunEvent;
import dev.flywheel.lab.run.RunListener;

import java.io.PrintStream;

/**
 * How a run in a child JVM tells its parent what it is doing: one line per message on the child's stdout,
 * {@code @flywheel {json}}, with {@code "t"} one of start, step, eval, event. Steps are sent at most ten times a
 * second (the store has every step); the parent turns the lines back into {@link RunListener} calls.
 */
final class Protocol {

    static final String PREFIX = "@flywheel ";

    private Protocol() {
    }

    /** The child's side: a listener that prints messages. */
    static final class Writer implements RunListener {
        private final PrintStream out;
        private long lastStep;

        Writer(PrintStream out) {
            this.out = out;
        }

        @Override
        public void onStart(RunInfo i) {
            var j = message("start");
            j.put("run_id", i.runId());
            j.put("params", i.params());
            j.put("vocab", i.vocabSize());
            j.put("tokenizer", i.tokenizer());
            j.put("train_tokens", i.trainTokens());
            j.put("val_tokens", i.valTokens());
            j.put("tokens_per_step", i.tokensPerStep());
            j.put("budget", i.budget());
            j.put("data_dir", i.dataDir());
            send(j);
        }

        @Override
        public void onStep(Trainer.StepStats s) {
            long now = System.nanoTime();
            if (now - lastStep < 100_000_000L && s.progress() < 1) return;
            lastStep = now;
            var j = message("step");
            j.put("step", s.step());
            j.put("data_step", s.dataStep());
            j.put("loss", s.loss());
            j.put("grad_norm", s.gradNorm());
            j.put("lr", s.lr());
            j.put("tokens", s.tokens());
            j.put("step_seconds", s.stepSeconds());
            j.put("train_seconds", s.trainSeconds());
            j.put("progress", s.progress());
            send(j);
        }

        @Override
        public void onEval(Trainer.EvalResult e) {
            var j = message("eval");
            j.put("step", e.step());
            j.put("loss", e.loss());
            j.put("bpb", e.bitsPerByte());
            j.put("tokens", e.tokens());
            j.put("bytes", e.bytes());
            send(j);
        }

        @Override
        public void onEvent(RunEvent e) {
            var j = message("event");
            j.set("event", ResultFile.event(e));
            send(j);
        }

        private static ObjectNode message(String type) {
            var j = Json.MAPPER.createObjectNode();
            j.put("t", type);
            return j;
        }

        private void send(ObjectNode j) {
            synchronized (out) {
                out.println(PREFIX + Json.write(j));
                out.flush();
            }
        }
    }

    /** The parent's side: whether a line was a message, and if so hands it to {@code watcher}. */
    static boolean read(String line, RunWatcher watcher) {
        if (!line.startsWith(PREFIX)) return false;
        JsonNode j;
        try {
            j = Json.MAPPER.readTree(line.substring(PREFIX.length()));
        } catch (Exception e) {
            return false;
        }
        switch (j.path("t").asText()) {
            case "start" -> watcher.started(new RunListener.RunInfo(j.path("run_id").asText(), j.path("params").asLong(),
                    j.path("vocab").asInt(), j.path("tokenizer").asText(), j.path("train_tokens").asLong(),
                    j.path("val_tokens").asLong(), j.path("tokens_per_step").asInt(), j.path("budget").asText(),
                    j.path("data_dir").asText()));
            case "step" -> watcher.stepped(new RunWatcher.Step(j.path("step").asLong(), d(j, "loss"), d(j, "lr"),
                    d(j, "grad_norm"), j.path("tokens").asLong(), d(j, "train_seconds"), d(j, "progress")));
            case "eval" -> watcher.evaluated(new RunWatcher.Eval(j.path("step").asLong(), d(j, "loss"), d(j, "bpb")));
            case "event" -> watcher.event(ResultFile.event(j.path("event")));
            default -> {
                return false;
            }
        }
        return true;
    }

    private static double d(JsonNode j, String key) {
        var v = j.get(key);
        return v == null || v.isNull() || !v.isNumber() ? (v != null && v.isTextual() ? parse(v.asText()) : Double.NaN) : v.asDouble();
    }

    private static double parse(String s) {
        try {
            return Double.parseDouble(s);
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }
}
