package dev.flywheel.lab.journal;

import dev.flywheel.lab.LabException;
import dev.flywheel.lab.Metric;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code results.tsv}: one row per run — id, metric, delta, status (keep, discard, crash), training seconds,
 * description — as in autoresearch, for a quick look and for spreadsheets. Append-only; each row is written
 * whole and forced to disk before {@link #append} returns. Opening repairs a row torn by a kill in mid-write,
 * and a run already in the file is not written again, so a resumed study never duplicates a row.
 *
 * <pre>{@code
 * var results = ResultsTsv.open(studyDir.resolve("results.tsv"), Metric.VAL_BPB);
 * results.append(entry);   // false if the run is already there
 * }</pre>
 */
public final class ResultsTsv {

    /** One row as read back. Null numbers were empty cells. */
    public record Row(String run, Double metric, Double delta, String status, Double seconds, String description) {
    }

    private final Path file;
    private final Set<String> runs = new HashSet<>();

    private ResultsTsv(Path file) {
        this.file = file;
    }

    /** Opens (creating with a header naming the metric) the file; see the class comment for repairs. */
    public static ResultsTsv open(Path file, Metric metric) {
        var tsv = new ResultsTsv(file);
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            if (Files.exists(file)) Torn.truncateAfterLast(file, "\n");
            if (!Files.exists(file) || Files.size(file) == 0)
                tsv.write(String.join("\t", "run", metric.id(), "delta", "status", "seconds", "description") + "\n");
            else
                for (var row : read(file)) tsv.runs.add(row.run());
        } catch (IOException e) {
            throw new LabException("results file " + file + " cannot be opened (" + e.getMessage() + "); check the study folder");
        }
        return tsv;
    }

    public Path file() {
        return file;
    }

    /** Appends the run's row unless it is already in the file; returns whether it wrote. */
    public synchronized boolean append(RunEntry e) {
        if (runs.contains(e.runId())) return false;
        var line = String.join("\t", clean(e.runId()), number(e.metric(), "%.6f"), number(e.delta(), "%+.6f"),
                e.resultStatus(), number(e.trainSeconds(), "%.1f"), clean(e.description())) + "\n";
        try {
            write(line);
        } catch (IOException ex) {
            throw new LabException("results file " + file + " cannot be written (" + ex.getMessage() + "); check free space");
        }
        runs.add(e.runId());
        return true;
    }

    /** The rows of a results file, header skipped. */
    public static List<Row> read(Path file) {
        try {
            var rows = new ArrayList<Row>();
            var lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            for (int i = 1; i < lines.size(); i++) {
                var cells = lines.get(i).split("\t", -1);
                if (cells.length < 6) continue; // a torn last row, which open() repairs
                rows.add(new Row(cells[0], parse(cells[1]), parse(cells[2]), cells[3], parse(cells[4]), cells[5]));
            }
            return rows;
        } catch (IOException e) {
            throw new LabException("results file " + file + " cannot be read (" + e.getMessage() + ")");
        }
    }

    private void write(String text) throws IOException {
        try (var channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            var buffer = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
            while (buffer.hasRemaining()) channel.write(buffer);
            channel.force(false);
        }
    }

    private static String number(Double value, String format) {
        return value == null || !Double.isFinite(value) ? "" : String.format(Locale.ROOT, format, value);
    }

    private static Double parse(String cell) {
        return cell.isBlank() ? null : Double.valueOf(cell);
    }

    /** Tabs and newlines would break the row; hypotheses written by a model contain both. */
    private static String clean(String text) {
        return text == null ? "" : ResearcherText.line(text);
    }
}
