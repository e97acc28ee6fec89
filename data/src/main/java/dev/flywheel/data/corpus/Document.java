package dev.flywheel.data.corpus;

import java.nio.charset.StandardCharsets;

/**
 * One unit of text with a stable id. The id names where the text came from — {@code source/path} for a file in
 * a folder or archive, {@code source:line} for a JSONL line or a block of a big text file, with {@code @offset}
 * appended for a piece cut from an oversized document — so it stays the same when other documents are added, and
 * a quarantine list or a spike report can name it. The text is valid UTF-8 (repaired on reading if need be).
 * {@code sourceId} is the JSONL line's own {@code "id"} field when it has one (null otherwise): what cleaning's
 * removed.jsonl names the document by.
 */
public record Document(String id, byte[] utf8, String sourceId) {

    public Document(String id, byte[] utf8) {
        this(id, utf8, null);
    }

    public String text() {
        return new String(utf8, StandardCharsets.UTF_8);
    }

    public int bytes() {
        return utf8.length;
    }
}
