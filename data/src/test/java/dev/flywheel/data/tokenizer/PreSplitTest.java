package dev.flywheel.data.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flywheel.data.TestText;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class PreSplitTest {

    static List<String> byRegex(PreSplit split, String text) {
        return byRegex(split.regex(), text);
    }

    static List<String> byRegex(String regex, String text) {
        var m = Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS).matcher(text);
        var out = new ArrayList<String>();
        while (m.find()) out.add(m.group());
        return out;
    }

    static List<String> byScanner(PreSplit split, String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        var out = new ArrayList<String>();
        split.split(b, 0, b.length, (bytes, s, e) -> out.add(new String(bytes, s, e - s, StandardCharsets.UTF_8)));
        return out;
    }

    @ParameterizedTest
    @EnumSource(PreSplit.class)
    void matchesTheRegularExpressionOnRandomUnicode(PreSplit split) {
        var random = new Random(42);
        for (int i = 0; i < 10_000; i++) {
            String text = TestText.randomUnicode(random, 30);
            var expected = byRegex(split, text);
            assertThat(byScanner(split, text)).as("text %s", escape(text)).isEqualTo(expected);
            assertThat(byRegex(split.portableRegex(), text)).as("portable, text %s", escape(text)).isEqualTo(expected);
        }
    }

    @ParameterizedTest
    @EnumSource(PreSplit.class)
    void matchesTheRegularExpressionOnTheSharedCorpora(PreSplit split) throws Exception {
        for (var path : List.of(TestText.SHAKESPEARE, TestText.TINYSTORIES)) {
            String text = Files.readString(path).substring(0, 300_000);
            assertThat(byScanner(split, text)).isEqualTo(byRegex(split, text));
        }
    }

    @ParameterizedTest
    @EnumSource(PreSplit.class)
    void coversInvalidBytesExactlyOnce(PreSplit split) {
        var random = new Random(7);
        for (int i = 0; i < 5_000; i++) {
            byte[] b = TestText.randomBytes(random, 40);
            var joined = new java.io.ByteArrayOutputStream();
            int[] last = {0};
            split.split(b, 0, b.length, (bytes, s, e) -> {
                assertThat(s).isEqualTo(last[0]);
                assertThat(e).isGreaterThan(s);
                last[0] = e;
                joined.write(bytes, s, e - s);
            });
            assertThat(joined.toByteArray()).isEqualTo(b);
        }
    }

    static String escape(String s) {
        var sb = new StringBuilder();
        s.codePoints().forEach(cp -> {
            if (cp >= 32 && cp < 127) sb.appendCodePoint(cp);
            else sb.append(String.format("\\u{%X}", cp));
        });
        return sb.toString();
    }
}
