package dev.flywheel.lab.study;

/**
 * The study's clock for a time budget: what earlier sessions spent (from the store) plus this session's time. A
 * study opened for reading only does not tick.
 */
record StudyClock(double spentBefore, boolean readOnly, long sessionStart) {

    StudyClock(double spentBefore, boolean readOnly) {
        this(spentBefore, readOnly, System.nanoTime());
    }

    double spent() {
        return readOnly ? spentBefore : spentBefore + (System.nanoTime() - sessionStart) / 1e9;
    }
}
