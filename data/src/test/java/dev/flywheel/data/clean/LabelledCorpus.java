package dev.flywheel.data.clean;

import dev.flywheel.data.Json;
import dev.flywheel.data.TestText;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Random;

/**
 * A labelled test corpus for cleaning: clean documents from the shared corpora (TinyStories stories and Tiny
 * Shakespeare passages) with planted exact duplicates (some re-cased and re-spaced), near duplicates (about 2% of
 * the words edited and a header line added), seven kinds of junk and documents quoting an evaluation text. Written
 * as JSONL whose {@code "id"} is the label ({@code clean/17}, {@code near/3}, {@code junk-lorem/5}, ...), and the
 * evaluation text beside it. Seeded: the same arguments give the same files.
 */
final class LabelledCorpus {
    static final List<String> JUNK = List.of("lorem", "symbols", "repeated-lines", "keyword-spam", "navigation", "fragment", "gibberish");

    /** How many of each kind. */
    record Sizes(int clean, int exact, int near, int junkEach, int contaminated) {}

    record Files(Path jsonl, Path eval) {}

    private record Item(double position, String id, String text) {}

    private LabelledCorpus() {}

    static Files write(Path dir, Sizes sizes, long seed) throws IOException {
        var random = new Random(seed);
        var pool = cleanTexts();
        java.util.Collections.shuffle(pool, random);
        if (pool.size() < sizes.clean() + sizes.contaminated()) throw new IllegalArgumentException("only " + pool.size() + " clean texts");
        var clean = pool.subList(0, sizes.clean());
        var hosts = pool.subList(sizes.clean(), sizes.clean() + sizes.contaminated());
        String evalText = java.nio.file.Files.readString(TestText.TINYSTORIES_VALID);
        var quotes = Arrays.stream(evalText.split("\n\\s*\n")).map(String::strip).filter(p -> p.split("\\s+").length >= 40).toList();

        var items = new ArrayList<Item>();
        int n = clean.size();
        for (int i = 0; i < n; i++) items.add(new Item(i, "clean/" + i, clean.get(i)));
        for (int k = 0; k < sizes.exact(); k++) {
            int of = random.nextInt(n);
            String t = clean.get(of);
            if (k % 2 == 1) t = t.toUpperCase(java.util.Locale.ROOT).replace(" ", "  "); // same after normalising case and spaces
            items.add(new Item(of + 0.5 + random.nextDouble() * (n - of), "exact/" + k, t));
        }
        for (int k = 0; k < sizes.near(); k++) {
            int of = random.nextInt(n);
            items.add(new Item(of + 0.5 + random.nextDouble() * (n - of), "near/" + k, nearCopy(clean.get(of), random)));
        }
        for (String kind : JUNK) {
            for (int k = 0; k < sizes.junkEach(); k++) items.add(new Item(random.nextDouble() * n, "junk-" + kind + "/" + k, junk(kind, random, clean)));
        }
        for (int k = 0; k < sizes.contaminated(); k++) {
            String host = hosts.get(k);
            String quote = quotes.get(random.nextInt(quotes.size()));
            int cut = host.indexOf(". ", host.length() / 2);
            String text = cut < 0 ? host + "\n" + quote : host.substring(0, cut + 2) + quote + " " + host.substring(cut + 2);
            items.add(new Item(random.nextDouble() * n, "contaminated/" + k, text));
        }
        items.sort(Comparator.comparingDouble(Item::position));
        var sb = new StringBuilder();
        for (Item it : items) {
            var line = new LinkedHashMap<String, String>();
            line.put("id", it.id());
            line.put("text", it.text());
            sb.append(Json.write(line)).append('\n');
        }
        java.nio.file.Files.createDirectories(dir);
        Path jsonl = dir.resolve("labelled.jsonl");
        Path eval = dir.resolve("eval.txt");
        java.nio.file.Files.writeString(jsonl, sb.toString(), StandardCharsets.UTF_8);
        java.nio.file.Files.writeString(eval, evalText, StandardCharsets.UTF_8);
        return new Files(jsonl, eval);
    }

    /** TinyStories stories (split at {@code <|endoftext|>}) and Shakespeare passages of about 1.5 KB. */
    static List<String> cleanTexts() throws IOException {
        var out = new ArrayList<String>();
        for (String s : java.nio.file.Files.readString(TestText.TINYSTORIES).split("<\\|endoftext\\|>")) {
            s = s.strip();
            if (s.length() > 200) out.add(s);
        }
        out.removeLast(); // the 2 MiB head cuts its last story
        var passage = new StringBuilder();
        for (String speech : java.nio.file.Files.readString(TestText.shakespeare()).split("\n\n")) {
            passage.append(speech).append("\n\n");
            if (passage.length() >= 1500) {
                out.add(passage.toString().strip());
                passage.setLength(0);
            }
        }
        return out;
    }

    /** About 2% of the words replaced, dropped or doubled, and a header line on top. */
    static String nearCopy(String text, Random random) {
        var words = new ArrayList<>(Arrays.asList(text.split(" ")));
        int edits = Math.max(1, (int) Math.round(words.size() * 0.02));
        for (int e = 0; e < edits; e++) {
            int at = random.nextInt(words.size());
            switch (random.nextInt(3)) {
                case 0 -> words.set(at, WORDS[random.nextInt(WORDS.length)]);
                case 1 -> words.remove(at);
                default -> words.add(at, WORDS[random.nextInt(WORDS.length)]);
            }
        }
        String[] headers = {"Posted by admin on March 3", "Reprinted with permission", "Chapter " + (1 + random.nextInt(40)), "From the archive:"};
        return headers[random.nextInt(headers.length)] + "\n" + String.join(" ", words);
    }

    private static final String[] WORDS = {"garden", "quickly", "blue", "under", "happy", "stone", "river", "friend", "sang", "tiny", "window", "bright"};
    private static final String[] LOREM = ("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna "
            + "aliqua ut enim ad minim veniam quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat").split(" ");
    private static final String[] SPAM = {"cheap", "watches", "buy", "best", "online", "discount", "replica", "free", "shipping", "sale"};
    private static final String[] NAV = {"Home", "About Us", "Contact", "Login", "Register", "Products", "Services", "Blog", "FAQ",
            "Privacy Policy", "Terms of Use", "Sitemap", "Careers", "Press", "Support"};

    static String junk(String kind, Random r, List<String> clean) {
        var sb = new StringBuilder();
        switch (kind) {
            case "lorem" -> {
                sb.append("Lorem ipsum ");
                for (int i = 0; i < 80 + r.nextInt(120); i++) sb.append(LOREM[r.nextInt(LOREM.length)]).append(i % 12 == 11 ? ". " : " ");
            }
            case "symbols" -> {
                String sym = "#$%&*@!~^+=<>|/\\{}[]";
                for (int i = 0; i < 100 + r.nextInt(200); i++) {
                    int len = 1 + r.nextInt(6);
                    for (int c = 0; c < len; c++) sb.append(sym.charAt(r.nextInt(sym.length())));
                    sb.append(r.nextInt(8) == 0 ? "\n" : " ");
                    if (r.nextInt(6) == 0) sb.append(WORDS[r.nextInt(WORDS.length)]).append(' ');
                }
            }
            case "repeated-lines" -> {
                String[] sentences = clean.get(r.nextInt(clean.size())).split("(?<=[.!?]) ");
                int distinct = 1 + r.nextInt(3);
                for (int i = 0; i < 15 + r.nextInt(20); i++) sb.append(sentences[i % Math.min(distinct, sentences.length)]).append('\n');
            }
            case "keyword-spam" -> {
                for (int i = 0; i < 60 + r.nextInt(100); i++) sb.append(SPAM[r.nextInt(4)]).append(' ').append(SPAM[r.nextInt(SPAM.length)]).append(r.nextInt(9) == 0 ? "!\n" : " ");
            }
            case "navigation" -> {
                for (int i = 0; i < 20 + r.nextInt(30); i++) {
                    sb.append(NAV[r.nextInt(NAV.length)]);
                    sb.append(r.nextBoolean() ? "\n" : " | ");
                }
            }
            case "fragment" -> { // one line of at most a dozen words
                String[] words = clean.get(r.nextInt(clean.size())).split("\\s+");
                int from = r.nextInt(words.length), to = Math.min(words.length, from + 3 + r.nextInt(10));
                sb.append(String.join(" ", Arrays.copyOfRange(words, from, to)));
            }
            case "gibberish" -> {
                String letters = "abcdefghijklmnopqrstuvwxyz";
                for (int i = 0; i < 80 + r.nextInt(150); i++) {
                    int len = 2 + r.nextInt(9);
                    for (int c = 0; c < len; c++) sb.append(letters.charAt(r.nextInt(26)));
                    sb.append(r.nextInt(15) == 0 ? ". " : " ");
                }
            }
            default -> throw new IllegalArgumentException(kind);
        }
        return sb.toString().strip();
    }
}
