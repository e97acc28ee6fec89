package dev.flywheel.lab.scaling;

import dev.flywheel.lab.LabException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads scaling points from CSV: a header naming the columns {@code params}, {@code tokens} and {@code loss} (any
 * order, any case), optionally {@code flops} and {@code label}; without {@code tokens}, D = flops / 6N. Epoch AI's
 * extraction of Chinchilla's runs reads as it is: its {@code Model Size} and {@code Training FLOP} are params and
 * flops. Every problem is one sentence naming the file, the line and the fix.
 */
public final class PointsCsv {

    private static final Map<String, String> ALIASES = Map.of("model size", "params", "training flop", "flops",
            "training tokens", "tokens", "parameters", "params", "n", "params", "d", "tokens");

    private PointsCsv() {
    }

    public static List<ScalingPoint> read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new LabException("the points file " + file + " does not exist; give a CSV with the columns params, tokens, loss");
        } catch (IOException e) {
            throw new LabException("the points file " + file + " cannot be read (" + e.getMessage() + ")");
        }
        return parse(lines, file.toString());
    }

    static List<ScalingPoint> parse(List<String> lines, String source) {
        int headerAt = 0;
        while (headerAt < lines.size() && lines.get(headerAt).isBlank()) headerAt++;
        if (headerAt == lines.size())
            throw new LabException(source + " is empty; write a header line `params,tokens,loss` and one line per trained model");
        var columns = new HashMap<String, Integer>();
        var header = lines.get(headerAt).split(",", -1);
        for (int i = 0; i < header.length; i++) {
            var name = header[i].strip().toLowerCase(Locale.ROOT).replace("\"", "");
            columns.putIfAbsent(ALIASES.getOrDefault(name, name), i);
        }
        for (var need : List.of("params", "loss"))
            if (!columns.containsKey(need)) throw missing(source, need, header);
        if (!columns.containsKey("tokens") && !columns.containsKey("flops")) throw missing(source, "tokens", header);
        var out = new ArrayList<ScalingPoint>();
        for (int i = headerAt + 1; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) continue;
            var cells = lines.get(i).split(",", -1);
            int line = i + 1;
            double n = number(cells, columns, "params", source, line);
            double loss = number(cells, columns, "loss", source, line);
            Double flops = columns.containsKey("flops") ? number(cells, columns, "flops", source, line) : null;
            double d = columns.containsKey("tokens") ? number(cells, columns, "tokens", source, line)
                    : flops / (ScalingLaw.FLOPS_PER_PARAM_TOKEN * n);
            var label = columns.containsKey("label") && columns.get("label") < cells.length
                    ? cells[columns.get("label")].strip() : "line " + line;
            out.add(new ScalingPoint(n, d, loss, flops != null ? flops : ScalingLaw.FLOPS_PER_PARAM_TOKEN * n * d, label));
        }
        return out;
    }

    private static LabException missing(String source, String column, String[] header) {
        return new LabException(source + " has no column \"" + column + "\" (its header is \"" + String.join(",", header).strip()
                + "\"); the header must name params, tokens (or flops) and loss, such as `params,tokens,loss`");
    }

    private static double number(String[] cells, Map<String, Integer> columns, String column, String source, int line) {
        int at = columns.get(column);
        var text = at < cells.length ? cells[at].strip() : "";
        double v;
        try {
            v = Double.parseDouble(text);
        } catch (NumberFormatException e) {
            throw new LabException(source + " line " + line + ": " + column + " \"" + text + "\" is not a number; "
                    + "write a plain number such as 1.2e7");
        }
        if (!(v > 0) || !Double.isFinite(v))
            throw new LabException(source + " line " + line + ": " + column + " is " + text + "; params, tokens, flops "
                    + "and loss must be positive numbers, so correct or remove that line");
        return v;
    }
}
