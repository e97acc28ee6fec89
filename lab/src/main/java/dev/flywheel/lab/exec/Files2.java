package dev.flywheel.lab.exec;

import dev.flywheel.engine.AtomicFiles;
import dev.flywheel.lab.LabException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Small file helpers of the lab: writes a reader never sees half of, with the lab's error and pause point. */
public final class Files2 {

    private Files2() {
    }

    /** Writes {@code text} to a temporary sibling, forces it to disk and renames it over {@code file}. */
    public static void writeAtomically(Path file, String text) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            AtomicFiles.write(file, out -> {
                out.write(bytes);
                // a test kills the process here: the temporary is written, the file not yet replaced
                dev.flywheel.lab.Pause.at("write " + file.getFileName());
            });
        } catch (IOException e) {
            throw new LabException(file + " cannot be written (" + e.getMessage() + "); check free space and permissions");
        }
    }

    /** The last {@code lines} lines of a text file, or "" if it cannot be read. */
    public static String tail(Path file, int lines) {
        try {
            if (!Files.isRegularFile(file)) return "";
            long size = Files.size(file);
            int want = (int) Math.min(size, 64 * 1024);
            byte[] bytes = new byte[want];
            try (var ch = FileChannel.open(file, StandardOpenOption.READ)) {
                ch.position(size - want);
                var buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining() && ch.read(buffer) > 0) { }
            }
            var all = new String(bytes, StandardCharsets.UTF_8).strip().lines().toList();
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "";
        }
    }
}
