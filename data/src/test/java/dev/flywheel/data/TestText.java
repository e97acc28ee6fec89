package dev.flywheel.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * Fixtures every module's tests share (the data module's test-jar): paths to the shared corpora, and random text
 * that exercises every character class the tokenizers care about.
 */
public final class TestText {
    private TestText() {}

    /**
     * The shared folder, absolute: $FLYWHEEL_SHARED, else the nearest folder "shared" holding the corpora, looking
     * from the module upwards (beside the repository as in CI and bench/compare.sh, or beside a folder above it).
     */
    public static final Path SHARED = shared();
    public static final Path SHAKESPEARE = SHARED.resolve("data/tinyshakespeare/input.txt");
    public static final Path TINYSTORIES = SHARED.resolve("data/tinystories/TinyStories-train-head-2MiB.txt");
    public static final Path TINYSTORIES_VALID = SHARED.resolve("data/tinystories/TinyStories-valid-head-hfexport.txt");

    /** Tiny Shakespeare (1.1 MB), the corpus of every test that trains; a clear error if it is missing. */
    public static Path shakespeare() {
        if (!Files.isRegularFile(SHAKESPEARE)) {
            throw new IllegalStateException("tests need Tiny Shakespeare at " + SHAKESPEARE + ": set FLYWHEEL_SHARED to"
                    + " the folder holding data/tinyshakespeare (normally 'shared' beside the repository)");
        }
        return SHAKESPEARE;
    }

    private static Path shared() {
        String env = System.getenv("FLYWHEEL_SHARED");
        if (env != null && !env.isBlank()) return Path.of(env).toAbsolutePath().normalize();
        // from the module folder up: the repository's own 'shared', the one beside it, or one beside a folder
        // further up (a git worktree under wt/ next to the main checkout)
        for (Path p = Path.of("").toAbsolutePath().normalize(); p != null; p = p.getParent()) {
            Path candidate = p.resolve("shared");
            if (Files.isDirectory(candidate.resolve("data/tinyshakespeare"))) return candidate;
        }
        throw new IllegalStateException("the shared test corpora are missing: set FLYWHEEL_SHARED to the folder holding"
                + " data/tinyshakespeare and data/tinystories (normally the folder 'shared' beside the repository)");
    }

    private static final String[] PIECES = {
            "a", "b", "Z", "hello", " world", "  ", "   ", "\t", "\n", "\r\n", "\n\n", " \n ", "'s", "'S", "'ll", "'LL",
            "'ve", "'re", "'t", "'d", "'m", "'x", "'", "\"", "0", "12", "12345", "3.14", ",", ".", "!?", "...", "(", ")",
            "é", "ß", "ſ", "Ж", "жизнь", "中文", "日本語", "٣", "½", "Ⅻ", "²", "\u00A0", "\u2003", "\u3000", "\u0085",
            "\u2028", "\u000B", "\u000C", "\u001C", "😀", "👍🏽", "\u0301", "e\u0301", "ǅ", "ʰ", "-", "_", "/", "\\",
            "<|endoftext|>", "$", "€", "\uFEFF", "x\u200Dy", "𝔘", "\u0000", "\u007F",
    };

    /** A random string of up to {@code maxPieces} pieces drawn from letters, digits, spaces, marks, emoji ... */
    public static String randomUnicode(Random random, int maxPieces) {
        var sb = new StringBuilder();
        int n = random.nextInt(maxPieces + 1);
        for (int i = 0; i < n; i++) {
            if (random.nextInt(8) == 0) {
                // any valid code point, including unassigned ones and astral planes
                int cp;
                do {
                    cp = random.nextInt(0x110000);
                } while (cp >= 0xD800 && cp <= 0xDFFF);
                sb.appendCodePoint(cp);
            } else {
                sb.append(PIECES[random.nextInt(PIECES.length)]);
            }
        }
        return sb.toString();
    }

    /** Random bytes biased toward UTF-8 fragments: lone continuation bytes, truncated sequences, overlongs. */
    public static byte[] randomBytes(Random random, int maxLength) {
        int n = random.nextInt(maxLength + 1);
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = switch (random.nextInt(6)) {
                case 0 -> (byte) (0x80 + random.nextInt(64));
                case 1 -> (byte) (0xC0 + random.nextInt(64));
                case 2 -> (byte) ' ';
                case 3 -> (byte) ('a' + random.nextInt(26));
                default -> (byte) random.nextInt(256);
            };
        }
        return b;
    }
}
