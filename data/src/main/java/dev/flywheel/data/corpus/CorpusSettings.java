package dev.flywheel.data.corpus;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * How a corpus is read.
 *
 * @param include          globs a file in a folder or archive must match (relative path, '/' separators); empty = all
 * @param exclude          globs that drop a file (hidden files and folders are always dropped)
 * @param textField        the JSONL field that holds the text
 * @param blockBytes       a text file given as the source is cut into documents of at least this size at blank lines
 * @param splitFilesAbove  a file inside a folder or archive stays one document up to this size, else is cut like a text file
 * @param maxDocumentBytes no document is larger than this; longer ones are cut into pieces ({@code id@offset})
 * @param maxBytes         stop reading after this many bytes of documents (-1 = no limit)
 * @param jdkSourceBytes   how much of the JDK's src.zip the {@code jdk-src} corpus samples
 * @param downloadDir      where named data sets and URLs are cached
 * @param catalog          named data sets ({@link NamedDataset#builtIn()} unless a test or a mirror says otherwise)
 */
public record CorpusSettings(List<String> include, List<String> exclude, String textField, int blockBytes,
                             long splitFilesAbove, int maxDocumentBytes, long maxBytes, long jdkSourceBytes,
                             Path downloadDir, Map<String, NamedDataset> catalog) {

    public CorpusSettings {
        include = List.copyOf(include);
        exclude = List.copyOf(exclude);
        catalog = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(catalog)); // keeps the order for messages
        if (blockBytes < 1) throw new IllegalArgumentException("block bytes must be positive");
        if (maxDocumentBytes < 1024) throw new IllegalArgumentException("max document bytes must be at least 1024");
    }

    public static CorpusSettings defaults(Path downloadDir) {
        return new CorpusSettings(List.of(), List.of(), "text", 4096, 1 << 20, 4 << 20, -1, 16L << 20, downloadDir,
                NamedDataset.catalog(System.getenv("FLYWHEEL_DATA_MIRROR")));
    }

    public CorpusSettings withInclude(List<String> globs) {
        return new CorpusSettings(globs, exclude, textField, blockBytes, splitFilesAbove, maxDocumentBytes, maxBytes, jdkSourceBytes, downloadDir, catalog);
    }

    public CorpusSettings withExclude(List<String> globs) {
        return new CorpusSettings(include, globs, textField, blockBytes, splitFilesAbove, maxDocumentBytes, maxBytes, jdkSourceBytes, downloadDir, catalog);
    }

    public CorpusSettings withTextField(String field) {
        return new CorpusSettings(include, exclude, field, blockBytes, splitFilesAbove, maxDocumentBytes, maxBytes, jdkSourceBytes, downloadDir, catalog);
    }

    public CorpusSettings withBlockBytes(int bytes) {
        return new CorpusSettings(include, exclude, textField, bytes, splitFilesAbove, maxDocumentBytes, maxBytes, jdkSourceBytes, downloadDir, catalog);
    }

    public CorpusSettings withMaxDocumentBytes(int bytes) {
        return new CorpusSettings(include, exclude, textField, blockBytes, splitFilesAbove, bytes, maxBytes, jdkSourceBytes, downloadDir, catalog);
    }

    public CorpusSettings withMaxBytes(long bytes) {
        return new CorpusSettings(include, exclude, textField, blockBytes, splitFilesAbove, maxDocumentBytes, bytes, jdkSourceBytes, downloadDir, catalog);
    }

    public CorpusSettings withJdkSourceBytes(long bytes) {
        return new CorpusSettings(include, exclude, textField, blockBytes, splitFilesAbove, maxDocumentBytes, maxBytes, bytes, downloadDir, catalog);
    }

    public CorpusSettings withDownloadDir(Path dir) {
        return new CorpusSettings(include, exclude, textField, blockBytes, splitFilesAbove, maxDocumentBytes, maxBytes, jdkSourceBytes, dir, catalog);
    }

    public CorpusSettings withCatalog(Map<String, NamedDataset> named) {
        return new CorpusSettings(include, exclude, textField, blockBytes, splitFilesAbove, maxDocumentBytes, maxBytes, jdkSourceBytes, downloadDir, named);
    }
}
