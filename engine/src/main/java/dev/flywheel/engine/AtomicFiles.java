package dev.flywheel.engine;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Files a reader never sees half of: every write goes to a temporary sibling (same directory, so the same file
 * system), is forced to disk and is then renamed over the target. A process killed mid-write leaves a
 * {@code NAME.tmp-*} file nobody reads instead of a truncated file that looks finished. This is the one copy of
 * that dance for every layer (the engine's checkpoints, the data pipeline's shards, the lab's run files).
 */
public final class AtomicFiles {

    private AtomicFiles() {
    }

    /** Writes the content of one file to {@code out}; the stream is buffered and closed by the caller. */
    @FunctionalInterface
    public interface Writer {
        void write(OutputStream out) throws IOException;
    }

    /** A fresh name beside {@code target}: unique, so two writers of one file never share a temporary. */
    public static Path temporarySibling(Path target) {
        return target.resolveSibling(target.getFileName() + ".tmp-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
    }

    /** Writes {@code target} through {@code writer}, atomically; the temporary is removed if anything fails. */
    public static void write(Path target, Writer writer) throws IOException {
        Path tmp = temporarySibling(target);
        try {
            try (var channel = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                var out = new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16);
                writer.write(out);
                out.flush();
                // without this a power cut after the rename can leave an empty file under the real name
                channel.force(true);
            }
            moveIntoPlace(tmp, target);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Writes {@code text} as UTF-8 to {@code target}, atomically. */
    public static void writeString(Path target, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        write(target, out -> out.write(bytes));
    }

    /**
     * Renames a finished file over {@code target}: atomically where the file system allows it (every local one we
     * target does), else as a plain replacing move rather than failing.
     */
    public static void moveIntoPlace(Path tmp, Path target) throws IOException {
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Deletes a file or a directory tree, deepest first; does nothing when it does not exist. */
    public static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        try (var paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
