package dev.flywheel.lab.study;

import java.nio.file.Path;

/** Holds a study's lock in a process of its own until its stdin closes: the other process of {@link StudyLockTest}. */
public final class StudyLockHolderMain {

    public static void main(String[] args) throws Exception {
        try (var lock = StudyLock.acquire(Path.of(args[0]), args[1])) {
            System.out.println("held");
            System.out.flush();
            System.in.read(); // until the test closes our stdin
        }
    }
}
