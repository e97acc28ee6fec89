package dev.flywheel.data.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import dev.flywheel.data.TestText;
import java.nio.file.Files;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Our encoder loaded with GPT-2's and GPT-4's vocabularies gives the same ids as jtokkit (a tiktoken port). */
class TiktokenCompatibilityTest {

    static BpeTokenizer load(String name, PreSplit split, Map<String, Integer> specials) throws Exception {
        try (var in = Encodings.class.getResourceAsStream("/com/knuddels/jtokkit/" + name + ".tiktoken")) {
            return BpeTokenizer.loadTiktoken(in, split, specials);
        }
    }

    static void compare(BpeTokenizer ours, Encoding theirs) throws Exception {
        for (var path : java.util.List.of(TestText.SHAKESPEARE, TestText.TINYSTORIES)) {
            String text = Files.readString(path).substring(0, 400_000);
            assertThat(ours.encode(text)).isEqualTo(theirs.encodeOrdinary(text).toArray());
        }
        var random = new Random(99);
        for (int i = 0; i < 3000; i++) {
            String text = TestText.randomUnicode(random, 40);
            assertThat(ours.encode(text)).as("text %s", PreSplitTest.escape(text)).isEqualTo(theirs.encodeOrdinary(text).toArray());
        }
    }

    @Test
    void gpt2VocabularyMatchesJtokkit() throws Exception {
        var ours = load("r50k_base", PreSplit.GPT2, Map.of(Tokenizer.END_OF_TEXT, 50256));
        assertThat(ours.vocabSize()).isEqualTo(50257);
        compare(ours, Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.R50K_BASE));
    }

    @Test
    void gpt4VocabularyMatchesJtokkit() throws Exception {
        var ours = load("cl100k_base", PreSplit.GPT4, Map.of(Tokenizer.END_OF_TEXT, 100257));
        compare(ours, Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.CL100K_BASE));
    }
}
