package dev.flywheel.engine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header naming each tensor's
 * dtype, shape and byte range, then the raw little-endian data. Written by hand — it is a hundred lines and there
 * is no Java library for it. Reading validates the header against the file so a truncated or corrupt file is
 * refused with a clear message instead of yielding garbage weights.
 */
public final class Safetensors {

    /** One tensor's header entry; offsets are relative to the start of the data section. */
    public record Entry(String name, String dtype, int[] shape, long begin, long end) {
        public long elements() {
            long n = 1;
            for (int d : shape) n *= d;
            return n;
        }
    }

    private final Path path;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;
    private final ByteBuffer data;

    private Safetensors(Path path, Map<String, Entry> entries, Map<String, String> metadata, ByteBuffer data) {
        this.path = path;
        this.entries = entries;
        this.metadata = metadata;
        this.data = data;
    }

    public Map<String, Entry> entries() {
        return entries;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    public boolean has(String name) {
        return entries.containsKey(name);
    }

    public Entry entry(String name) {
        var e = entries.get(name);
        if (e == null) throw new CheckpointException(path + " has no tensor named '" + name + "'");
        return e;
    }

    /** Reads and validates a safetensors file. */
    public static Safetensors read(Path path) {
        try (var ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) throw new CheckpointException(path + " is not a safetensors file (only " + size + " bytes)");
            var lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(lenBuf, 0);
            long headerLen = lenBuf.getLong(0);
            if (headerLen <= 0 || headerLen > size - 8 || headerLen > 100_000_000) {
                throw new CheckpointException(path + " is corrupt or truncated: its header length " + headerLen
                        + " does not fit the file size " + size);
            }
            var hb = ByteBuffer.allocate((int) headerLen);
            ch.read(hb, 8);
            Map<String, Object> header;
            try {
                header = Json.parseObject(new String(hb.array(), StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                throw new CheckpointException(path + " is corrupt: its header is not valid JSON (" + e.getMessage() + ")");
            }
            long dataStart = 8 + headerLen, dataLen = size - dataStart;
            var entries = new LinkedHashMap<String, Entry>();
            var meta = new LinkedHashMap<String, String>();
            for (var e : header.entrySet()) {
                if (e.getKey().equals("__metadata__")) {
                    if (e.getValue() instanceof Map<?, ?> m) m.forEach((k, v) -> meta.put(String.valueOf(k), String.valueOf(v)));
                    continue;
                }
                entries.put(e.getKey(), entry(path, e.getKey(), e.getValue(), dataLen));
            }
            ByteBuffer data = dataLen > Integer.MAX_VALUE
                    ? null : ch.map(FileChannel.MapMode.READ_ONLY, dataStart, dataLen).order(ByteOrder.LITTLE_ENDIAN);
            if (data == null) throw new CheckpointException(path + " is larger than 2 GiB, which this reader does not support");
            return new Safetensors(path, entries, meta, data);
        } catch (IOException e) {
            throw new CheckpointException("cannot read " + path + ": " + e.getMessage());
        }
    }

    private static Entry entry(Path path, String name, Object v, long dataLen) {
        if (!(v instanceof Map<?, ?> m)) throw new CheckpointException(path + " is corrupt: bad header entry for " + name);
        try {
            String dtype = (String) m.get("dtype");
            List<?> shapeList = (List<?>) m.get("shape");
            List<?> off = (List<?>) m.get("data_offsets");
            int[] shape = new int[shapeList.size()];
            for (int i = 0; i < shape.length; i++) {
                long d = ((Number) shapeList.get(i)).longValue();
                // a negative or overflowing shape could match its byte count after wrapping around
                if (d < 0 || d > Integer.MAX_VALUE || !(shapeList.get(i) instanceof Long))
                    throw new CheckpointException(path + " is corrupt: tensor '" + name + "' has the impossible shape " + shapeList);
                shape[i] = (int) d;
            }
            long begin = ((Number) off.get(0)).longValue(), end = ((Number) off.get(1)).longValue();
            var e = new Entry(name, dtype, shape, begin, end);
            int width = width(dtype);
            long elements = 1;
            for (int d : shape) {
                if (d != 0 && elements > Long.MAX_VALUE / 8 / d)
                    throw new CheckpointException(path + " is corrupt: tensor '" + name + "' has the impossible shape " + shapeList);
                elements *= d;
            }
            if (begin < 0 || end < begin || end > dataLen) {
                throw new CheckpointException(path + " is truncated or corrupt: tensor '" + name + "' ends at byte " + end
                        + " but the data section has " + dataLen + " bytes");
            }
            if (e.elements() * width != end - begin) {
                throw new CheckpointException(path + " is corrupt: tensor '" + name + "' has " + (end - begin)
                        + " bytes for shape " + java.util.Arrays.toString(shape) + " of " + dtype);
            }
            return e;
        } catch (ClassCastException | NullPointerException | IndexOutOfBoundsException ex) {
            throw new CheckpointException(path + " is corrupt: malformed header entry for tensor '" + name + "'");
        }
    }

    private static int width(String dtype) {
        return switch (dtype) {
            case "F32", "I32" -> 4;
            case "F64", "I64" -> 8;
            case "F16", "BF16", "I16" -> 2;
            case "U8", "I8", "BOOL" -> 1;
            default -> throw new CheckpointException("unsupported safetensors dtype " + dtype);
        };
    }

    /** Reads an F32 tensor (or converts F64) into a new array. */
    public float[] floats(String name) {
        var e = entry(name);
        int n = Math.toIntExact(e.elements());
        float[] out = new float[n];
        switch (e.dtype()) {
            case "F32" -> data.slice((int) e.begin(), n * 4).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
            case "F64" -> {
                var b = data.slice((int) e.begin(), n * 8).order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer();
                for (int i = 0; i < n; i++) out[i] = (float) b.get(i);
            }
            default -> throw new CheckpointException(path + ": tensor '" + name + "' is " + e.dtype() + ", expected F32");
        }
        return out;
    }

    /** Reads an F64 (or F32) tensor as doubles. */
    public double[] doubles(String name) {
        var e = entry(name);
        int n = Math.toIntExact(e.elements());
        double[] out = new double[n];
        switch (e.dtype()) {
            case "F64" -> data.slice((int) e.begin(), n * 8).order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer().get(out);
            case "F32" -> {
                var b = data.slice((int) e.begin(), n * 4).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
                for (int i = 0; i < n; i++) out[i] = b.get(i);
            }
            default -> throw new CheckpointException(path + ": tensor '" + name + "' is " + e.dtype() + ", expected F64");
        }
        return out;
    }

    public int[] ints(String name) {
        var e = entry(name);
        int n = Math.toIntExact(e.elements());
        int[] out = new int[n];
        switch (e.dtype()) {
            case "I32" -> data.slice((int) e.begin(), n * 4).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(out);
            case "I64" -> {
                var b = data.slice((int) e.begin(), n * 8).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer();
                for (int i = 0; i < n; i++) out[i] = Math.toIntExact(b.get(i));
            }
            default -> throw new CheckpointException(path + ": tensor '" + name + "' is " + e.dtype() + ", expected I32");
        }
        return out;
    }

    /** Collects tensors and writes them in one file, atomically (temp file, then rename). */
    public static final class Writer {
        private record Item(String name, String dtype, int[] shape, Object src, int off, int n) {}

        private final List<Item> items = new ArrayList<>();
        private final Map<String, String> metadata = new LinkedHashMap<>();

        public Writer f32(String name, float[] src, int off, int... shape) {
            items.add(new Item(name, "F32", shape, src, off, count(shape)));
            return this;
        }

        public Writer f64(String name, double[] src, int... shape) {
            items.add(new Item(name, "F64", shape, src, 0, count(shape)));
            return this;
        }

        public Writer i32(String name, int[] src, int... shape) {
            items.add(new Item(name, "I32", shape, src, 0, count(shape)));
            return this;
        }

        public Writer meta(String key, String value) {
            metadata.put(key, value);
            return this;
        }

        private static int count(int[] shape) {
            long n = 1;
            for (int d : shape) n *= d;
            return Math.toIntExact(n);
        }

        public void write(Path file) throws IOException {
            var header = new LinkedHashMap<String, Object>();
            if (!metadata.isEmpty()) header.put("__metadata__", new LinkedHashMap<>(metadata));
            long offset = 0;
            for (var it : items) {
                long bytes = (long) it.n() * (it.dtype().equals("F64") ? 8 : 4);
                var e = new LinkedHashMap<String, Object>();
                e.put("dtype", it.dtype());
                e.put("shape", it.shape());
                e.put("data_offsets", List.of(offset, offset + bytes));
                header.put(it.name(), e);
                offset += bytes;
            }
            byte[] json = Json.write(header).getBytes(StandardCharsets.UTF_8);
            int padded = (json.length + 7) / 8 * 8;
            AtomicFiles.write(file, out -> {
                var len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
                out.write(len.array());
                out.write(json);
                for (int i = json.length; i < padded; i++) out.write(' ');
                var buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
                for (var it : items) {
                    for (int i = 0; i < it.n(); i++) {
                        int width = it.dtype().equals("F64") ? 8 : 4;
                        if (buf.remaining() < width) {
                            out.write(buf.array(), 0, buf.position());
                            buf.clear();
                        }
                        switch (it.src()) {
                            case float[] f -> buf.putFloat(f[it.off() + i]);
                            case double[] d -> buf.putDouble(d[it.off() + i]);
                            case int[] a -> buf.putInt(a[it.off() + i]);
                            default -> throw new IllegalStateException();
                        }
                    }
                }
                out.write(buf.array(), 0, buf.position());
            });
        }
    }
}
