package dev.flywheel.data.prep;

import dev.flywheel.data.DataException;
import dev.flywheel.data.util.Hashing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A quarantine list: document ids that must not be trained on (found by the data audit or by spike forensics).
 * One id per line; blank lines and lines starting with '#' are ignored; an id ending in '*' drops every
 * document whose id starts with the rest (a whole file of a folder, say). Only the first tab-separated column
 * is read, so {@code skipped.tsv} and forensics reports can be fed back as they are.
 */
public record Exclusions(Path file, Set<String> exact, List<String> prefixes, String sha256) {

    public static final Exclusions NONE = new Exclusions(null, Set.of(), List.of(), "");

    public static Exclusions load(Path file) {
        if (file == null) return NONE;
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new DataException("the exclude file " + file + " does not exist; give a file of document ids, one per line");
        } catch (IOException e) {
            throw new DataException("cannot read the exclude file " + file + " (" + e.getMessage() + ")", e);
        }
        var exact = new HashSet<String>();
        var prefixes = new ArrayList<String>();
        for (String line : text.split("\n")) {
            String id = line.strip();
            int tab = id.indexOf('\t');
            if (tab >= 0) id = id.substring(0, tab).strip();
            if (id.isEmpty() || id.startsWith("#")) continue;
            if (id.endsWith("*")) prefixes.add(id.substring(0, id.length() - 1));
            else exact.add(id);
        }
        return new Exclusions(file, Set.copyOf(exact), List.copyOf(prefixes), Hashing.sha256Hex(text));
    }

    public boolean excludes(String id) {
        if (exact.contains(id)) return true;
        for (String p : prefixes) if (id.startsWith(p)) return true;
        return false;
    }

    public String reason() {
        return "excluded by " + (file == null ? "the exclude list" : file.getFileName());
    }
}
