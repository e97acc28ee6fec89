package dev.flywheel.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The conversation as it happened, one JSON object a line in the study's {@value #FILE}: each reply (its words,
 * tool calls and usage), each tool result, each fault and retry, each restart with the memory it began from. It
 * holds what the model said and what the lab answered — never a request header, so never a key. Best effort: a
 * transcript that cannot be written does not stop the study.
 */
final class Transcript {

    static final String FILE = "llm-transcript.jsonl";

    private final Path file;

    Transcript(Path studyDir) {
        this.file = studyDir.resolve(FILE);
    }

    void write(String kind, Object... kv) {
        var m = new LinkedHashMap<String, Object>();
        m.put("time", Instant.now().toString());
        m.put("kind", kind);
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        write(m);
    }

    private synchronized void write(Map<String, Object> m) {
        try {
            Files.writeString(file, LabTools.write(m) + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException | RuntimeException e) {
            // the journal and the usage file are the record that matters
        }
    }
}
