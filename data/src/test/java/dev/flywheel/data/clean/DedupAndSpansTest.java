package dev.flywheel.data.clean;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** MinHash estimates, boilerplate spans and the lm-eval decontamination cuts, each on small texts. */
class DedupAndSpansTest {
    static final MinHash MH = MinHash.of(RuleParams.defaults(MinHash.NAME));

    static String words(Random r, int n) {
        var sb = new StringBuilder();
        for (int i = 0; i < n; i++) sb.append("w").append(r.nextInt(5000)).append(' ');
        return sb.toString();
    }

    @Test
    void minHashEstimatesJaccardOfShingles() {
        var r = new Random(3);
        String a = words(r, 400);
        assertThat(MinHash.similarity(MH.signature(TextStats.of(a)), MH.signature(TextStats.of(a.toUpperCase())))).isEqualTo(1.0);
        assertThat(MinHash.similarity(MH.signature(TextStats.of(a)), MH.signature(TextStats.of(words(r, 400))))).isLessThan(0.05);
        // 2% of the words replaced: about 10% of the 5-gram shingles change, Jaccard ≈ 0.82
        var w = a.split(" ");
        for (int i = 0; i < w.length; i += 50) w[i] = "edited";
        double s = MinHash.similarity(MH.signature(TextStats.of(a)), MH.signature(TextStats.of(String.join(" ", w))));
        assertThat(s).isBetween(0.7, 0.95);
    }

    @Test
    void theLicenceHeaderIsOneSpanWhateverItsYears() {
        var b = Boilerplate.of(RuleParams.defaults(Boilerplate.NAME));
        String header = """
                /*
                 * Copyright (c) %s, Oracle and/or its affiliates. All rights reserved.
                 * DO NOT ALTER OR REMOVE COPYRIGHT NOTICES OR THIS FILE HEADER.
                 *
                 * This code is free software; you can redistribute it and/or modify it
                 * under the terms of the GNU General Public License version 2 only.
                 */
                package java.util;

                class %s {}
                """;
        var one = b.spans(TextStats.of(header.formatted("1997, 2021", "A")), true);
        var two = b.spans(TextStats.of(header.formatted("2003, 2024", "B")), true);
        assertThat(one).hasSize(1);
        assertThat(two).hasSize(1);
        assertThat(one.getFirst().hash()).isEqualTo(two.getFirst().hash());
        assertThat(header.formatted("1997, 2021", "A").substring(one.getFirst().start(), one.getFirst().end())).startsWith("/*").endsWith("*/\n");
    }

    @Test
    void decontaminationCutsTheMatchWithItsWindowAndDropsSmallPieces() throws Exception {
        var d = Decontamination.of(RuleParams.defaults(Decontamination.NAME));
        var r = new Random(5);
        String quote = words(r, 30);
        Path eval = java.nio.file.Files.createTempFile("eval", ".txt");
        java.nio.file.Files.writeString(eval, quote);
        var e = d.load(eval);
        String before = words(r, 150), after = words(r, 150);
        String doc = before + quote + after;
        var t = TextStats.of(doc);
        var cuts = new Cuts();
        assertThat(d.match(t, MinHash.wordIndices(t), e, cuts)).isEqualTo(30 - 13 + 1);
        var kept = d.fragments(doc, cuts).apply(doc);
        assertThat(kept).doesNotContain(quote.strip().substring(0, 40));
        assertThat(doc.length() - kept.length()).isEqualTo(quote.strip().length() + 2 * 200 - 1); // the match, 200 on each side, one newline joining the pieces
        // a short document around the quote is removed whole
        String small = "a b c " + quote + " d e f";
        var ts = TextStats.of(small);
        var c2 = new Cuts();
        d.match(ts, MinHash.wordIndices(ts), e, c2);
        assertThat(d.fragments(small, c2)).isNull();
        java.nio.file.Files.delete(eval);
    }

}
