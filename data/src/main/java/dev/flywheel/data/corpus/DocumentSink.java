package dev.flywheel.data.corpus;

/** Receives documents in corpus order; returns false to stop reading (the byte budget is spent). */
@FunctionalInterface
public interface DocumentSink {
    boolean accept(Document document);
}
