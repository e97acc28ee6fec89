package dev.flywheel.data.corpus;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A public data set known by name, downloaded on first use and verified against its SHA-256.
 *
 * @param name        what {@code --data} accepts
 * @param url         where the file is fetched from
 * @param fileName    the file's name in the download cache (its extension chooses the reader)
 * @param sha256      the expected SHA-256 (hex), or null to accept what the server advertises and record it
 * @param bytes       the expected size, or -1 when unknown (for the progress bar before the server answers)
 * @param description one line for people
 */
public record NamedDataset(String name, URI url, String fileName, String sha256, long bytes, String description) {

    /** The data sets Flywheel knows out of the box. */
    public static Map<String, NamedDataset> builtIn() {
        var m = new LinkedHashMap<String, NamedDataset>();
        // Karpathy's char-rnn copy, the one nanoGPT's shakespeare_char downloads.
        m.put("tinyshakespeare", new NamedDataset("tinyshakespeare",
                URI.create("https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt"),
                "tinyshakespeare.txt", "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed", 1_115_394,
                "Tiny Shakespeare (1.1 MB, char-rnn / nanoGPT)"));
        // The TinyStories validation file (stories separated by <|endoftext|> lines): small enough to fetch often.
        m.put("tinystories", new NamedDataset("tinystories",
                URI.create("https://huggingface.co/datasets/roneneldan/TinyStories/resolve/main/TinyStories-valid.txt"),
                "TinyStories-valid.txt", "94e431816c4cce81ff71e4408ff8d3bda9a42e8d2663986697c3954288cb38b4", -1,
                "TinyStories validation split (about 19 MB; CDLA-Sharing-1.0)"));
        // The full training file; big, so only fetched when asked for by name.
        m.put("tinystories-train", new NamedDataset("tinystories-train",
                URI.create("https://huggingface.co/datasets/roneneldan/TinyStories/resolve/main/TinyStories-train.txt"),
                "TinyStories-train.txt", null, -1, "TinyStories training split (about 1.9 GB; CDLA-Sharing-1.0)"));
        return m;
    }

    /**
     * The built-in catalog, with every URL rebased onto {@code mirror} when it is set (a directory URL such as
     * {@code http://fileserver/datasets/}; the data set's file name is appended). For clusters without internet.
     */
    public static Map<String, NamedDataset> catalog(String mirror) {
        var m = builtIn();
        if (mirror == null || mirror.isBlank()) return m;
        String base = mirror.endsWith("/") ? mirror : mirror + "/";
        m.replaceAll((k, d) -> new NamedDataset(d.name, URI.create(base + d.fileName), d.fileName, d.sha256, d.bytes, d.description));
        return m;
    }
}
