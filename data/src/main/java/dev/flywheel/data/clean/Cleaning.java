package dev.flywheel.data.clean;

import dev.flywheel.data.DataException;
import dev.flywheel.data.util.Hashing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code data prepare --clean} asks for: the rules, and the evaluation texts to decontaminate against
 * (besides the prepared data's own validation and test documents, which are always used).
 */
public record Cleaning(CleanRules rules, List<Path> evals) {

    public Cleaning {
        evals = List.copyOf(evals);
    }

    /** The rules and the evaluation texts' contents, for the prepared data's cache key and meta.json. */
    public Map<String, Object> describe() {
        var m = new LinkedHashMap<String, Object>(rules.describe());
        var files = new ArrayList<Map<String, String>>();
        for (Path p : evals) files.add(Map.of("file", p.getFileName().toString(), "sha256", sha256(p)));
        m.put("evals", files);
        return m;
    }

    private static String sha256(Path p) {
        try {
            return Hashing.sha256Hex(Files.readAllBytes(p));
        } catch (NoSuchFileException e) {
            throw new DataException("the evaluation file " + p + " does not exist; give --decontaminate a readable UTF-8 text file");
        } catch (IOException e) {
            throw new DataException("cannot read the evaluation file " + p + " (" + e.getMessage() + "); give a readable UTF-8 text file", e);
        }
    }
}
