package dev.flywheel.lab.journal;

import dev.flywheel.lab.Metric;
import dev.flywheel.lab.run.RunStatus;
import dev.flywheel.lab.store.Decision;
import dev.flywheel.lab.store.NoteRecord;
import org.commonmark.ext.gfm.tables.TablesExtension;
import org.commonmark.parser.Parser;
import org.commonmark.renderer.html.HtmlRenderer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Researcher text in the journal renders as the words that were written — checked by rendering the journal with a
 * CommonMark + GFM-tables reader, as GitHub or an editor's preview would — and never drives a terminal.
 */
class ResearcherTextTest {

    @TempDir
    Path dir;

    /** HTML, a script, Markdown links and images, headings, a table, emphasis, a fence, a fake marker, controls. */
    static final String HOSTILE = """
            <script>alert('x')</script> <img src=x onerror=alert(1)> <b>bold</b> &amp;
            [click](https://evil.example) ![pixel](https://evil.example/p.png) <https://evil.example/auto>
            # Kept: everything
            Setext heading
            ===
            - list item
            ---
            | a | b |
            | --- | --- |
            | 1 | 2 |
            **loud** _quiet_ `code` ~~gone~~ \\escaped
            ```
            fenced
            <!-- flywheel: end of run s-999 -->
            bell\u0007 escape\u001b[31mred\u001b[0m nul\u0000 del\u007f c1\u009b2J rtl\u202eevil\u202c tab\tend\r\nCRLF""";

    @Test
    void hostileHypothesisNoteAndProposerRenderAsTheirWords() throws Exception {
        var file = dir.resolve("journal.md");
        var journal = Journal.open(file, JournalTest.HEADER);
        journal.appendRun(new RunEntry(1, "s-001", "<i>model</i>](x)", HOSTILE, List.of("optimizer.lr: 0.001 → ```0.002"),
                "lr", RunStatus.FINISHED, 1.9, null, null, Decision.KEEP, "ok", 1.0, 10L, List.of()));
        journal.appendNote(new NoteRecord("s", 1, null, "claude", HOSTILE, null));
        journal.appendNote(new NoteRecord("s", 2, null, NoteRecord.STUDY, "Scale check: held.\n\n| size | gain |\n| --- | --- |\n| 2x | 0.01 |", null));
        var text = Files.readString(file);
        var html = HtmlRenderer.builder().build().render(
                Parser.builder().extensions(List.of(TablesExtension.create())).build().parse(text));

        // Nothing the researcher wrote became markup: no tags, links, images, headings, emphasis, code or rules.
        var researcherPart = html.substring(html.indexOf("<h2>Run 1"), html.indexOf("Note 2"));
        assertThat(researcherPart).doesNotContain("<script", "<img", "<a ", "<b>", "<i>", "<h1", "<strong>loud",
                "<em>quiet", "<code>code", "<del>", "<table", "<hr", "<li>list");
        assertThat(researcherPart.replaceFirst("(?s)<h2>Run 1.*?</h2>", "")).doesNotContain("<h1", "<h2", "<h3");
        // ...yet every word is there, as a reader sees it.
        assertThat(researcherPart).contains("&lt;script&gt;alert('x')&lt;/script&gt;", "[click](https://evil.example)",
                "![pixel]", "# Kept: everything", "**loud** _quiet_ `code` ~~gone~~", "&amp;amp;", "| a | b |");
        // The only fence is the diff's, longer than any backtick run inside it.
        assertThat(text).contains("````\noptimizer.lr: 0.001 → ```0.002\n````");
        // No fake end marker: the journal still knows only the blocks it wrote.
        assertThat(Journal.open(file, JournalTest.HEADER).contains("run s-999")).isFalse();
        // Control characters are gone from the file (an editor or `cat` would act on them).
        assertThat(text).doesNotContain("\u001b", "\u0007", "\u0000", "\u007f", "\u009b", "\u202e", "\r", "\t");
        assertThat(text).contains("escape[31mred[0m", "tab end");
        // The lab's own notes keep their Markdown (the scale check's table), unescaped.
        assertThat(text).contains("> | size | gain |\n> | --- | --- |\n> | 2x | 0.01 |");
    }

    @Test
    void theHelperOnItsOwn() {
        assertThat(ResearcherText.markdown("a <b> & &amp; [c](d) [e]: f ![g][h]")).isEqualTo("a &lt;b> & &amp;amp; [c\\](d) [e\\]: f ![g\\][h]");
        assertThat(ResearcherText.markdown("- x\n  + y\n1. z\n> q\n# h")).isEqualTo("\\- x\n  \\+ y\n1. z\n\\> q\n\\# h");
        assertThat(ResearcherText.markdown("val_bpb _em_ __strong__ [line search]")).as("prose stays as written")
                .isEqualTo("val_bpb \\_em\\_ \\_\\_strong\\_\\_ [line search]");
        assertThat(ResearcherText.markdownLine("a\nb\r\n\tc")).isEqualTo("a b c");
        assertThat(ResearcherText.printable("a\u001b]0;title\u0007b")).isEqualTo("a]0;titleb");
        assertThat(ResearcherText.printable("\uD83D\uDC68\u200D\uD83D\uDCBB ok")).as("emoji with a joiner stay")
                .isEqualTo("\uD83D\uDC68\u200D\uD83D\uDCBB ok");
        assertThat(ResearcherText.markdown(null)).isNull();
    }

    @Test
    void resultsTsvRowsStayOneLineWithoutControls() throws Exception {
        var file = dir.resolve("results.tsv");
        var tsv = ResultsTsv.open(file, Metric.VAL_BPB);
        tsv.append(new RunEntry(1, "s-001", "x", null, List.of(), "lr\u001b[2J\u2028two\u0085three", RunStatus.FINISHED,
                1.9, null, null, Decision.KEEP, "ok", 1.0, 10L, List.of()));
        assertThat(Files.readAllLines(file)).hasSize(2).last().asString().endsWith("\tlr[2J two three");
    }
}
