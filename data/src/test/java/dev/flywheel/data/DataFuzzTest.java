package dev.flywheel.data;

import dev.flywheel.data.corpus.Corpus;
import dev.flywheel.data.corpus.CorpusSettings;
import dev.flywheel.data.corpus.SkipLog;
import dev.flywheel.data.corpus.Source;
import dev.flywheel.data.prep.DataPrep;
import dev.flywheel.data.prep.PrepSettings;
import dev.flywheel.data.prep.PreparedData;
import dev.flywheel.data.shard.Shard;
import dev.flywheel.data.shard.ShardFormat;
import dev.flywheel.data.shard.ShardWriter;
import dev.flywheel.data.tokenizer.Tokenizer;
import dev.flywheel.engine.Fuzz;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The data layer's parsers fuzzed (issue 22): shards, a prepared directory's meta.json, the tokenizer file and JSONL
 * corpora. Each either reads or refuses with a {@link DataException} carrying a message.
 */
class DataFuzzTest {

    @TempDir
    static Path dir;
    static Path prepared;
    static byte[] narrowShard, wideShard, meta, tokenizer;

    static final String JSONL = """
            {"text": "first document", "id": 1, "meta": {"source": "web", "tags": ["a", "b"]}}
            {"text": "second\\nline \\u00e9\\ud83d\\ude00", "score": 0.5}
            {"body": "no text field"}
            """;

    @BeforeAll
    static void seeds() throws Exception {
        var random = new Random(1);
        int[] tokens = new int[300];
        for (int i = 0; i < tokens.length; i++) tokens[i] = random.nextInt(70_000);
        var docs = List.of(new ShardFormat.DocumentEntry("a.txt", 0, 0), new ShardFormat.DocumentEntry("b.txt:2@7", 120, 1));
        var hash = "ab".repeat(32);
        ShardWriter.write(dir.resolve("wide.bin"), 70_000, hash, Split.TRAIN, 0, docs, tokens);
        for (int i = 0; i < tokens.length; i++) tokens[i] %= 300;
        ShardWriter.write(dir.resolve("narrow.bin"), 300, hash, Split.VAL, 1, docs, tokens);
        wideShard = Files.readAllBytes(dir.resolve("wide.bin"));
        narrowShard = Files.readAllBytes(dir.resolve("narrow.bin"));

        var text = dir.resolve("corpus.txt");
        Files.writeString(text, ("To be, or not to be, that is the question.\n\n").repeat(200));
        prepared = dir.resolve("prepared");
        DataPrep.prepare(text.toString(), PrepSettings.defaults().withDownloadDir(dir.resolve("downloads"))
                .withTokenizer(Tokenizer.Kind.CHAR).withSplit(PrepSettings.SplitMode.CONTIGUOUS, 0.2, 0.1), prepared,
                Progress.none());
        meta = Files.readAllBytes(prepared.resolve(DataPrep.META));
        tokenizer = Files.readAllBytes(prepared.resolve(DataPrep.TOKENIZER));
        PreparedData.open(prepared); // the seeds themselves open
    }

    /** The shard's checksum and end marker made right again, so that a mutant reaches the checks behind them. */
    static byte[] resealed(byte[] b) {
        if (b.length < ShardFormat.FIXED_HEADER + ShardFormat.TRAILER) return b;
        var crc = new CRC32C();
        crc.update(b, 0, b.length - ShardFormat.TRAILER);
        var out = b.clone();
        ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putInt(out.length - ShardFormat.TRAILER, (int) crc.getValue());
        System.arraycopy(ShardFormat.END, 0, out, out.length - 4, 4);
        return out;
    }

    /** Header fields of a shard (offset, width): header length, vocab, token width, token count, documents. */
    static final int[][] HEADER_FIELDS = {{12, 4}, {16, 4}, {20, 4}, {24, 8}, {32, 8}, {72, 4}};
    static final long[] HOSTILE_NUMBERS = {0, 1, -1, 2, 3, 4, 65535, 65536, Integer.MAX_VALUE, 1L << 31, 1L << 32,
            1L << 61, 1L << 62, (1L << 62) + 1, Long.MAX_VALUE, Long.MIN_VALUE};

    /** A valid shard with one header field set to a hostile number. */
    static byte[] withHeaderField(byte[] shard, Random random) {
        var field = HEADER_FIELDS[random.nextInt(HEADER_FIELDS.length)];
        long v = HOSTILE_NUMBERS[random.nextInt(HOSTILE_NUMBERS.length)];
        var out = shard.clone();
        for (int i = 0; i < field[1]; i++) out[field[0] + i] = (byte) (v >>> (8 * i));
        return out;
    }

    /** Token counts whose byte length wraps round to the real one: 2^64 + 600 bytes of 2-byte ids, 2^64 + 1200 of 4. */
    static Stream<byte[]> wrappingCounts() {
        return Stream.of(withCount(narrowShard, (1L << 63) + 300), withCount(wideShard, (1L << 62) + 300)).map(DataFuzzTest::resealed);
    }

    static byte[] withCount(byte[] shard, long count) {
        var out = shard.clone();
        ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putLong(24, count);
        return out;
    }

    static Stream<byte[]> shardInputs(long seed, int n) {
        var random = new Random(seed);
        if (n <= 2) return wrappingCounts().limit(n);
        var fields = Stream.generate(() -> withHeaderField(random.nextBoolean() ? narrowShard : wideShard, random));
        return Stream.concat(wrappingCounts(), Stream.concat(Fuzz.bytes(List.of(narrowShard, wideShard), seed, n - 2 - n / 3),
                fields.limit(n / 3)).map(b -> random.nextInt(4) == 0 ? b : resealed(b)));
    }

    static Fuzz.Target shard() {
        var file = dir.resolve("fuzzed.bin");
        return input -> {
            Files.write(file, input);
            var s = Shard.open(file);
            var all = new int[(int) Math.min(s.tokenCount(), 1 << 20)];
            s.read(0, all, 0, all.length);
            for (int k = 0; k < s.documentCount(); k++) s.document(k);
            if (s.tokenCount() > 0) s.documentAt(s.tokenCount() - 1);
        };
    }

    /** A copy of the prepared directory whose {@code file} is each input. */
    static Fuzz.Target preparedWith(String file) {
        var copy = dir.resolve("prepared-" + file);
        return input -> {
            if (!Files.isDirectory(copy)) {
                Files.createDirectories(copy);
                try (var files = Files.list(prepared)) {
                    for (var f : files.toList()) Files.copy(f, copy.resolve(f.getFileName()));
                }
            }
            Files.write(copy.resolve(file), input);
            var data = PreparedData.open(copy);
            data.tokenizer().decode(data.tokenizer().encode("to be"));
        };
    }

    static Fuzz.Target jsonl() {
        var file = dir.resolve("fuzzed.jsonl");
        var settings = CorpusSettings.defaults(dir.resolve("downloads"));
        return input -> {
            Files.write(file, input);
            new Corpus(Source.resolve(file.toString(), settings, Progress.none()), settings).read(d -> true, new SkipLog());
        };
    }

    static final Map<String, Function<Integer, Stream<byte[]>>> INPUTS = Map.of(
            "shard", n -> shardInputs(22, n),
            "meta-json", n -> Fuzz.json(List.of(new String(meta, StandardCharsets.UTF_8)), 22, n),
            "tokenizer-json", n -> Fuzz.json(List.of(new String(tokenizer, StandardCharsets.UTF_8)), 22, n),
            "jsonl", n -> Stream.concat(Fuzz.bytes(List.of(JSONL.getBytes(StandardCharsets.UTF_8)), 22, n / 2),
                    JSONL.lines().map(l -> Fuzz.mutateJson(l, new Random(l.hashCode())))
                            .map(l -> (l + "\n" + JSONL).getBytes(StandardCharsets.UTF_8))
                            .flatMap(b -> Fuzz.bytes(List.of(b), 23, n / 6))));

    static Fuzz.Target target(String parser) {
        return switch (parser) {
            case "shard" -> shard();
            case "meta-json" -> preparedWith(DataPrep.META);
            case "tokenizer-json" -> preparedWith(DataPrep.TOKENIZER);
            case "jsonl" -> jsonl();
            default -> throw new IllegalArgumentException(parser);
        };
    }

    @Test
    void shardReaderRefusesEveryMutantCleanly() {
        check("shard", 400);
    }

    @Test
    void metaJsonRefusesEveryMutantCleanly() {
        check("meta-json", 250);
    }

    @Test
    void tokenizerFileRefusesEveryMutantCleanly() {
        check("tokenizer-json", 250);
    }

    @Test
    void jsonlCorpusReadsOrRefusesEveryMutantCleanly() {
        check("jsonl", 300);
    }

    @Test
    void keptInputsStillRefusedCleanly() {
        for (var parser : INPUTS.keySet()) {
            var corpus = Fuzz.corpus(parser);
            var report = Fuzz.run(parser + "-corpus", corpus.stream(), DataException.class, target(parser));
            assertThat(report.findings()).as(parser).isEmpty();
            assertThat(report.inputs()).isEqualTo(corpus.size()).isPositive();
        }
    }

    static void check(String parser, int tries) {
        var report = Fuzz.run(parser, INPUTS.get(parser).apply(Fuzz.tries(tries)), DataException.class, target(parser));
        assertThat(report.findings()).isEmpty();
        // the mutants reach the reader's checks (a JSONL corpus skips bad lines instead of refusing the file)
        assertThat(parser.equals("jsonl") ? report.accepted() : report.refused()).isGreaterThan(report.inputs() / 4);
    }
}
