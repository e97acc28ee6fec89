package dev.flywheel.lab.study;

import dev.flywheel.lab.LabException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The right to write to a study: an operating-system lock on {@code study.lock} in the study's folder, held by the
 * one process that opened the study for writing ({@code research}, {@code research --resume}, {@code replicate})
 * until it closes it. Two writers would each run the runs the other is running and interleave the journal, so the
 * second is refused with the first's process id. The lock is the kernel's, not the file's existence: a process
 * killed with -9 releases it, so a stale file never blocks a resume. The file is left in place on release (deleting
 * it would let a third process lock a fresh file while a second still holds the old one).
 */
final class StudyLock implements AutoCloseable {

    static final String FILE = "study.lock";

    /**
     * The study folders this JVM holds. Checked before any channel is opened: on Linux, closing any channel on a
     * file drops every lock the process has on it, so a second open-and-close in this JVM would silently free the
     * first holder's lock.
     */
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    private final Path key;
    private final FileChannel channel;
    /** The lock file's inode when it was opened (null where the file system has none). */
    private final Object inode;
    private final FileLock lock;

    private StudyLock(Path key, FileChannel channel, FileLock lock, Object inode) {
        this.key = key;
        this.channel = channel;
        this.lock = lock;
        this.inode = inode;
    }

    /**
     * Takes the study's lock and writes this process's id into the lock file.
     *
     * @throws LabException when another process (or another open study object in this one) holds it, naming its pid
     */
    static StudyLock acquire(Path studyDir, String name) {
        // a refused new study deletes its folder, lock file included, while it holds the lock: whoever opened that
        // file meanwhile locks a file no longer in the folder, sees it, and starts again on the one there now
        for (int attempt = 0; attempt < 4; attempt++) {
            var lock = tryAcquire(studyDir, name);
            if (lock.holdsThePath()) return lock;
            lock.close();
        }
        throw new LabException("study " + name + " is being created and removed by other processes at once; try again");
    }

    /**
     * Whether the lock file in the study folder is still the file this lock holds. Compared by inode, through stat:
     * opening the file again to read it would drop this process's lock (POSIX locks go with any descriptor closed).
     */
    private boolean holdsThePath() {
        return inode == null || inode.equals(inode(key.resolve(FILE))); // null: no inodes here, nothing to compare
    }

    private static Object inode(Path file) {
        try {
            return Files.getAttribute(file, "unix:ino", java.nio.file.LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return null;
        }
    }

    private static StudyLock tryAcquire(Path studyDir, String name) {
        Path file = studyDir.resolve(FILE);
        Path key = null;
        boolean added = false;
        FileChannel ch = null;
        try {
            Files.createDirectories(studyDir);
            key = studyDir.toRealPath();
            added = HELD.add(key);
            if (!added) throw refusal(name, String.valueOf(ProcessHandle.current().pid()));
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            var inode = inode(file);
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException sameJvm) {
                lock = null; // locked through another path to the same file in this JVM: the same refusal
            }
            if (lock == null) throw refusal(name, holder(ch));
            byte[] pid = (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII);
            ch.truncate(0);
            ch.write(ByteBuffer.wrap(pid), 0);
            ch.force(false);
            return new StudyLock(key, ch, lock, inode);
        } catch (LabException e) {
            closeQuietly(ch);
            if (added) HELD.remove(key);
            throw e;
        } catch (IOException e) {
            closeQuietly(ch);
            if (added) HELD.remove(key);
            throw new LabException("the study lock " + file + " cannot be taken (" + e.getMessage()
                    + "); check the folder's permissions and free space");
        }
    }

    private static LabException refusal(String name, String pid) {
        return new LabException("study " + name + " is open in process " + pid
                + "; wait for it to finish or stop it before resuming");
    }

    /** The pid the holder wrote, or "(unknown)" while it is still writing it. */
    private static String holder(FileChannel ch) throws IOException {
        var buf = ByteBuffer.allocate(32);
        ch.read(buf, 0);
        String text = new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII).strip();
        return text.matches("\\d{1,19}") ? text : "(unknown)";
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch == null) return;
        try {
            ch.close();
        } catch (IOException ignored) {
            // nothing was locked
        }
    }

    /** Deletes a study folder that holds nothing but its lock file (a new study refused before it was written). */
    static void removeEmpty(Path studyDir) {
        try {
            Files.deleteIfExists(studyDir.resolve(FILE));
            Files.deleteIfExists(studyDir); // fails, and keeps it, if anything else is in it
        } catch (IOException ignored) {
            // not empty, or not ours to remove: left as it is
        }
    }

    /** Releases the lock; the next opener may write to the study. */
    @Override
    public void close() {
        try {
            if (lock.isValid()) lock.release();
        } catch (IOException ignored) {
            // closing the channel below releases it as well
        }
        closeQuietly(channel);
        HELD.remove(key);
    }
}
