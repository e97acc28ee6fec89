package dev.flywheel.lab.journal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Repairs of append-only files after a kill in mid-write: whatever follows the last complete record goes. */
final class Torn {

    private Torn() {
    }

    /** Cuts the file just after the last occurrence of {@code end}; returns whether anything was cut. */
    static boolean truncateAfterLast(Path file, String end) throws IOException {
        var text = Files.readString(file, StandardCharsets.UTF_8);
        int at = text.lastIndexOf(end);
        return truncate(file, text, at < 0 ? 0 : at + end.length());
    }

    /** Cuts the file just after the last match of {@code end} and the newlines that follow it. */
    static boolean truncateAfterLast(Path file, java.util.regex.Pattern end) throws IOException {
        var text = Files.readString(file, StandardCharsets.UTF_8);
        var m = end.matcher(text);
        int keep = 0;
        while (m.find()) keep = m.end();
        while (keep > 0 && keep < text.length() && text.charAt(keep) == '\n') keep++;
        return truncate(file, text, keep);
    }

    private static boolean truncate(Path file, String text, int keep) throws IOException {
        if (keep == text.length()) return false;
        long bytes = text.substring(0, keep).getBytes(StandardCharsets.UTF_8).length;
        try (var channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.truncate(bytes);
            channel.force(true);
        }
        return true;
    }
}
