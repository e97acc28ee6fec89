package dev.flywheel.lab.journal;

import dev.flywheel.lab.LabException;
import dev.flywheel.lab.Metric;
import dev.flywheel.lab.budget.RunBudget;
import dev.flywheel.lab.store.NoteRecord;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code journal.md}: the study told for a person reading it in the morning — for every run the proposer,
 * the hypothesis, the recipe diff, the result, the decision and why; notes as they come; a summary at the end.
 *
 * <p>Append-only, written one block at a time and forced to disk. Every block ends with an HTML comment
 * marker (invisible when rendered); opening the file cuts anything after the last marker, which is a block
 * torn by a kill, and remembers which runs, notes and summary are already there, so a resumed study writes
 * each exactly once.
 *
 * <pre>{@code
 * var journal = Journal.open(studyDir.resolve("journal.md"), header);
 * journal.appendRun(entry);        // false if this run is already journaled
 * journal.appendSummary(summary);
 * }</pre>
 */
public final class Journal {

    /** What the journal's first block says about the study. */
    public record Header(String study, String title, String objective, Metric metric, String researcher,
                         String budget, String runBudget, String brief, Instant started) {
    }

    private static final Pattern MARKER = Pattern.compile("<!-- flywheel: end of (.+?) -->");
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    private final Path file;
    private final Metric metric;
    private final Set<String> written = new HashSet<>();

    private Journal(Path file, Metric metric) {
        this.file = file;
        this.metric = metric;
    }

    /** Opens the journal, writing the header block if the file is new; see the class comment for repairs. */
    public static Journal open(Path file, Header header) {
        var journal = new Journal(file, header.metric());
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            if (Files.exists(file)) {
                Torn.truncateAfterLast(file, MARKER);
                var m = MARKER.matcher(Files.readString(file, StandardCharsets.UTF_8));
                while (m.find()) journal.written.add(m.group(1));
            }
        } catch (IOException e) {
            throw new LabException("journal " + file + " cannot be opened (" + e.getMessage() + "); check the study folder");
        }
        if (!journal.written.contains("header")) journal.block("header", header(header));
        return journal;
    }

    public Path file() {
        return file;
    }

    /** Whether a block ("header", "run ID", "note N", "summary") is already in the journal. */
    public boolean contains(String key) {
        return written.contains(key);
    }

    /** Appends the run's block unless it is already there; returns whether it wrote. */
    public synchronized boolean appendRun(RunEntry e) {
        return block("run " + e.runId(), run(e));
    }

    /** Appends a note (numbered by the store) unless it is already there. */
    public synchronized boolean appendNote(NoteRecord note) {
        var text = "> **Note " + note.seq() + "** from " + ResearcherText.markdownLine(note.author())
                + (note.run() == null ? "" : " on `" + note.run() + "`")
                + (note.recordedAt() == null ? "" : ", " + TIME.format(note.recordedAt())) + ":\n"
                + quote(note.byLab() ? note.body() : ResearcherText.markdown(note.body())) + "\n";
        return block("note " + note.seq(), text);
    }

    /** Appends the summary once. */
    public synchronized boolean appendSummary(Summary s) {
        var out = new StringBuilder("## Summary\n\n");
        out.append(s.runs()).append(s.runs() == 1 ? " run, " : " runs, ").append(s.kept()).append(" kept.");
        if (s.baselineMetric() != null && s.bestMetric() != null) {
            double gain = s.bestMetric() - s.baselineMetric();
            out.append(" Baseline ").append(metric.id()).append(' ').append(fixed(s.baselineMetric()))
                    .append(" (`").append(s.baselineRun()).append("`) → best ").append(fixed(s.bestMetric()))
                    .append(" (`").append(s.bestRun()).append("`): ").append(signed(gain));
            if (s.noiseFloor() != null && s.noiseFloor() > 0)
                out.append(", ").append(String.format(Locale.ROOT, "%.1f", Math.abs(gain) / s.noiseFloor()))
                        .append("× the noise floor of ").append(fixed(s.noiseFloor()));
            out.append('.');
        }
        out.append("\n\n");
        if (s.keptChanges().isEmpty()) out.append("No change beat the baseline by more than the noise floor.\n\n");
        else {
            out.append("Kept changes, in order:\n\n");
            for (int i = 0; i < s.keptChanges().size(); i++)
                out.append(i + 1).append(". ").append(s.keptChanges().get(i)).append('\n');
            out.append('\n');
        }
        if (s.bestRecipe() != null)
            out.append("Best recipe: `").append(s.bestRecipe()).append("` — run it with `./flywheel train --recipe ")
                    .append(s.bestRecipe()).append("`.\n\n");
        if (s.testMetric() != null)
            out.append("Held-out test ").append(metric.id()).append(" of the best recipe, measured once at the end: ")
                    .append(fixed(s.testMetric())).append(".\n\n");
        if (s.text() != null && !s.text().isBlank()) out.append(s.text().strip()).append("\n\n");
        return block("summary", out.toString().stripTrailing() + "\n");
    }

    /**
     * Appends a replication's table under {@code key} (one per replicated best recipe and seeds) unless it is
     * already there.
     */
    public synchronized boolean appendReplication(String key, String table) {
        return block("replication " + key, "## Replication\n\n" + table.strip() + "\n");
    }

    private static String header(Header h) {
        var out = new StringBuilder("# ").append(h.title() == null ? "Study " + h.study() : h.title()).append("\n\n");
        if (h.objective() != null && !h.objective().isBlank()) out.append(quote(h.objective())).append("\n\n");
        out.append("| study | metric | researcher | budget | per run | brief | started |\n")
                .append("| --- | --- | --- | --- | --- | --- | --- |\n")
                .append("| ").append(h.study()).append(" | ").append(h.metric().id()).append(" (")
                .append(h.metric().description()).append(", lower is better) | ").append(orDash(h.researcher()))
                .append(" | ").append(orDash(h.budget())).append(" | ").append(orDash(h.runBudget())).append(" | ")
                .append(orDash(h.brief())).append(" | ").append(h.started() == null ? "—" : TIME.format(h.started()))
                .append(" |\n");
        if (wallClock(h.runBudget()))
            out.append("\nRuns are budgeted in wall-clock time: how many steps a run takes depends on how fast and how busy ")
                    .append("the machine was while it ran, so the noise floor includes the machine's speed drift as well as ")
                    .append("the seeds' (a compute budget such as `--run-budget 250k tokens` takes the machine out).\n");
        return out.toString();
    }

    /** Whether a run budget as written (30s, 250k tokens) is one of wall-clock time. */
    static boolean wallClock(String runBudget) {
        if (runBudget == null) return false;
        try {
            return RunBudget.parse(runBudget) instanceof RunBudget.Seconds;
        } catch (LabException e) {
            return false;
        }
    }

    private String run(RunEntry e) {
        var out = new StringBuilder("## Run ").append(e.ordinal()).append(" · `").append(e.runId()).append("` · ")
                .append(e.resultStatus()).append("\n\n");
        out.append("Proposed by **").append(orDash(ResearcherText.markdownLine(e.proposer()))).append("**");
        if (e.hypothesis() != null && !e.hypothesis().isBlank())
            out.append(":\n\n").append(quote(ResearcherText.markdown(e.hypothesis()))).append("\n\n");
        else out.append(".\n\n");
        if (e.diff().isEmpty()) out.append("Recipe: the starting recipe, unchanged.\n\n");
        else {
            var lines = e.diff().stream().map(ResearcherText::line).toList();
            var fence = "`".repeat(Math.max(3, longestRun(String.join("\n", lines), '`') + 1));
            out.append(fence).append('\n').append(String.join("\n", lines)).append('\n').append(fence).append("\n\n");
        }
        out.append("Result: ");
        if (e.status().evaluated() && e.metric() != null) {
            out.append("**").append(metric.id()).append(' ').append(fixed(e.metric())).append("**");
            if (e.delta() != null) out.append(", ").append(signed(e.delta())).append(" against the best so far");
            if (e.noiseFloor() != null) out.append(" (noise floor ").append(fixed(e.noiseFloor())).append(')');
        } else {
            out.append("**").append(e.status().id()).append("**");
            if (e.metric() != null) out.append(", ").append(metric.id()).append(' ').append(fixed(e.metric()));
        }
        if (e.steps() != null) out.append(", ").append(e.steps()).append(" steps");
        if (e.trainSeconds() != null) out.append(String.format(Locale.ROOT, " in %.1f s of training", e.trainSeconds()));
        out.append(".\n\n");
        if (!e.events().isEmpty()) {
            out.append("Guard events:\n\n");
            for (var event : e.events()) out.append("- ").append(event.strip()).append('\n');
            out.append('\n');
        }
        out.append("Decision: **").append(e.decision().id()).append("**");
        if (e.rationale() != null && !e.rationale().isBlank())
            out.append(" — ").append(e.rationale().strip());
        return out.append('\n').toString();
    }

    /** Writes a block with its end marker in one forced write; false if the block is already in the file. */
    private boolean block(String key, String text) {
        if (written.contains(key)) return false;
        // Escaping comment openers keeps a proposer's text from hiding content or faking an end marker.
        var bytes = (text.replace("<!--", "&lt;!--").stripTrailing() + "\n\n<!-- flywheel: end of " + key + " -->\n\n").getBytes(StandardCharsets.UTF_8);
        try (var channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            var buffer = ByteBuffer.wrap(bytes);
            if (dev.flywheel.lab.Pause.enabled()) { // a test's kill -9 lands in the middle of the block
                buffer.limit(bytes.length / 2);
                while (buffer.hasRemaining()) channel.write(buffer);
                channel.force(false);
                dev.flywheel.lab.Pause.at("journal-write");
                buffer.limit(bytes.length);
            }
            while (buffer.hasRemaining()) channel.write(buffer);
            channel.force(false);
        } catch (IOException e) {
            throw new LabException("journal " + file + " cannot be written (" + e.getMessage() + "); check free space");
        }
        written.add(key);
        return true;
    }

    private static String quote(String text) {
        return text.strip().lines().map(l -> l.isBlank() ? ">" : "> " + l).reduce((a, b) -> a + "\n" + b).orElse(">");
    }

    private static int longestRun(String s, char c) {
        int longest = 0, run = 0;
        for (int i = 0; i < s.length(); i++) longest = Math.max(longest, run = s.charAt(i) == c ? run + 1 : 0);
        return longest;
    }

    private static String orDash(String s) {
        return s == null || s.isBlank() ? "—" : s;
    }

    static String fixed(double x) {
        return String.format(Locale.ROOT, "%.6f", x);
    }

    static String signed(double x) {
        return String.format(Locale.ROOT, "%+.6f", x);
    }
}
