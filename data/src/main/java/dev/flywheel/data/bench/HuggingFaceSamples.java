package dev.flywheel.data.bench;

import dev.flywheel.data.Json;
import dev.flywheel.data.prep.DataPrep;
import dev.flywheel.data.tokenizer.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Random;

/**
 * Writes texts and our token ids for them, so that {@code data/tools/check_hf_export.mjs} can check that the
 * exported {@code tokenizer.json} gives the same ids in Hugging Face's own tokenizers.js. Texts: blocks of the
 * given files and random snippets of letters, digits, spaces, newlines, contractions and non-Latin scripts.
 *
 * <pre>java -cp ... dev.flywheel.data.bench.HuggingFaceSamples PREPARED_DIR OUT.json [TEXT_FILE ...]</pre>
 */
public final class HuggingFaceSamples {
    private HuggingFaceSamples() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Tokenizer tokenizer = Tokenizer.load(dir.resolve(DataPrep.TOKENIZER));
        var texts = new ArrayList<String>();
        for (int f = 2; f < args.length; f++) {
            // <|endoftext|> is an added token to Hugging Face (matched in raw text) but plain text to us: leave it out
            String text = Files.readString(Path.of(args[f])).replace(Tokenizer.END_OF_TEXT, "");
            for (int i = 0; i + 3000 <= text.length() && i < 100 * 5000; i += 5000) texts.add(text.substring(i, i + 3000));
        }
        String[] pieces = {"a", "Hello", " world", "  ", "\t", "\n", "\r\n", "'s", "'LL", "12345", "é", "ж", "中文", "😀", "\u00A0",
                "\u3000", "'", ".", "!!", "  \n  ", "ſ", "½", "x=1;", "    return"};
        var random = new Random(1);
        for (int i = 0; i < 2000; i++) {
            var sb = new StringBuilder();
            int n = random.nextInt(30);
            for (int k = 0; k < n; k++) sb.append(pieces[random.nextInt(pieces.length)]);
            texts.add(sb.toString());
        }
        var samples = new ArrayList<Object>();
        for (String t : texts) samples.add(new Object[] {t, tokenizer.encode(t)});
        Json.MAPPER.writeValue(Path.of(args[1]).toFile(), samples);
        System.out.println(texts.size() + " samples written to " + args[1]);
    }
}
