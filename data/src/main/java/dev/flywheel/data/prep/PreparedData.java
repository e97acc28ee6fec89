package dev.flywheel.data.prep;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flywheel.data.DataException;
import dev.flywheel.data.Json;
import dev.flywheel.data.Split;
import dev.flywheel.data.loader.TokenLoader;
import dev.flywheel.data.shard.Shard;
import dev.flywheel.data.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * A prepared data directory, opened and checked: meta.json, the tokenizer, and every shard (each verified
 * against its checksum, its tokenizer hash and vocabulary size). What the trainer and the lab hold on to.
 */
public final class PreparedData {
    private final Path directory;
    private final JsonNode meta;
    private final Tokenizer tokenizer;
    private final PrepSummary summary;
    private final Map<Split, List<Shard>> shards;

    private PreparedData(Path directory, JsonNode meta, Tokenizer tokenizer, PrepSummary summary, Map<Split, List<Shard>> shards) {
        this.directory = directory;
        this.meta = meta;
        this.tokenizer = tokenizer;
        this.summary = summary;
        this.shards = shards;
    }

    /** True when {@code dir} holds a finished preparation (it has meta.json; partial ones never do). */
    public static boolean isPrepared(Path dir) {
        return Files.isRegularFile(dir.resolve(DataPrep.META));
    }

    public static PreparedData open(Path dir) {
        Path metaFile = dir.resolve(DataPrep.META);
        JsonNode meta;
        try {
            meta = Json.MAPPER.readTree(Files.readString(metaFile));
        } catch (NoSuchFileException e) {
            throw new DataException(dir + " is not a prepared data directory (it has no meta.json);"
                    + " make one with `flywheel data prepare --data SOURCE --out " + dir + "`");
        } catch (IOException e) {
            throw new DataException(metaFile + " is damaged (" + e.getMessage() + "); prepare the data again", e);
        }
        if (!DataPrep.FORMAT.equals(meta.path("format").asText()) || meta.path("version").asInt() != DataPrep.VERSION) {
            throw new DataException(dir + " was prepared by another version of Flywheel (format " + meta.path("format").asText() + " version "
                    + meta.path("version").asText() + "); prepare the data again");
        }
        Tokenizer tokenizer = Tokenizer.load(member(dir, metaFile, meta.path("tokenizer_file").asText(DataPrep.TOKENIZER)));
        PrepSummary summary;
        try {
            summary = Json.MAPPER.treeToValue(meta.get("summary"), PrepSummary.class);
        } catch (IOException | IllegalArgumentException e) {
            throw new DataException(metaFile + " has a damaged summary (" + e.getMessage() + "); prepare the data again", e);
        }
        if (summary == null) throw new DataException(metaFile + " has no summary; prepare the data again");
        if (!tokenizer.hash().equals(summary.tokenizerHash())) {
            throw new DataException("the tokenizer in " + dir + " is not the one the shards were made with; prepare the data again");
        }
        var shards = new EnumMap<Split, List<Shard>>(Split.class);
        for (Split split : Split.values()) {
            var list = new ArrayList<Shard>();
            for (JsonNode name : meta.path("shards").path(split.label())) {
                Shard shard = Shard.open(member(dir, metaFile, name.asText()));
                if (!shard.tokenizerHash().equals(tokenizer.hash()) || shard.vocabSize() != tokenizer.vocabSize() || shard.split() != split) {
                    throw new DataException("shard " + shard.file() + " does not belong to this data directory (other tokenizer or split); prepare the data again");
                }
                list.add(shard);
            }
            shards.put(split, List.copyOf(list));
        }
        return new PreparedData(dir, meta, tokenizer, summary, shards);
    }

    /**
     * A file meta.json names, which must be a plain file name inside the directory: a damaged or hand-edited
     * meta.json must not make the lab read {@code ../../elsewhere} or fail on a name no file system accepts.
     */
    private static Path member(Path dir, Path metaFile, String name) {
        if (name.isEmpty() || name.equals(".") || name.equals("..") || name.indexOf('/') >= 0 || name.indexOf('\\') >= 0
                || name.indexOf('\0') >= 0)
            throw new DataException(metaFile + " names the file '" + name.replaceAll("\\p{Cntrl}", "?")
                    + "', which is not a file of this directory; prepare the data again");
        try {
            return dir.resolve(name);
        } catch (java.nio.file.InvalidPathException e) {
            throw new DataException(metaFile + " names a file this system cannot open (" + e.getReason()
                    + "); prepare the data again");
        }
    }

    public Path directory() {
        return directory;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public PrepSummary summary() {
        return summary;
    }

    /** The cache key this directory was prepared under. */
    public String cacheKey() {
        return meta.path("cache_key").asText();
    }

    public List<Shard> shards(Split split) {
        return shards.get(split);
    }

    public long tokens(Split split) {
        return shards.get(split).stream().mapToLong(Shard::tokenCount).sum();
    }

    /** A deterministic, seekable batch source over one split. */
    public TokenLoader loader(Split split, long seed) {
        return new TokenLoader(split, shards.get(split), tokenizer, seed);
    }
}
