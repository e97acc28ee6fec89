package dev.flywheel.data.corpus;

/** Documents that can be read in a fixed order any number of times: a {@link Corpus}, or a corpus once cleaned. */
public interface DocumentSource {

    /** Reads every document in order until the sink returns false; what is not a document goes to {@code skips}. */
    void read(DocumentSink sink, SkipLog skips);

    /** Bytes on disk the source will read (compressed size for archives), for progress bars; -1 if unknown. */
    long sizeOnDisk();

    /** One line for people, e.g. "text file /data/input.txt". */
    String describe();
}
