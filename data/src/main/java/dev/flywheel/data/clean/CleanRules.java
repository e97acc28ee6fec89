package dev.flywheel.data.clean;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.flywheel.data.DataException;
import dev.flywheel.data.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Which cleaning rules run, with their thresholds: the built-in {@code default} (every rule, the thresholds in
 * docs/data-cleaning.md) or a JSON rules file naming the rules it wants:
 * <pre>
 * {"rules": {"gopher_quality": {"min_words": 30}, "near_duplicate": {}, "quarantine": {}},
 *  "code_extensions": ["java", "py"]}
 * </pre>
 * A rule left out is off; {@code {}} takes its defaults. Prose rules judge documents that are not code, the code
 * rule judges files whose extension is in {@code code_extensions}; the rest apply to every document.
 */
public record CleanRules(List<QualityRule> prose, List<QualityRule> code, Set<String> codeExtensions, boolean quarantine,
                         boolean exact, MinHash near, Boilerplate boilerplate, Decontamination decontaminate, String origin) {

    public static final String EXACT = "exact_duplicate";
    public static final String QUARANTINE = "quarantine";
    public static final List<String> PROSE_RULES = List.of(GopherQuality.NAME, GopherRepetition.NAME, C4Quality.NAME, FineWebQuality.NAME);
    public static final List<String> ALL = List.of(QUARANTINE, GopherQuality.NAME, GopherRepetition.NAME, C4Quality.NAME, FineWebQuality.NAME,
            CodeQuality.NAME, EXACT, MinHash.NAME, Boilerplate.NAME, Decontamination.NAME);
    public static final List<String> CODE_EXTENSIONS = List.of("java", "c", "h", "cc", "cpp", "hpp", "cs", "go", "rs", "py", "js", "ts",
            "kt", "scala", "swift", "rb", "php", "sh", "m", "mm", "sql", "lua", "pl", "r", "jl", "hs", "ml", "clj", "dart", "groovy");

    public CleanRules {
        prose = List.copyOf(prose);
        code = List.copyOf(code);
        codeExtensions = Set.copyOf(codeExtensions);
    }

    /** {@code default}, or the path of a rules file. */
    public static CleanRules load(String spec) {
        if (spec == null || spec.isBlank() || spec.trim().equalsIgnoreCase("default")) return defaults();
        Path file = Path.of(spec.trim());
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new DataException("the rules file " + file + " does not exist; give --clean default or a JSON rules file (see docs/data-cleaning.md)");
        } catch (IOException e) {
            throw new DataException("cannot read the rules file " + file + " (" + e.getMessage() + "); check its permissions", e);
        }
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new DataException("the rules file " + file + " is not valid JSON (" + e.getOriginalMessage() + " at line "
                    + e.getLocation().getLineNr() + "); fix it (see docs/data-cleaning.md)");
        }
        return parse(root, file.toString());
    }

    /** Every rule with its default thresholds. */
    public static CleanRules defaults() {
        var all = Json.MAPPER.createObjectNode();
        var rules = all.putObject("rules");
        for (String r : ALL) rules.putObject(r);
        return parse(all, "default");
    }

    static CleanRules parse(JsonNode root, String origin) {
        if (root == null || !root.isObject() || !root.has("rules") || !root.get("rules").isObject()) {
            throw new DataException("the rules file " + origin + " must be a JSON object with a \"rules\" object; see docs/data-cleaning.md");
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!k.equals("rules") && !k.equals("code_extensions")) {
                throw new DataException("the rules file " + origin + " has an unknown key \"" + k + "\"; only \"rules\" and \"code_extensions\" are read");
            }
        }
        JsonNode rules = root.get("rules");
        for (Iterator<String> it = rules.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!ALL.contains(name)) {
                throw new DataException("unknown rule \"" + name + "\" in " + origin + "; the rules are " + String.join(", ", ALL));
            }
        }
        var prose = new ArrayList<QualityRule>();
        if (rules.has(GopherQuality.NAME)) prose.add(GopherQuality.of(params(rules, GopherQuality.NAME, origin)));
        if (rules.has(GopherRepetition.NAME)) prose.add(GopherRepetition.of(params(rules, GopherRepetition.NAME, origin)));
        if (rules.has(C4Quality.NAME)) prose.add(C4Quality.of(params(rules, C4Quality.NAME, origin)));
        if (rules.has(FineWebQuality.NAME)) prose.add(FineWebQuality.of(params(rules, FineWebQuality.NAME, origin)));
        List<QualityRule> code = rules.has(CodeQuality.NAME) ? List.of(CodeQuality.of(params(rules, CodeQuality.NAME, origin))) : List.of();
        boolean quarantine = flag(rules, QUARANTINE, origin);
        boolean exact = flag(rules, EXACT, origin);
        MinHash near = rules.has(MinHash.NAME) ? MinHash.of(params(rules, MinHash.NAME, origin)) : null;
        Boilerplate boilerplate = rules.has(Boilerplate.NAME) ? Boilerplate.of(params(rules, Boilerplate.NAME, origin)) : null;
        Decontamination decon = Decontamination.of(params(rules, Decontamination.NAME, origin)); // runs whenever evaluation texts are given
        var ext = new ArrayList<String>();
        JsonNode e = root.get("code_extensions");
        if (e == null) ext.addAll(CODE_EXTENSIONS);
        else if (!e.isArray()) throw new DataException("code_extensions in " + origin + " must be a list of file extensions, e.g. [\"java\", \"py\"]");
        else e.forEach(x -> ext.add(x.asText().toLowerCase(Locale.ROOT).replaceFirst("^\\.", "")));
        return new CleanRules(prose, code, Set.copyOf(ext), quarantine, exact, near, boilerplate, decon, origin);
    }

    private static RuleParams params(JsonNode rules, String name, String origin) {
        return new RuleParams(name, origin, rules.get(name));
    }

    private static boolean flag(JsonNode rules, String name, String origin) {
        if (!rules.has(name)) return false;
        new RuleParams(name, origin, rules.get(name)).done(); // takes no thresholds
        return true;
    }

    /** True for a document whose id ends in a code extension: it is judged by the code rule, not the prose rules. */
    public boolean isCode(String id) {
        int slash = id.lastIndexOf('/');
        int dot = id.lastIndexOf('.');
        if (dot <= slash) return false;
        int end = id.length();
        int at = id.indexOf('@', dot);
        if (at > 0) end = at;
        return codeExtensions.contains(id.substring(dot + 1, end).toLowerCase(Locale.ROOT));
    }

    /** The rules as a stable JSON-ready map: part of the prepared data's cache key and of meta.json. */
    public Map<String, Object> describe() {
        var m = new LinkedHashMap<String, Object>();
        var r = new LinkedHashMap<String, Object>();
        if (quarantine) r.put(QUARANTINE, Map.of());
        for (QualityRule q : prose) r.put(q.name(), q);
        for (QualityRule q : code) r.put(q.name(), q);
        if (exact) r.put(EXACT, Map.of());
        if (near != null) r.put(MinHash.NAME, near);
        if (boilerplate != null) r.put(Boilerplate.NAME, boilerplate);
        r.put(Decontamination.NAME, decontaminate);
        m.put("rules", r);
        m.put("code_extensions", codeExtensions.stream().sorted().toList());
        return m;
    }
}
