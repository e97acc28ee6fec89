package dev.flywheel.data.prep;

import dev.flywheel.data.DataException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/** Token ids of one split as raw int32 in a temporary file, with where each document starts. */
final class Spool {
    final Path file;
    final FileChannel channel;
    final ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
    final List<String> ids = new ArrayList<>();
    final dev.flywheel.data.util.LongList starts = new dev.flywheel.data.util.LongList();
    long tokens;

    Spool(Path file) throws IOException {
        this.file = file;
        this.channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    }

    void append(String id, int[] ids) {
        this.ids.add(id);
        starts.add(tokens);
        try {
            for (int v : ids) {
                if (!buf.hasRemaining()) drain();
                buf.putInt(v);
            }
        } catch (IOException e) {
            throw new DataException("cannot write " + file + " (" + e.getMessage() + "); check free disk space", e);
        }
        tokens += ids.length;
    }

    private void drain() throws IOException {
        buf.flip();
        while (buf.hasRemaining()) channel.write(buf);
        buf.clear();
    }

    void finish() throws IOException {
        drain();
        channel.close();
    }

    /** Index of the document holding token {@code i} (-1 before the first). */
    int documentAt(long i) {
        int lo = 0, hi = starts.size() - 1, found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (starts.get(mid) <= i) {
                found = mid;
                lo = mid + 1;
            } else hi = mid - 1;
        }
        return found;
    }
}
