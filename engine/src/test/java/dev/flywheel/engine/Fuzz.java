package dev.flywheel.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Mutation fuzzing of a parser, shared by every module's fuzz test (this class ships in the engine's test-jar).
 *
 * <p>A parser is fed mutants of valid inputs — truncated, bytes flipped, ranges deleted or repeated, numbers made
 * huge or negative, values of the wrong type, keys dropped, nesting made deep — and must either succeed or refuse
 * with its module's own exception carrying a message. Anything else (a NullPointerException, a ClassCastException,
 * an index out of bounds, an OutOfMemoryError from a size the input declared, a stack overflow) is a finding:
 * the input is written to {@code target/fuzz-findings/PARSER/} and the test fails naming each one. Inputs worth
 * keeping are copied by hand into {@code src/test/resources/fuzz/PARSER/}, which {@link #corpus} replays.
 *
 * <p>Seeded: the same seed makes the same inputs. {@code -Dfuzz.tries=N} sets how many per parser (the suite's
 * default is small; {@code tools/fuzz.sh} runs many more).
 */
public final class Fuzz {

    /** What a parser does with one input: return normally, or throw. */
    @FunctionalInterface
    public interface Target {
        void accept(byte[] input) throws Exception;
    }

    /** The tries per parser: {@code -Dfuzz.tries}, else {@code fallback}. */
    public static int tries(int fallback) {
        return Integer.getInteger("fuzz.tries", fallback);
    }

    /** The tally of one parser's run, for the report. */
    public record Report(String parser, int inputs, int accepted, int refused, List<String> findings) {
        @Override
        public String toString() {
            return String.format("%s: %d inputs, %d accepted, %d refused cleanly, %d findings%s", parser, inputs, accepted,
                    refused, findings.size(), findings.isEmpty() ? "" : "\n  " + String.join("\n  ", findings));
        }
    }

    private Fuzz() {
    }

    /**
     * Feeds every input to the target; a throwable that is not {@code clean} (or has a blank message) is a finding.
     * Returns the report; the caller asserts it has no findings (so the message lists them all).
     */
    public static Report run(String parser, Stream<byte[]> inputs, Class<? extends Exception> clean, Target target) {
        int n = 0, accepted = 0, refused = 0;
        var findings = new ArrayList<String>();
        var distinct = new LinkedHashMap<String, Boolean>();
        for (var it = inputs.iterator(); it.hasNext(); ) {
            var input = it.next();
            n++;
            try {
                target.accept(input);
                accepted++;
            } catch (Throwable t) {
                if (clean.isInstance(t) && t.getMessage() != null && !t.getMessage().isBlank()) refused++;
                else {
                    var where = t.getStackTrace().length == 0 ? "" : " at " + t.getStackTrace()[0];
                    var kind = t.getClass().getName() + where;
                    if (distinct.putIfAbsent(kind, true) == null)
                        findings.add(kind + ": " + t.getMessage() + " (input " + save(parser, input) + ")");
                    if (t instanceof VirtualMachineError && !(t instanceof OutOfMemoryError || t instanceof StackOverflowError))
                        throw (Error) t;
                }
            }
        }
        var report = new Report(parser, n, accepted, refused, List.copyOf(findings));
        System.out.println("fuzz " + report);
        return report;
    }

    /** The kept inputs of a parser ({@code src/test/resources/fuzz/PARSER/}), sorted by name. */
    public static List<byte[]> corpus(String parser) {
        var dir = Path.of("src/test/resources/fuzz", parser);
        if (!Files.isDirectory(dir)) throw new IllegalStateException("no corpus at " + dir.toAbsolutePath());
        try (var files = Files.list(dir)) {
            return files.sorted().map(f -> {
                try {
                    return Files.readAllBytes(f);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String save(String parser, byte[] input) {
        try {
            var dir = Path.of("target/fuzz-findings", parser);
            Files.createDirectories(dir);
            var name = HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(input), 0, 8);
            var file = dir.resolve(name);
            Files.write(file, input);
            return file.toString();
        } catch (Exception e) {
            return "(not saved: " + e + ")";
        }
    }

    // ---- mutants ------------------------------------------------------------------------------------------------

    /** Values that break parsers that trust their input, as JSON text. */
    static final List<String> HOSTILE_VALUES = List.of("null", "true", "false", "0", "-1", "-0", "1.5", "-2147483649",
            "2147483648", "9223372036854775807", "-9223372036854775808", "99999999999999999999999", "1e309", "-1e309",
            "4.9e-324", "1e-400", "NaN", "\"NaN\"", "\"Infinity\"", "\"\"", "\"x\"", "\"-1\"", "\"\\u0000\"",
            "\"\\ud800\"", "[]", "{}", "[null]", "{\"\":null}", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]");

    /** {@code n} mutants of the seeds as bytes: truncations, flips, deletions, repeats, splices, hostile numbers. */
    public static Stream<byte[]> bytes(List<byte[]> seeds, long seed, int n) {
        var random = new Random(seed);
        return Stream.generate(() -> mutateBytes(seeds, random)).limit(n);
    }

    /**
     * {@code n} mutants of JSON seeds: half structural (a value anywhere replaced by a hostile one, a key dropped, a
     * key duplicated with another type, nesting made thousands deep, a string made huge), half on the bytes.
     */
    public static Stream<byte[]> json(List<String> seeds, long seed, int n) {
        var random = new Random(seed);
        var raw = seeds.stream().map(s -> s.getBytes(StandardCharsets.UTF_8)).toList();
        return Stream.generate(() -> random.nextBoolean()
                ? mutateJson(seeds.get(random.nextInt(seeds.size())), random).getBytes(StandardCharsets.UTF_8)
                : mutateBytes(raw, random)).limit(n);
    }

    /** One structural mutant of a JSON document (returned unchanged when it does not parse). */
    public static String mutateJson(String json, Random random) {
        Object tree;
        try {
            tree = Json.parse(json);
        } catch (IllegalArgumentException e) {
            return json;
        }
        int rounds = 1 + random.nextInt(3);
        var placeholders = new LinkedHashMap<String, String>();
        for (int r = 0; r < rounds; r++) tree = mutateNode(tree, random, placeholders, 0);
        var text = random.nextBoolean() ? Json.write(tree) : Json.pretty(tree);
        for (var p : placeholders.entrySet()) text = text.replace("\"" + p.getKey() + "\"", p.getValue());
        return text;
    }

    @SuppressWarnings("unchecked")
    private static Object mutateNode(Object node, Random random, Map<String, String> raw, int depth) {
        if (node instanceof Map<?, ?> m && !m.isEmpty() && random.nextInt(4) != 0) {
            var map = new LinkedHashMap<>((Map<String, Object>) m);
            var keys = new ArrayList<>(map.keySet());
            var key = keys.get(random.nextInt(keys.size()));
            switch (random.nextInt(6)) {
                case 0 -> map.remove(key);
                case 1 -> map.put(key + (random.nextBoolean() ? "_" : ""), hostile(random, raw));
                default -> map.put(key, mutateNode(map.get(key), random, raw, depth + 1));
            }
            return map;
        }
        if (node instanceof List<?> l && !l.isEmpty() && random.nextInt(4) != 0) {
            var list = new ArrayList<Object>(l);
            int i = random.nextInt(list.size());
            switch (random.nextInt(5)) {
                case 0 -> list.remove(i);
                case 1 -> list.add(i, list.get(i));
                default -> list.set(i, mutateNode(list.get(i), random, raw, depth + 1));
            }
            return list;
        }
        return hostile(random, raw);
    }

    private static Object hostile(Random random, Map<String, String> raw) {
        var key = "@@fuzz-placeholder-" + raw.size() + "@@";
        raw.put(key, switch (random.nextInt(10)) {
            case 0 -> "[".repeat(5_000 + random.nextInt(50_000)) + "]".repeat(random.nextInt(3) == 0 ? 0 : 60_000);
            case 1 -> "\"" + "x".repeat(random.nextInt(2_000_000)) + "\"";
            case 2 -> "{\"a\":".repeat(3_000) + "1" + "}".repeat(3_000);
            default -> HOSTILE_VALUES.get(random.nextInt(HOSTILE_VALUES.size()));
        });
        return key;
    }

    private static byte[] mutateBytes(List<byte[]> seeds, Random random) {
        var b = seeds.get(random.nextInt(seeds.size())).clone();
        int rounds = 1 + random.nextInt(4);
        for (int r = 0; r < rounds; r++) b = mutateOnce(b, seeds, random);
        return b;
    }

    private static byte[] mutateOnce(byte[] b, List<byte[]> seeds, Random random) {
        if (b.length == 0) return new byte[]{(byte) random.nextInt(256)};
        int at = random.nextInt(b.length);
        switch (random.nextInt(9)) {
            case 0: // truncate
                return java.util.Arrays.copyOf(b, at);
            case 1: { // flip a bit
                b[at] ^= (byte) (1 << random.nextInt(8));
                return b;
            }
            case 2: { // an interesting byte
                byte[] interesting = {0, -1, 0x7F, (byte) 0x80, '"', '{', '[', ',', ':', '\\', '\n', '-', '9'};
                b[at] = interesting[random.nextInt(interesting.length)];
                return b;
            }
            case 3: { // an interesting 4- or 8-byte integer, little-endian (sizes and counts in binary headers)
                long[] values = {0, -1, 1, Integer.MAX_VALUE, Integer.MIN_VALUE, 1L << 31, 1L << 32, Long.MAX_VALUE,
                        Long.MIN_VALUE, 1L << 40, 65535, 65536};
                long v = values[random.nextInt(values.length)];
                int width = random.nextBoolean() ? 4 : 8;
                for (int i = 0; i < width && at + i < b.length; i++) b[at + i] = (byte) (v >>> (8 * i));
                return b;
            }
            case 4: { // delete a range
                int len = 1 + random.nextInt(Math.max(1, Math.min(64, b.length - at)));
                var out = new byte[b.length - Math.min(len, b.length - at)];
                System.arraycopy(b, 0, out, 0, at);
                System.arraycopy(b, at + (b.length - out.length), out, at, out.length - at);
                return out;
            }
            case 5: { // repeat a range
                int len = 1 + random.nextInt(Math.max(1, Math.min(256, b.length - at)));
                len = Math.min(len, b.length - at);
                var out = new byte[b.length + len];
                System.arraycopy(b, 0, out, 0, at + len);
                System.arraycopy(b, at, out, at + len, b.length - at);
                return out;
            }
            case 6: { // splice another seed's tail
                var other = seeds.get(random.nextInt(seeds.size()));
                int from = other.length == 0 ? 0 : random.nextInt(other.length);
                var out = new byte[at + other.length - from];
                System.arraycopy(b, 0, out, 0, at);
                System.arraycopy(other, from, out, at, other.length - from);
                return out;
            }
            case 7: { // a hostile JSON value inserted
                var v = HOSTILE_VALUES.get(random.nextInt(HOSTILE_VALUES.size())).getBytes(StandardCharsets.UTF_8);
                var out = new byte[b.length + v.length];
                System.arraycopy(b, 0, out, 0, at);
                System.arraycopy(v, 0, out, at, v.length);
                System.arraycopy(b, at, out, at + v.length, b.length - at);
                return out;
            }
            default: { // random bytes over a range
                int len = 1 + random.nextInt(Math.min(16, b.length - at));
                for (int i = 0; i < len; i++) b[at + i] = (byte) random.nextInt(256);
                return b;
            }
        }
    }
}
