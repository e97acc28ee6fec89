package dev.flywheel.lab.exec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flywheel.lab.Json;
import dev.flywheel.lab.run.RunEvent;
import dev.flywheel.lab.run.RunResult;
import dev.flywheel.lab.run.RunStatus;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code result.json}: a {@link RunResult} as the run leaves it for the study. Written once, atomically, when the
 * run is over; its presence means the run ended, so a study resumed after a kill adopts it instead of running the
 * run again. NaN metrics are written as null.
 */
public final class ResultFile {

    private ResultFile() {
    }

    public static void write(Path file, RunResult r) {
        ObjectNode j = Json.MAPPER.createObjectNode();
        j.put("run_id", r.runId());
        j.put("status", r.status().id());
        num(j, "val_loss", r.valLoss());
        num(j, "val_bpb", r.valBpb());
        num(j, "test_bpb", r.testBpb());
        num(j, "train_loss", r.trainLoss());
        j.put("steps", r.steps());
        j.put("tokens", r.tokens());
        num(j, "train_seconds", r.trainSeconds());
        num(j, "wall_seconds", r.wallSeconds());
        j.put("params", r.params());
        num(j, "tokens_per_second", r.tokensPerSecond());
        j.put("checkpoint", r.checkpoint() == null ? null : r.checkpoint().toString());
        j.put("error", r.error());
        ArrayNode curve = j.putArray("curve");
        for (var p : r.curve()) {
            var a = curve.addArray();
            a.add(p.step());
            addNum(a, p.progress());
            addNum(a, p.trainLoss());
            addNum(a, p.lr());
            addNum(a, p.gradNorm());
        }
        ArrayNode events = j.putArray("events");
        for (var e : r.events()) events.add(event(e));
        Files2.writeAtomically(file, Json.write(j));
    }

    /** The result in {@code file}, or empty when there is none or it is unreadable (a run that did not end). */
    public static Optional<RunResult> read(Path file) {
        if (!Files.isRegularFile(file)) return Optional.empty();
        try {
            JsonNode j = Json.MAPPER.readTree(Files.readString(file, StandardCharsets.UTF_8));
            var curve = new ArrayList<RunResult.CurvePoint>();
            for (var a : j.get("curve"))
                curve.add(new RunResult.CurvePoint(a.get(0).asLong(), d(a.get(1)), d(a.get(2)), d(a.get(3)), d(a.get(4))));
            var events = new ArrayList<RunEvent>();
            for (var e : j.get("events")) events.add(event(e));
            var ck = j.get("checkpoint");
            var err = j.get("error");
            return Optional.of(new RunResult(j.get("run_id").asText(), RunStatus.of(j.get("status").asText()),
                    d(j.get("val_loss")), d(j.get("val_bpb")), d(j.get("test_bpb")), d(j.get("train_loss")),
                    j.get("steps").asLong(), j.get("tokens").asLong(), d(j.get("train_seconds")), d(j.get("wall_seconds")),
                    j.get("params").asLong(), d(j.get("tokens_per_second")),
                    ck == null || ck.isNull() ? null : Path.of(ck.asText()), err == null || err.isNull() ? null : err.asText(),
                    List.copyOf(curve), List.copyOf(events)));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    static JsonNode event(RunEvent e) {
        return Json.MAPPER.valueToTree(e);
    }

    static RunEvent event(JsonNode o) {
        return Json.MAPPER.convertValue(o, RunEvent.class);
    }

    private static void num(ObjectNode j, String key, double v) {
        if (Double.isFinite(v)) j.put(key, v);
        else j.putNull(key);
    }

    private static void addNum(ArrayNode a, double v) {
        if (Double.isFinite(v)) a.add(v);
        else a.addNull();
    }

    private static double d(JsonNode n) {
        return n == null || n.isNull() ? Double.NaN : n.asDouble();
    }
}
