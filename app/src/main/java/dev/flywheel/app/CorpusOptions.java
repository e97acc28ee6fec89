package dev.flywheel.app;

import dev.flywheel.data.prep.PrepSettings;
import dev.flywheel.data.util.Sizes;
import java.util.List;
import picocli.CommandLine.Option;

/** How a source is read, shared by {@code data prepare} and {@code data audit} so both read the same documents. */
final class CorpusOptions {
    @Option(names = "--data", paramLabel = "SOURCE", description = "FILE, DIR, URL, a zip or JSONL file, tinyshakespeare, tinystories, "
            + "or jdk-src (the default: a sample of this JDK's own source code).")
    String data;

    @Option(names = "--max-bytes", paramLabel = "SIZE", description = "Read at most this much text, e.g. 50MB or 2GB.")
    String maxBytes;

    @Option(names = "--include", split = ",", paramLabel = "GLOB", description = "Only files matching these globs (folders and archives), e.g. '*.java'.")
    List<String> include = List.of();

    @Option(names = "--exclude-glob", split = ",", paramLabel = "GLOB", description = "Leave out files matching these globs, e.g. 'test/**'.")
    List<String> excludeGlobs = List.of();

    @Option(names = "--text-field", defaultValue = "text", paramLabel = "NAME", description = "JSONL field holding the text (default: ${DEFAULT-VALUE}).")
    String textField;

    @Option(names = "--block-bytes", converter = Numbers.PositiveInt.class, paramLabel = "N", description = "Cut a big text file into documents of at least N bytes at blank lines (default: 4096).")
    Integer blockBytes;

    @Option(names = "--jdk-sample", paramLabel = "SIZE", description = "How much of the JDK source archive jdk-src samples (default: 16MB).")
    String jdkSample;

    /** The settings with these options applied. */
    PrepSettings applyTo(PrepSettings s) {
        s = s.withGlobs(include, excludeGlobs).withTextField(textField);
        if (maxBytes != null) s = s.withMaxBytes(Sizes.parse("--max-bytes", maxBytes));
        if (jdkSample != null) s = s.withJdkSourceBytes(Sizes.parse("--jdk-sample", jdkSample));
        if (blockBytes != null) s = s.withCorpus(s.corpus().withBlockBytes(blockBytes));
        return s;
    }
}
