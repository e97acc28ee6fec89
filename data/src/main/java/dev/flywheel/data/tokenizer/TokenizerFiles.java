package dev.flywheel.data.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flywheel.data.DataException;
import dev.flywheel.data.Json;
import dev.flywheel.data.util.Hashing;
import dev.flywheel.engine.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Flywheel's tokenizer file ({@code flywheel-tokenizer.json}) and the Hugging Face {@code tokenizer.json} export.
 *
 * <p>Our format is compact canonical JSON: the same tokenizer always serialises to the same bytes, so the
 * SHA-256 of those bytes is the tokenizer's {@link Tokenizer#hash() hash}, stored in every shard header.
 * <pre>
 * {"format":"flywheel-tokenizer","version":1,"kind":"bpe","pre_split":"gpt4","pattern":"...",
 *  "merge_rule":"merges","merges":[[116,104],...],"special_tokens":{"&lt;|endoftext|&gt;":4095}}
 * {"format":"flywheel-tokenizer","version":1,"kind":"char","code_points":[10,32,33,...]}
 * {"format":"flywheel-tokenizer","version":1,"kind":"byte"}
 * </pre>
 */
public final class TokenizerFiles {
    private TokenizerFiles() {}

    public static final String FORMAT = "flywheel-tokenizer";
    public static final int VERSION = 1;
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** The canonical JSON of a tokenizer (no whitespace, fixed key order). */
    public static String canonicalJson(Tokenizer tokenizer) {
        ObjectNode root = NODES.objectNode();
        root.put("format", FORMAT);
        root.put("version", VERSION);
        root.put("kind", tokenizer.kind().label());
        switch (tokenizer) {
            case ByteTokenizer b -> { }
            case CharTokenizer c -> {
                ArrayNode cps = root.putArray("code_points");
                for (int cp : c.codePoints()) cps.add(cp);
            }
            case BpeTokenizer bpe -> {
                root.put("pre_split", bpe.preSplit().name().toLowerCase(java.util.Locale.ROOT));
                root.put("pattern", bpe.preSplit().regex());
                root.put("merge_rule", bpe.mergeRule().name().toLowerCase(java.util.Locale.ROOT));
                if (bpe.mergeRule() == BpeTokenizer.MergeRule.MERGES) {
                    ArrayNode merges = root.putArray("merges");
                    for (int[] m : bpe.merges()) merges.addArray().add(m[0]).add(m[1]);
                } else {
                    ArrayNode tokens = root.putArray("tokens");
                    int firstSpecial = bpe.specials().values().stream().mapToInt(Integer::intValue).min().orElse(bpe.vocabSize());
                    for (int id = 0; id < firstSpecial; id++) {
                        byte[] t = bpe.tokenBytesOf(id);
                        if (t == null) tokens.addNull();
                        else tokens.add(Base64.getEncoder().encodeToString(t));
                    }
                }
                ObjectNode specials = root.putObject("special_tokens");
                bpe.specials().forEach(specials::put);
            }
        }
        return Json.write(root);
    }

    private static final Map<BpeTokenizer, String> BPE_HASHES = java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

    public static String hash(Tokenizer tokenizer) {
        // A BPE vocabulary serialises to ~100 KB; its hash is asked for by every shard, so remember it.
        if (tokenizer instanceof BpeTokenizer bpe) return BPE_HASHES.computeIfAbsent(bpe, t -> Hashing.sha256Hex(canonicalJson(t)));
        return Hashing.sha256Hex(canonicalJson(tokenizer));
    }

    public static void save(Tokenizer tokenizer, Path file) {
        try {
            AtomicFiles.writeString(file, canonicalJson(tokenizer) + "\n");
        } catch (IOException e) {
            throw new DataException("cannot write the tokenizer to " + file + " (" + e.getMessage() + "); check that the directory is writable", e);
        }
    }

    public static Tokenizer load(Path file) {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(Files.readString(file));
        } catch (NoSuchFileException e) {
            throw new DataException("tokenizer file " + file + " does not exist; prepare the data again with `flywheel data prepare`");
        } catch (IOException e) {
            throw new DataException("tokenizer file " + file + " is not valid JSON (" + e.getMessage() + "); prepare the data again", e);
        }
        try {
            return fromJson(root);
        } catch (RuntimeException e) {
            if (e instanceof DataException) throw e;
            throw new DataException("tokenizer file " + file + " is damaged (" + e.getMessage() + "); prepare the data again", e);
        }
    }

    static Tokenizer fromJson(JsonNode root) {
        if (root == null || !FORMAT.equals(root.path("format").asText())) {
            throw new DataException("this is not a Flywheel tokenizer file (no \"format\": \"" + FORMAT + "\")");
        }
        if (root.path("version").asInt() != VERSION) {
            throw new DataException("tokenizer file version " + root.path("version").asText() + " is not supported (this Flywheel reads version " + VERSION + ")");
        }
        return switch (Tokenizer.Kind.parse(root.path("kind").asText())) {
            case BYTE -> ByteTokenizer.instance();
            case CHAR -> {
                var cps = new ArrayList<Integer>();
                root.path("code_points").forEach(n -> cps.add(n.intValue()));
                yield new CharTokenizer(cps.stream().mapToInt(Integer::intValue).toArray());
            }
            case BPE -> {
                PreSplit split = PreSplit.valueOf(root.path("pre_split").asText().toUpperCase(java.util.Locale.ROOT));
                var specials = new LinkedHashMap<String, Integer>();
                root.path("special_tokens").properties().forEach(e -> specials.put(e.getKey(), e.getValue().intValue()));
                if ("ranks".equals(root.path("merge_rule").asText())) {
                    var ranked = new ArrayList<byte[]>();
                    root.path("tokens").forEach(n -> ranked.add(n.isNull() ? null : Base64.getDecoder().decode(n.asText())));
                    yield BpeTokenizer.fromRanks(split, ranked, specials);
                }
                JsonNode mergesNode = root.path("merges");
                int[][] merges = new int[mergesNode.size()][];
                for (int i = 0; i < merges.length; i++) merges[i] = new int[] {mergesNode.get(i).get(0).intValue(), mergesNode.get(i).get(1).intValue()};
                var names = new ArrayList<>(specials.keySet());
                var tokenizer = BpeTokenizer.fromMerges(split, merges, names);
                if (!tokenizer.specials().equals(specials)) throw new DataException("special token ids do not follow the merges");
                yield tokenizer;
            }
        };
    }

    // ---- Hugging Face tokenizer.json -------------------------------------------------------------------------

    /** GPT-2's byte → printable character table, which byte-level BPE vocabularies use as token spellings. */
    static char[] byteToUnicode() {
        char[] table = new char[256];
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            table[b] = printable ? (char) b : (char) (256 + n++);
        }
        return table;
    }

    static String spell(byte[] bytes, char[] table) {
        var sb = new StringBuilder(bytes.length);
        for (byte b : bytes) sb.append(table[b & 0xFF]);
        return sb.toString();
    }

    /**
     * The Hugging Face {@code tokenizer.json} of a trained (merge-list) BPE tokenizer: a Split pre-tokenizer
     * with our pattern, byte-level spelling, the BPE model with our vocabulary and merges (same ids), and the
     * special tokens as added tokens. Loads with {@code PreTrainedTokenizerFast(tokenizer_file=...)}.
     */
    public static String huggingFaceJson(BpeTokenizer bpe) {
        if (bpe.mergeRule() != BpeTokenizer.MergeRule.MERGES) {
            throw new DataException("only a trained BPE tokenizer (with a merge list) can be exported to tokenizer.json;"
                    + " a tiktoken vocabulary already has its own Hugging Face ports");
        }
        char[] table = byteToUnicode();
        ObjectNode root = NODES.objectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        bpe.specials().forEach((text, id) -> {
            ObjectNode t = added.addObject();
            t.put("id", id);
            t.put("content", text);
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
        });
        root.putNull("normalizer");
        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "Sequence");
        ArrayNode steps = pre.putArray("pretokenizers");
        ObjectNode split = steps.addObject();
        split.put("type", "Split");
        split.putObject("pattern").put("Regex", bpe.preSplit().portableRegex());
        split.put("behavior", "Isolated");
        split.put("invert", false);
        ObjectNode byteLevel = steps.addObject();
        byteLevel.put("type", "ByteLevel");
        byteLevel.put("add_prefix_space", false);
        byteLevel.put("trim_offsets", true);
        byteLevel.put("use_regex", false);
        root.putNull("post_processor");
        ObjectNode decoder = root.putObject("decoder");
        decoder.put("type", "ByteLevel");
        decoder.put("add_prefix_space", true);
        decoder.put("trim_offsets", true);
        decoder.put("use_regex", true);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.put("continuing_subword_prefix", "");
        model.put("end_of_word_suffix", "");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", false);
        ObjectNode vocab = model.putObject("vocab");
        for (int id = 0; id < bpe.vocabSize(); id++) {
            String special = null;
            for (var e : bpe.specials().entrySet()) if (e.getValue() == id) special = e.getKey();
            vocab.put(special != null ? special : spell(bpe.tokenBytesOf(id), table), id);
        }
        ArrayNode merges = model.putArray("merges");
        for (int[] m : bpe.merges()) merges.add(spell(bpe.tokenBytesOf(m[0]), table) + " " + spell(bpe.tokenBytesOf(m[1]), table));
        return Json.pretty(root);
    }

    public static void exportHuggingFace(BpeTokenizer bpe, Path file) {
        try {
            AtomicFiles.writeString(file, huggingFaceJson(bpe));
        } catch (IOException e) {
            throw new DataException("cannot write " + file + " (" + e.getMessage() + "); check that the directory is writable", e);
        }
    }

    /**
     * Reads a byte-level BPE {@code tokenizer.json} whose Split pattern is one of ours (such as our own export)
     * back into a tokenizer; ids are checked against the vocabulary, so a round trip proves the export exact.
     */
    public static BpeTokenizer importHuggingFace(String json) {
        try {
            JsonNode root = Json.MAPPER.readTree(json);
            String pattern = root.path("pre_tokenizer").path("pretokenizers").path(0).path("pattern").path("Regex").asText();
            PreSplit split = null;
            for (PreSplit p : PreSplit.values()) if (p.regex().equals(pattern) || p.portableRegex().equals(pattern)) split = p;
            if (split == null) throw new DataException("tokenizer.json uses a pre-split pattern Flywheel does not implement: " + pattern);
            char[] table = byteToUnicode();
            var charToByte = new HashMap<Character, Integer>();
            for (int b = 0; b < 256; b++) charToByte.put(table[b], b);
            JsonNode vocab = root.path("model").path("vocab");
            var idOf = new HashMap<String, Integer>();
            vocab.properties().forEach(e -> idOf.put(e.getKey(), e.getValue().intValue()));
            for (int b = 0; b < 256; b++) {
                Integer id = idOf.get(String.valueOf(table[b]));
                if (id == null || id != b) throw new DataException("tokenizer.json does not give byte " + b + " the id " + b);
            }
            JsonNode mergesNode = root.path("model").path("merges");
            int[][] merges = new int[mergesNode.size()][];
            for (int r = 0; r < merges.length; r++) {
                JsonNode m = mergesNode.get(r);
                String left, right;
                if (m.isArray()) {
                    left = m.get(0).asText();
                    right = m.get(1).asText();
                } else {
                    int space = m.asText().indexOf(' ');
                    left = m.asText().substring(0, space);
                    right = m.asText().substring(space + 1);
                }
                Integer a = idOf.get(left), b = idOf.get(right), z = idOf.get(left + right);
                if (a == null || b == null || z == null || z != 256 + r) {
                    throw new DataException("tokenizer.json merge " + r + " (" + left + " " + right + ") does not map to id " + (256 + r));
                }
                merges[r] = new int[] {a, b};
            }
            var specials = new ArrayList<String>();
            var specialIds = new ArrayList<Integer>();
            root.path("added_tokens").forEach(t -> {
                specials.add(t.path("content").asText());
                specialIds.add(t.path("id").intValue());
            });
            var tokenizer = BpeTokenizer.fromMerges(split, merges, specials);
            for (int i = 0; i < specials.size(); i++) {
                if (tokenizer.specials().get(specials.get(i)).intValue() != specialIds.get(i)) {
                    throw new DataException("tokenizer.json special token " + specials.get(i) + " has an unexpected id");
                }
            }
            return tokenizer;
        } catch (IOException e) {
            throw new DataException("tokenizer.json is not valid JSON: " + e.getMessage(), e);
        }
    }


}
