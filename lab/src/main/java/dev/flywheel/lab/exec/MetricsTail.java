package dev.flywheel.lab.exec;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a file of JSON lines while another process appends to it: each call returns the lines completed since the
 * last, numbered from 1; a line still being written (no newline yet) waits for the next call, or for {@link #rest}.
 */
final class MetricsTail {

    /** A complete line and its number in the file. */
    record Line(int number, String text) {}

    private final Path file;
    private long offset;
    private int number;
    private final java.io.ByteArrayOutputStream partial = new java.io.ByteArrayOutputStream();

    MetricsTail(Path file) {
        this.file = file;
    }

    /** The lines completed since the last call. */
    List<Line> poll() {
        var out = new ArrayList<Line>();
        if (!Files.isRegularFile(file)) return out;
        try (var f = new RandomAccessFile(file.toFile(), "r")) {
            long length = f.length();
            if (length < offset) { // truncated or replaced: read it again from the start
                offset = 0;
                partial.reset();
            }
            f.seek(offset);
            var buffer = new byte[64 * 1024];
            int n;
            while (offset < length && (n = f.read(buffer, 0, (int) Math.min(buffer.length, length - offset))) > 0) {
                offset += n;
                for (int i = 0; i < n; i++) {
                    if (buffer[i] == '\n') {
                        var text = partial.toString(StandardCharsets.UTF_8).strip();
                        partial.reset();
                        number++;
                        if (!text.isEmpty()) out.add(new Line(number, text));
                    } else {
                        partial.write(buffer[i]);
                    }
                }
            }
        } catch (IOException e) {
            // read again at the next poll
        }
        return out;
    }

    /** The lines completed since the last call and a last line without its newline (the writer is done). */
    List<Line> rest() {
        var out = poll();
        var text = partial.toString(StandardCharsets.UTF_8).strip();
        partial.reset();
        if (!text.isEmpty()) out.add(new Line(++number, text));
        return out;
    }
}
