package dev.medseg.model.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One {@code .safetensors} file: an 8-byte little-endian header length N, N bytes of JSON
 * ({@code {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}}), then the data.
 * The header is validated completely on opening; tensor data is memory-mapped one tensor at a time,
 * so files of many gigabytes cost only the tensor being read. See {@link #open} for sharded checkpoints.
 */
public final class SafetensorsSource extends AbstractTensorSource {
    /** The safetensors library's own limit on the header size. */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    private final Path file;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafetensorsSource(Path file, FileChannel channel, long dataStart, Map<String, TensorInfo> tensors,
                              Map<String, String> metadata) {
        this.file = file;
        this.channel = channel;
        this.dataStart = dataStart;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /**
     * Opens a checkpoint given as a {@code .safetensors} file, a {@code *.safetensors.index.json} index of
     * shards, or a directory holding {@code model.safetensors.index.json} or {@code model.safetensors}.
     */
    public static TensorSource open(Path path) {
        if (Files.isDirectory(path)) {
            Path index = path.resolve("model.safetensors.index.json");
            if (Files.isRegularFile(index)) {
                return ShardedSafetensorsSource.open(index);
            }
            Path single = path.resolve("model.safetensors");
            if (Files.isRegularFile(single)) {
                return openFile(single);
            }
            throw new CheckpointFormatException(path.toString(), "directory holds neither model.safetensors.index.json nor model.safetensors");
        }
        if (path.getFileName().toString().endsWith(".index.json")) {
            return ShardedSafetensorsSource.open(path);
        }
        return openFile(path);
    }

    /** Opens a sharded checkpoint from its index file ({@code {"weight_map": {tensor: shardFile}}}). */
    public static TensorSource openIndex(Path indexJson) {
        return ShardedSafetensorsSource.open(indexJson);
    }

    /** Opens one {@code .safetensors} file and validates its whole header. */
    public static SafetensorsSource openFile(Path file) {
        String where = file.toString();
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new CheckpointFormatException(where, null, "cannot open: " + e.getMessage(), e);
        }
        try {
            long size = ch.size();
            if (size < 8) {
                throw new CheckpointFormatException(where, "only " + size + " bytes: too short for a safetensors header length");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0, where);
            long n = lenBuf.getLong(0);
            if (n < 0 || n > MAX_HEADER_BYTES || n > size - 8) {
                throw new CheckpointFormatException(where, "declared header length " + Long.toUnsignedString(n)
                        + " exceeds " + (n >= 0 && n <= MAX_HEADER_BYTES ? "the file (" + (size - 8) + " bytes after the length)"
                        : "the limit " + MAX_HEADER_BYTES));
            }
            ByteBuffer headerBuf = ByteBuffer.allocate((int) n);
            readFully(ch, headerBuf, 8, where);
            long dataStart = 8 + n;
            Header h = parseHeader(headerBuf.array(), size - dataStart, where);
            return new SafetensorsSource(file, ch, dataStart, h.tensors, h.metadata);
        } catch (IOException | RuntimeException e) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // already failing
            }
            if (e instanceof CheckpointFormatException c) {
                throw c;
            }
            throw new CheckpointFormatException(where, null, "cannot read header: " + e.getMessage(), e);
        }
    }

    private record Header(Map<String, TensorInfo> tensors, Map<String, String> metadata) {
    }

    /** Validates the JSON header against a data section of {@code dataSize} bytes; offsets are data-relative. */
    private static Header parseHeader(byte[] json, long dataSize, String where) {
        if (json.length == 0 || json[0] != '{') {
            throw new CheckpointFormatException(where, "header is not a JSON object");
        }
        if (!(Json.parse(json, where) instanceof Map<?, ?> root)) {
            throw new CheckpointFormatException(where, "header is not a JSON object");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        List<TensorInfo> list = new ArrayList<>();
        for (Map.Entry<?, ?> e : root.entrySet()) {
            String name = (String) e.getKey();
            if (name.equals("__metadata__")) {
                if (!(e.getValue() instanceof Map<?, ?> m)) {
                    throw new CheckpointFormatException(where, "__metadata__ is not an object");
                }
                for (Map.Entry<?, ?> me : m.entrySet()) {
                    if (!(me.getValue() instanceof String v)) {
                        throw new CheckpointFormatException(where, "__metadata__ value of \"" + me.getKey() + "\" is not a string");
                    }
                    metadata.put((String) me.getKey(), v);
                }
                continue;
            }
            list.add(tensorInfo(name, e.getValue(), dataSize, where));
        }
        list.sort(Comparator.comparingLong(TensorInfo::offset).thenComparingLong(TensorInfo::byteLength)); // file order, empty first
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        TensorInfo previous = null;
        for (TensorInfo t : list) {
            // the format gives each tensor its own bytes; aliased ranges would read one tensor's data as another's
            if (previous != null && t.offset() < previous.offset() + previous.byteLength()) {
                throw new CheckpointFormatException(where, t.name(), "data_offsets overlap those of '" + previous.name()
                        + "' ([" + previous.offset() + ", " + (previous.offset() + previous.byteLength()) + "])");
            }
            previous = t;
            tensors.put(t.name(), t);
        }
        return new Header(Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
    }

    private static TensorInfo tensorInfo(String name, Object spec, long dataSize, String where) {
        if (!(spec instanceof Map<?, ?> m)) {
            throw new CheckpointFormatException(where, name, "header entry is not an object");
        }
        if (!(m.get("dtype") instanceof String dtypeName)) {
            throw new CheckpointFormatException(where, name, "missing dtype");
        }
        DType dtype = DType.fromSafetensorsName(dtypeName).orElseThrow(() ->
                new CheckpointFormatException(where, name, "unsupported dtype \"" + dtypeName + "\""));
        long[] shape = longs(m.get("shape"), -1, "shape", name, where);
        long[] offsets = longs(m.get("data_offsets"), 2, "data_offsets", name, where);
        long numel = Shapes.checkedNumel(shape, where, name);
        long need = Shapes.checkedBytes(numel, dtype, where, name);
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end || end > dataSize) {
            throw new CheckpointFormatException(where, name, "data_offsets [" + begin + ", " + end
                    + "] lie outside the data section of " + dataSize + " bytes");
        }
        if (end - begin != need) {
            throw new CheckpointFormatException(where, name, "data_offsets span " + (end - begin) + " bytes but shape "
                    + Arrays.toString(shape) + " of " + dtype + " needs " + need);
        }
        return new TensorInfo(name, dtype, shape, begin, end - begin);
    }

    /** A JSON array of non-negative integers, of length {@code len} unless {@code len} is -1. */
    private static long[] longs(Object v, int len, String field, String name, String where) {
        if (!(v instanceof List<?> l) || (len >= 0 && l.size() != len) || l.size() > Shapes.MAX_RANK) {
            throw new CheckpointFormatException(where, name, field + " is not an array" + (len >= 0 ? " of " + len + " integers" : " of integers"));
        }
        long[] out = new long[l.size()];
        for (int k = 0; k < out.length; k++) {
            if (!(l.get(k) instanceof Long x) || x < 0) {
                throw new CheckpointFormatException(where, name, field + " holds " + l.get(k) + ", not a non-negative integer");
            }
            out[k] = x;
        }
        return out;
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos, String where) throws IOException {
        while (buf.hasRemaining()) {
            int r = ch.read(buf, pos + buf.position());
            if (r < 0) {
                throw new CheckpointFormatException(where, "truncated header");
            }
        }
    }

    /** The {@code __metadata__} map (empty if the file has none). */
    public Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public List<String> names() {
        return List.copyOf(tensors.keySet());
    }

    @Override
    public Optional<TensorInfo> info(String name) {
        return Optional.ofNullable(tensors.get(name));
    }

    @Override
    ByteBuffer contiguous(TensorInfo t) {
        try {
            return channel.map(FileChannel.MapMode.READ_ONLY, dataStart + t.offset(), t.byteLength()).order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new CheckpointFormatException(describe(), t.name(), "cannot read data: " + e.getMessage(), e);
        }
    }

    @Override
    public Path file() {
        return file;
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // read-only; nothing is lost
        }
    }
}
