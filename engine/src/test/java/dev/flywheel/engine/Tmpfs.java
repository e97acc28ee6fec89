package dev.flywheel.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A small tmpfs for disk-full drills (issue 22), shared by every module's drill (this class ships in the engine's
 * test-jar). Mounting needs root (or CAP_SYS_ADMIN): {@link #mount} returns null where it is not allowed, and the
 * drill is then skipped, not faked.
 */
public final class Tmpfs implements AutoCloseable {

    private final Path dir;

    private Tmpfs(Path dir) {
        this.dir = dir;
    }

    /** Mounts a tmpfs of {@code bytes} at {@code dir} (created), or returns null when this process may not. */
    public static Tmpfs mount(Path dir, long bytes) {
        try {
            Files.createDirectories(dir);
            var p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + bytes, "tmpfs", dir.toString())
                    .redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0 ? new Tmpfs(dir) : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    public Path dir() {
        return dir;
    }

    /** Fills the file system until at most {@code leave} bytes are free; returns the filler (delete it to free them). */
    public Path fill(long leave) throws IOException {
        var filler = dir.resolve("filler-" + System.nanoTime());
        var block = new byte[1 << 20];
        try (var out = Files.newOutputStream(filler, StandardOpenOption.CREATE_NEW)) {
            for (long free; (free = Files.getFileStore(dir).getUsableSpace()) > leave; )
                out.write(block, 0, (int) Math.max(1, Math.min(block.length, free - leave)));
        } catch (IOException full) {
            // full already: the point
        }
        return filler;
    }

    @Override
    public void close() throws Exception {
        new ProcessBuilder("umount", "-l", dir.toString()).redirectErrorStream(true).start().waitFor();
    }
}
