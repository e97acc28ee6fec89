package dev.flywheel.lab.search;

import dev.flywheel.lab.LabException;
import dev.flywheel.lab.Metric;
import dev.flywheel.lab.budget.RunBudget;
import dev.flywheel.lab.budget.StudyBudget;
import dev.flywheel.lab.recipe.Recipe;
import dev.flywheel.lab.recipe.RecipeException;
import dev.flywheel.lab.recipe.RecipeSchema;
import dev.flywheel.lab.recipe.RecipeSchema.Type;
import dev.flywheel.lab.recipe.Values;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Pattern;

/** Reads {@link Brief}s; see there for the format. One instance per parse. */
final class BriefParser {

    private enum Section { PREAMBLE, OBJECTIVE, CONSTRAINTS, SEARCH, BASELINE, OTHER }

    private enum Setting { METRIC, STUDY_BUDGET, RUN_BUDGET, MAX_PARAMS, NOISE_SEEDS, KEEP_SIGMAS }

    private static final Map<String, Setting> SETTINGS = Map.ofEntries(
            Map.entry("metric", Setting.METRIC),
            Map.entry("budget", Setting.STUDY_BUDGET), Map.entry("studybudget", Setting.STUDY_BUDGET),
            Map.entry("totalbudget", Setting.STUDY_BUDGET),
            Map.entry("runbudget", Setting.RUN_BUDGET), Map.entry("budgetperrun", Setting.RUN_BUDGET),
            Map.entry("maxparams", Setting.MAX_PARAMS), Map.entry("maxparameters", Setting.MAX_PARAMS),
            Map.entry("parameterlimit", Setting.MAX_PARAMS),
            Map.entry("noiseseeds", Setting.NOISE_SEEDS), Map.entry("seeds", Setting.NOISE_SEEDS),
            Map.entry("baselineseeds", Setting.NOISE_SEEDS),
            Map.entry("keepsigmas", Setting.KEEP_SIGMAS), Map.entry("sigmas", Setting.KEEP_SIGMAS));

    private static final Pattern HEADING = Pattern.compile("^\\s{0,3}(#{1,6})\\s+(.*?)\\s*#*\\s*$");
    private static final Pattern BULLET = Pattern.compile("^\\s*(?:[-*+]|\\d+[.)])\\s+(.*)$");
    private static final Pattern KEY_VALUE = Pattern.compile("^([A-Za-z_][A-Za-z0-9_.\\- ]{0,40}?)\\s*[:=]\\s*(.*)$");
    private static final String NUM = "[-+]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][-+]?\\d+)?";
    private static final Pattern RANGE = Pattern.compile("^(" + NUM + ")\\s*(?:\\.\\.\\.?|…|–|\\bto\\b)\\s*(" + NUM + ")\\s*(.*)$");

    private final String source;
    private final List<String> lines;
    private final List<String> problems = new ArrayList<>();

    private String title = "";
    private final StringBuilder objective = new StringBuilder();
    private final StringBuilder constraints = new StringBuilder();
    private Metric metric = Metric.VAL_BPB;
    private Optional<StudyBudget> studyBudget = Optional.empty();
    private Optional<RunBudget> runBudget = Optional.empty();
    private OptionalLong maxParameters = OptionalLong.empty();
    private int noiseSeeds = Brief.DEFAULT_NOISE_SEEDS;
    private double keepSigmas = Brief.DEFAULT_KEEP_SIGMAS;

    // The search space is assembled after reading every line, because "- defaults" may come after overrides.
    private boolean searchDefaults;
    private boolean searchDefined;
    private final Map<String, Dimension> dimensions = new LinkedHashMap<>();
    private final List<String> removed = new ArrayList<>();
    private final Map<String, Object> baseline = new LinkedHashMap<>();
    private final Map<String, Integer> baselineLines = new LinkedHashMap<>();
    private int baselineLine;
    private int lineNo;

    BriefParser(String markdown, String source) {
        this.source = source;
        this.lines = (markdown == null ? "" : markdown).lines().toList();
    }

    Brief parse() {
        var section = Section.PREAMBLE;
        boolean fenced = false;
        for (int i = 0; i < lines.size(); i++) {
            lineNo = i + 1;
            var line = lines.get(i);
            if (line.strip().startsWith("```") || line.strip().startsWith("~~~")) {
                fenced = !fenced;
                prose(section, line);
                continue;
            }
            if (fenced) {
                prose(section, line);
                continue;
            }
            var heading = HEADING.matcher(line);
            if (heading.matches()) {
                var text = heading.group(2);
                if (heading.group(1).length() == 1 && title.isEmpty() && section == Section.PREAMBLE) {
                    title = text; // the first top-level heading names the brief, whatever words it uses
                    continue;
                }
                section = classify(text);
                if (section == Section.SEARCH) searchDefined = true;
                if (section == Section.BASELINE) baselineLine = lineNo;
                continue;
            }
            try {
                switch (section) {
                    case OBJECTIVE, CONSTRAINTS, PREAMBLE -> settingOrProse(section, line);
                    case SEARCH -> {
                        var bullet = BULLET.matcher(line);
                        if (bullet.matches()) dimension(clean(bullet.group(1)));
                    }
                    case BASELINE -> {
                        var bullet = BULLET.matcher(line);
                        if (bullet.matches()) baselineSetting(clean(bullet.group(1)));
                    }
                    case OTHER -> { }
                }
            } catch (LabException e) {
                problems.add("line " + lineNo + ": " + e.getMessage());
            }
        }
        var space = assembleSpace();
        var change = assembleBaseline();
        if (!problems.isEmpty()) throw new Brief.BriefException(source, problems);
        return new Brief(source, title.isEmpty() ? "Research brief" : title, objective.toString().strip(), metric,
                constraints.toString().strip(), space, change, studyBudget, runBudget, noiseSeeds, keepSigmas,
                String.join("\n", lines));
    }

    /** By whole words, so "Notes for the researcher" is not mistaken for "Search". */
    private static Section classify(String heading) {
        var words = List.of(heading.toLowerCase(Locale.ROOT).split("[^a-z]+"));
        if (words.contains("search") || words.contains("dimension") || words.contains("dimensions")
                || words.contains("explore")) return Section.SEARCH;
        if (words.contains("objective") || words.contains("objectives") || words.contains("goal")
                || words.contains("goals")) return Section.OBJECTIVE;
        if (words.contains("constraint") || words.contains("constraints") || words.contains("limit")
                || words.contains("limits") || words.contains("rules")) return Section.CONSTRAINTS;
        if (words.contains("baseline") || words.contains("start") || words.contains("starting")) return Section.BASELINE;
        return Section.OTHER;
    }

    private void prose(Section section, String line) {
        if (section == Section.OBJECTIVE) objective.append(line).append('\n');
        if (section == Section.CONSTRAINTS) constraints.append(line).append('\n');
    }

    /** Backticks, "# comments", " — remarks" and a trailing "(remark)" are for people, not for the parser. */
    static String clean(String text) {
        var s = text.replace("`", "").replace("**", "");
        for (var marker : List.of(" #", " -- ", " — ")) {
            int at = s.indexOf(marker);
            if (at >= 0) s = s.substring(0, at);
        }
        s = s.strip();
        if (s.endsWith(")")) {
            int open = s.lastIndexOf(" (");
            if (open > 0) s = s.substring(0, open);
        }
        return s.strip();
    }

    // ---- settings ---------------------------------------------------------------------------------------------

    private void settingOrProse(Section section, String line) {
        var bullet = BULLET.matcher(line);
        var content = clean(bullet.matches() ? bullet.group(1) : line);
        var kv = KEY_VALUE.matcher(content);
        if (kv.matches() && section != Section.PREAMBLE) {
            var key = kv.group(1).strip();
            var setting = SETTINGS.get(normalize(key));
            if (setting != null) {
                setting(setting, key, kv.group(2).strip());
                return;
            }
            // A one-word key close to a setting is a typo worth reporting; anything else is prose.
            if (!key.contains(" ") && !key.contains(".")) {
                var near = SETTINGS.keySet().stream()
                        .filter(s -> distance(s, normalize(key)) <= 2).findFirst();
                if (near.isPresent())
                    throw new LabException(key + " is not a brief setting; did you mean " + settingName(SETTINGS.get(near.get())) + "?");
            }
        }
        prose(section, line);
    }

    private void setting(Setting setting, String key, String value) {
        if (value.isEmpty()) throw new LabException(key + " has no value; " + example(setting));
        switch (setting) {
            case METRIC -> metric = Metric.of(value).orElseThrow(() -> new LabException("metric " + value
                    + " is unknown; use " + String.join(" or ", Arrays.stream(Metric.values()).map(Metric::id).toList())));
            case STUDY_BUDGET -> studyBudget = Optional.of(StudyBudget.parse(value));
            case RUN_BUDGET -> runBudget = Optional.of(RunBudget.parse(value));
            case MAX_PARAMS -> {
                long limit = count(value, key);
                if (limit < 1) throw new LabException(key + " must be at least 1 (got " + value + ")");
                maxParameters = OptionalLong.of(limit);
            }
            case NOISE_SEEDS -> {
                long seeds = count(value, key);
                if (seeds < 1 || seeds > 100) throw new LabException(key + " must be between 1 and 100 (got " + value + ")");
                noiseSeeds = (int) seeds;
            }
            case KEEP_SIGMAS -> {
                double sigmas;
                try {
                    sigmas = Double.parseDouble(value);
                } catch (NumberFormatException e) {
                    sigmas = Double.NaN;
                }
                if (!(sigmas >= 0) || Double.isInfinite(sigmas))
                    throw new LabException(key + " must be a number of at least 0, such as 2 (got " + value + ")");
                keepSigmas = sigmas;
            }
        }
    }

    private static String settingName(Setting s) {
        return s.name().toLowerCase(Locale.ROOT);
    }

    private static String example(Setting s) {
        return "write it like " + switch (s) {
            case METRIC -> "metric: val_bpb";
            case STUDY_BUDGET -> "study_budget: 30m";
            case RUN_BUDGET -> "run_budget: 60s";
            case MAX_PARAMS -> "max_params: 5M";
            case NOISE_SEEDS -> "noise_seeds: 3";
            case KEEP_SIGMAS -> "keep_sigmas: 2";
        };
    }

    /** A count such as 5M, 2.5M, 500k, 5e6 or 5_000_000. */
    private static long count(String value, String key) {
        var m = Pattern.compile("(" + NUM + ")\\s*([kKmMgGbB]?)").matcher(value.replace("_", "").replace(",", ""));
        if (!m.matches()) throw new LabException(key + " must be a count such as 5M, 500k or 5000000 (got " + value + ")");
        BigDecimal n;
        try {
            n = new BigDecimal(m.group(1));
        } catch (NumberFormatException e) { // an exponent past what a number holds
            throw new LabException(key + " must be a count such as 5M, 500k or 5000000 (got " + value + ")");
        }
        n = switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "k" -> n.scaleByPowerOfTen(3);
            case "m" -> n.scaleByPowerOfTen(6);
            case "g", "b" -> n.scaleByPowerOfTen(9);
            default -> n;
        };
        try {
            return n.stripTrailingZeros().longValueExact();
        } catch (ArithmeticException e) {
            throw new LabException(key + " must be a whole count (got " + value + ")");
        }
    }

    // ---- search space -----------------------------------------------------------------------------------------

    private void dimension(String content) {
        if (content.isEmpty()) return;
        var kv = KEY_VALUE.matcher(content);
        if (!kv.matches() || kv.group(2).isBlank()) {
            if (normalize(content).contains("default")) {
                searchDefaults = true;
                return;
            }
            throw new LabException("\"" + content + "\" is not a dimension; write \"- path: min .. max [log]\", "
                    + "\"- path: a, b, c\" or \"- defaults\"");
        }
        var path = kv.group(1).strip();
        var spec = kv.group(2).strip();
        var field = RecipeSchema.field(path).orElseThrow(() -> new LabException(RecipeSchema.unknownPathMessage(path)));
        var canonical = field.path();
        var word = normalize(spec);
        if (List.of("default", "defaults").contains(word)) {
            var d = SearchSpace.defaults().dimension(canonical).orElseThrow(() -> new LabException(canonical
                    + " has no default range; give one, such as \"" + canonical + ": "
                    + (field.type() == Type.CHOICE ? String.join(", ", field.choices()) : "1 .. 8") + "\""));
            put(d);
            return;
        }
        if (List.of("fixed", "off", "none", "exclude", "excluded", "no", "-").contains(word)) {
            if (field.isSection()) throw new LabException(canonical + " is a section; name one of its settings");
            removed.add(canonical);
            dimensions.remove(canonical);
            return;
        }
        var range = RANGE.matcher(spec);
        if (range.matches()) {
            boolean log = false, integer = false;
            for (var flag : range.group(3).toLowerCase(Locale.ROOT).split("[\\s,]+")) {
                switch (flag) {
                    case "" , "linear", "lin", "uniform", "scale" -> { }
                    case "int", "integer" -> integer = true;
                    case "log", "logscale", "log-scale", "log-uniform", "loguniform" -> log = true;
                    default -> throw new LabException("\"" + flag + "\" after the range of " + canonical
                            + " is not understood; the range may be followed by \"log\" or \"linear\"");
                }
            }
            put(new Dimension.Numeric(canonical, Double.parseDouble(range.group(1)), Double.parseDouble(range.group(2)), log, integer));
            return;
        }
        var list = spec;
        if (list.startsWith("[") && list.endsWith("]")) list = list.substring(1, list.length() - 1);
        var values = Arrays.stream(list.split("[,|]")).map(String::strip).filter(s -> !s.isEmpty()).map(s -> (Object) s).toList();
        put(new Dimension.Categorical(canonical, values));
    }

    private void put(Dimension d) {
        dimensions.put(d.path(), d);
        removed.remove(d.path());
    }

    private SearchSpace assembleSpace() {
        boolean onlyRemovals = dimensions.isEmpty();
        List<Dimension> dims = new ArrayList<>();
        if (!searchDefined || searchDefaults || onlyRemovals) {
            for (var d : SearchSpace.defaults().dimensions()) {
                if (removed.contains(d.path())) continue;
                dims.add(dimensions.getOrDefault(d.path(), d));
            }
            for (var d : dimensions.values()) if (SearchSpace.defaults().dimension(d.path()).isEmpty()) dims.add(d);
        } else {
            dims.addAll(dimensions.values());
        }
        if (dims.isEmpty()) {
            problems.add("leaves the search space empty; list at least one dimension, or write \"- defaults\"");
            return SearchSpace.defaults();
        }
        return new SearchSpace(dims, maxParameters);
    }

    // ---- baseline ---------------------------------------------------------------------------------------------

    private void baselineSetting(String content) {
        if (content.isEmpty()) return;
        var kv = KEY_VALUE.matcher(content);
        if (!kv.matches() || kv.group(2).isBlank())
            throw new LabException("\"" + content + "\" is not a setting; write \"- path: value\", such as \"- model.layers: 6\"");
        var written = kv.group(1).strip();
        Object value = kv.group(2).strip();
        Map.Entry<String, Object> renamed;
        try {
            renamed = Recipe.renamed(written, value);
        } catch (RecipeException e) {
            throw new LabException(e.problems().getFirst().message());
        }
        var path = renamed == null ? written : renamed.getKey();
        if (renamed != null) value = renamed.getValue();
        var field = RecipeSchema.field(path).orElseThrow(() -> new LabException(RecipeSchema.unknownPathMessage(path)));
        if (field.type() == Type.TEXT_LIST) {
            var s = ((String) value).replaceAll("^\\[|]$", "");
            value = Arrays.stream(s.split(",")).map(x -> x.strip().replace("\"", "")).filter(x -> !x.isEmpty()).toList();
        }
        try {
            Values.read(field, value); // the type is this line's own business; value rules are checked together below
        } catch (RecipeException e) {
            throw new LabException(e.problems().getFirst().message());
        }
        baseline.put(field.path(), value);
        baselineLines.put(field.path(), lineNo);
    }

    private Change assembleBaseline() {
        if (baseline.isEmpty()) return Change.of(Map.of());
        try {
            Recipe.defaults().with(baseline);
        } catch (RecipeException e) {
            // Rules often span lines (a byte tokenizer needs vocab 256), so the settings are applied together and
            // each problem is pinned to the line that set its path, or to the section heading.
            for (var p : e.problems()) {
                var line = baselineLines.get(p.path());
                problems.add(line != null ? "line " + line + ": " + p.message()
                        : "line " + baselineLine + " (baseline): " + p.message());
            }
        }
        return Change.of(baseline);
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    private static String normalize(String s) {
        return s.toLowerCase(Locale.ROOT).replace("_", "").replace("-", "").replace(" ", "");
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1], cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++)
                cur[j] = Math.min(Math.min(prev[j] + 1, cur[j - 1] + 1), prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
            var t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
