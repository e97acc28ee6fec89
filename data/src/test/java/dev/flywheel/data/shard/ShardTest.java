package dev.flywheel.data.shard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flywheel.data.DataException;
import dev.flywheel.data.Split;
import dev.flywheel.data.util.Hashing;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShardTest {

    @TempDir
    Path dir;

    static final String HASH = Hashing.sha256Hex("tokenizer");
    static final List<ShardFormat.DocumentEntry> DOCS = List.of(
            new ShardFormat.DocumentEntry("a.txt:1", 0, ShardFormat.CONTINUED),
            new ShardFormat.DocumentEntry("b.txt", 3, 0),
            new ShardFormat.DocumentEntry("c/ü.txt:40@12", 7, 0));

    static int[] tokens(int n, int vocab, long seed) {
        var r = new Random(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = r.nextInt(vocab);
        return t;
    }

    Path write(String name, int vocab, int[] tokens) {
        Path f = dir.resolve(name);
        ShardWriter.write(f, vocab, HASH, Split.VAL, 3, DOCS, tokens);
        return f;
    }

    @Test
    void roundTripsSixteenAndThirtyTwoBitIds() {
        for (int vocab : new int[] {65, 65536, 100_277}) {
            int[] t = tokens(100_003, vocab, vocab);
            Shard s = Shard.open(write("s" + vocab + ".bin", vocab, t));
            assertThat(s.tokenWidth()).isEqualTo(vocab <= 65536 ? 2 : 4);
            assertThat(s.tokenCount()).isEqualTo(t.length);
            assertThat(s.vocabSize()).isEqualTo(vocab);
            assertThat(s.tokenizerHash()).isEqualTo(HASH);
            assertThat(s.split()).isEqualTo(Split.VAL);
            assertThat(s.index()).isEqualTo(3);
            int[] back = new int[t.length];
            s.read(0, back, 0, t.length);
            assertThat(back).isEqualTo(t);
            assertThat(s.token(12345)).isEqualTo(t[12345]);
            assertThat(s.documentCount()).isEqualTo(3);
            assertThat(s.document(2)).isEqualTo(DOCS.get(2));
            assertThat(s.document(0).continued()).isTrue();
        }
    }

    @Test
    void findsTheDocumentOfEveryToken() {
        Shard s = Shard.open(write("d.bin", 300, tokens(10, 300, 1)));
        assertThat(s.documentAt(0)).isZero();
        assertThat(s.documentAt(2)).isZero();
        assertThat(s.documentAt(3)).isEqualTo(1);
        assertThat(s.documentAt(6)).isEqualTo(1);
        assertThat(s.documentAt(9)).isEqualTo(2);
        assertThat(s.documentEnd(1)).isEqualTo(7);
        assertThat(s.documentEnd(2)).isEqualTo(10);
    }

    @Test
    void refusesTruncatedCorruptAndForeignFiles() throws Exception {
        Path good = write("good.bin", 1000, tokens(5000, 1000, 2));
        long size = Files.size(good);

        Path truncated = Files.copy(good, dir.resolve("truncated.bin"));
        try (var f = new RandomAccessFile(truncated.toFile(), "rw")) {
            f.setLength(size - 100);
        }
        assertThatThrownBy(() -> Shard.open(truncated)).isInstanceOf(DataException.class)
                .hasMessageContaining("truncated.bin is corrupt").hasMessageContaining("truncated").hasMessageContaining("prepare the data again");

        Path flipped = Files.copy(good, dir.resolve("flipped.bin"));
        try (var f = new RandomAccessFile(flipped.toFile(), "rw")) {
            f.seek(size / 2);
            int b = f.read();
            f.seek(size / 2);
            f.write(b ^ 0x10);
        }
        assertThatThrownBy(() -> Shard.open(flipped)).isInstanceOf(DataException.class).hasMessageContaining("checksum mismatch");

        Path foreign = Files.writeString(dir.resolve("foreign.bin"), "x".repeat(200));
        assertThatThrownBy(() -> Shard.open(foreign)).isInstanceOf(DataException.class).hasMessageContaining("not a Flywheel shard");

        Path empty = Files.write(dir.resolve("empty.bin"), new byte[0]);
        assertThatThrownBy(() -> Shard.open(empty)).isInstanceOf(DataException.class).hasMessageContaining("empty");

        assertThatThrownBy(() -> Shard.open(dir.resolve("missing.bin"))).isInstanceOf(DataException.class).hasMessageContaining("missing");
    }

    @Test
    void anEmptyShardIsValid() {
        Path f = dir.resolve("none.bin");
        ShardWriter.write(f, 257, HASH, Split.TEST, 0, List.of(), new int[0]);
        Shard s = Shard.open(f);
        assertThat(s.tokenCount()).isZero();
        assertThat(s.documentCount()).isZero();
    }

    @Test
    void leavesNoTemporaryFilesBehind() throws Exception {
        write("clean.bin", 500, tokens(100, 500, 3));
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).toList()).containsExactly("clean.bin");
        }
    }
}
