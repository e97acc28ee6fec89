package dev.flywheel.lab.guard;

/**
 * Which document a training token came from: the loader's token → document index, as the guard's forensics and
 * fault injection see it.
 */
public interface DocumentLocator {

    /** A document id and a short snippet of its text around the token. */
    record Origin(String documentId, String snippet) {}

    /**
     * The origin of the token at {@code position} (0..seq; seq is the last target) of row {@code row} of the batch
     * (dataStep, micro).
     */
    Origin locate(long dataStep, int micro, int row, int position, int seq);
}
