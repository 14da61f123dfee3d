package dev.medseg.model.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a {@code .safetensors} file one tensor at a time. All tensors are declared up front (the header,
 * which holds every offset, comes first in the file); each is then written once, in any order, so a caller
 * never needs more than one tensor in memory. The file appears under its name only when {@link #close}
 * finds every declared tensor written; until then it is a temporary sibling, so a failure never leaves a
 * file whose missing tensors would read as zeros.
 */
public final class SafetensorsWriter implements AutoCloseable {

    /**
     * A tensor to be written.
     *
     * @param name  its key
     * @param dtype the stored type (any; floats written from f32 must be F32, F16, BF16 or F64)
     * @param shape its shape
     */
    public record Entry(String name, DType dtype, long[] shape) {
        /** Copies the shape so that the record stays immutable. */
        public Entry {
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        long byteLength() {
            return Shapes.checkedBytes(Shapes.checkedNumel(shape, "<safetensors writer>", name), dtype, "<safetensors writer>", name);
        }
    }

    private final Path target;
    private final Path temp;
    private final FileChannel out;
    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private final Map<String, Long> positions = new LinkedHashMap<>();
    private final Set<String> written = new HashSet<>();
    private boolean closed;

    private SafetensorsWriter(Path target, Path temp, FileChannel out) {
        this.target = target;
        this.temp = temp;
        this.out = out;
    }

    /** Starts {@code file} with the header for {@code entries} and string {@code metadata} (may be empty). */
    public static SafetensorsWriter create(Path file, List<Entry> entries, Map<String, String> metadata) throws IOException {
        // Like the Python library: widest dtypes first keeps every tensor aligned to its element size.
        List<Entry> ordered = new ArrayList<>(entries);
        ordered.sort(Comparator.comparingInt((Entry e) -> -e.dtype().size()));
        Map<String, Object> header = new LinkedHashMap<>();
        if (!metadata.isEmpty()) {
            header.put("__metadata__", new LinkedHashMap<>(metadata));
        }
        Map<String, Long> begins = new LinkedHashMap<>();
        long offset = 0;
        for (Entry e : ordered) {
            if (e.name().equals("__metadata__") || header.containsKey(e.name())) {
                throw new IllegalArgumentException("duplicate or reserved tensor name: " + e.name());
            }
            long end = offset + e.byteLength();
            header.put(e.name(), Map.of("dtype", e.dtype().safetensorsName(),
                    "shape", Arrays.stream(e.shape()).boxed().toList(), "data_offsets", List.of(offset, end)));
            begins.put(e.name(), offset);
            offset = end;
        }
        byte[] json = Json.write(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8; // the data section starts 8-byte aligned
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        head.flip();
        Path abs = file.toAbsolutePath();
        Path temp = abs.resolveSibling(abs.getFileName() + ".partial");
        FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        SafetensorsWriter w = new SafetensorsWriter(file, temp, ch);
        try {
            writeFully(ch, head, 0);
        } catch (IOException e) {
            w.abandon();
            throw e;
        }
        long dataStart = 8L + padded;
        for (Entry e : ordered) {
            w.entries.put(e.name(), e);
            w.positions.put(e.name(), dataStart + begins.get(e.name()));
        }
        return w;
    }

    /** Writes a float tensor, encoding it as its declared F32, F16, BF16 or F64 (round to nearest even). */
    public void write(String name, float[] values) throws IOException {
        Entry e = entry(name, values.length);
        if (!e.dtype().isFloating()) {
            throw new IllegalArgumentException(name + " is declared " + e.dtype() + "; write longs");
        }
        put(name, Elements.encode(values, e.dtype()));
    }

    /** Writes an integer or bool tensor as its declared dtype; a value that does not fit is an error. */
    public void writeLong(String name, long[] values) throws IOException {
        Entry e = entry(name, values.length);
        if (e.dtype().isFloating()) {
            throw new IllegalArgumentException(name + " is declared " + e.dtype() + "; write floats");
        }
        put(name, Elements.encode(values, e.dtype()));
    }

    /** Writes little-endian element bytes already in the declared dtype (as {@link TensorSource#readRaw} returns). */
    public void writeRaw(String name, byte[] littleEndian) throws IOException {
        Entry e = entries.get(name);
        if (e == null) {
            throw new IllegalArgumentException("undeclared tensor " + name);
        }
        if (littleEndian.length != e.byteLength()) {
            throw new IllegalArgumentException(name + ": " + littleEndian.length + " bytes, declared " + e.byteLength());
        }
        put(name, littleEndian);
    }

    private Entry entry(String name, int length) {
        Entry e = entries.get(name);
        if (e == null) {
            throw new IllegalArgumentException("undeclared tensor " + name);
        }
        long numel = Shapes.numel(e.shape());
        if (length != numel) {
            throw new IllegalArgumentException(name + ": " + length + " values, declared shape " + Arrays.toString(e.shape()));
        }
        return e;
    }

    private void put(String name, byte[] bytes) throws IOException {
        if (closed) {
            throw new IllegalStateException("writer is closed");
        }
        if (!written.add(name)) {
            throw new IllegalStateException(name + " was already written");
        }
        writeFully(out, ByteBuffer.wrap(bytes), positions.get(name));
    }

    private static void writeFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) {
            pos += ch.write(b, pos);
        }
    }

    /**
     * Finishes the file and moves it to its name. If a declared tensor was never written, the partial file is
     * deleted and an {@link IllegalStateException} names the missing tensors.
     */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        List<String> missing = entries.keySet().stream().filter(n -> !written.contains(n)).toList();
        if (!missing.isEmpty()) {
            abandon();
            throw new IllegalStateException("not written, so " + target + " was not created: " + missing);
        }
        closed = true;
        out.force(false);
        out.close();
        Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Closes and deletes the partial file without creating the target. */
    public void abandon() throws IOException {
        closed = true;
        out.close();
        Files.deleteIfExists(temp);
    }

    /**
     * Convenience for small files: writes f32 tensors as {@code dtype} (F32, F16 or BF16).
     *
     * @param tensors name to (shape, values), in the order given
     */
    public static void writeAll(Path file, DType dtype, Map<String, Map.Entry<long[], float[]>> tensors,
                                Map<String, String> metadata) throws IOException {
        List<Entry> entries = new ArrayList<>();
        tensors.forEach((name, t) -> entries.add(new Entry(name, dtype, t.getKey())));
        try (SafetensorsWriter w = create(file, entries, metadata)) {
            for (Map.Entry<String, Map.Entry<long[], float[]>> t : tensors.entrySet()) {
                w.write(t.getKey(), t.getValue().getValue());
            }
        }
    }
}
