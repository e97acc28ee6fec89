package dev.flywheel.data;

/**
 * Where long data work reports how far it got: one task at a time (download, read, train tokenizer, encode,
 * write), each with a total in its unit. Calls come from one thread at a time; the command line draws a progress
 * bar, the lab records nothing.
 */
public interface Progress {

    /** Starts a task; {@code total} is in {@code unit} (bytes, documents, merges), or -1 when unknown. */
    void begin(String task, long total, String unit);

    /** The task has done {@code done} units so far (absolute, not a delta). */
    void update(long done);

    /** The current task is finished. */
    void end();

    /** Ignores everything. */
    static Progress none() {
        return new Progress() {
            @Override public void begin(String task, long total, String unit) {}
            @Override public void update(long done) {}
            @Override public void end() {}
        };
    }
}
