package dev.flywheel.data;

/**
 * A problem with the user's data or settings: a missing file, an empty corpus, a corrupt shard, a failed
 * download. The message is one sentence that names the input and says how to fix it; the command line prints
 * it without a stack trace and exits with status 2. Programming errors stay ordinary exceptions.
 */
public final class DataException extends RuntimeException {

    public DataException(String message) {
        super(message);
    }

    public DataException(String message, Throwable cause) {
        super(message, cause);
    }
}
