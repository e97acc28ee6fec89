package dev.flywheel.engine;

/** A checkpoint that cannot be read or written; the message names the file and what is wrong with it. */
public final class CheckpointException extends RuntimeException {
    public CheckpointException(String message) {
        super(message);
    }
}
