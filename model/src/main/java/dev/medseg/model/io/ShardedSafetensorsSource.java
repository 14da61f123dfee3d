package dev.medseg.model.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A checkpoint split into safetensors shards, presented as one source through its index
 * ({@code model.safetensors.index.json}: {@code {"metadata": {...}, "weight_map": {tensor: shardFile}}}).
 * Every shard's header is opened and checked against the index up front; data is read lazily.
 */
final class ShardedSafetensorsSource implements TensorSource {
    private final Path index;
    private final Map<String, SafetensorsSource> byTensor;
    private final Map<String, SafetensorsSource> shards;

    private ShardedSafetensorsSource(Path index, Map<String, SafetensorsSource> byTensor, Map<String, SafetensorsSource> shards) {
        this.index = index;
        this.byTensor = byTensor;
        this.shards = shards;
    }

    static ShardedSafetensorsSource open(Path index) {
        String where = index.toString();
        byte[] json;
        try {
            long size = Files.size(index);
            if (size > SafetensorsSource.MAX_HEADER_BYTES) {
                throw new CheckpointFormatException(where, "index of " + size + " bytes exceeds the limit " + SafetensorsSource.MAX_HEADER_BYTES);
            }
            json = Files.readAllBytes(index);
        } catch (IOException e) {
            throw new CheckpointFormatException(where, null, "cannot read index: " + e.getMessage(), e);
        }
        if (!(Json.parse(json, where) instanceof Map<?, ?> root) || !(root.get("weight_map") instanceof Map<?, ?> weightMap)) {
            throw new CheckpointFormatException(where, "index has no \"weight_map\" object");
        }
        Path dir = index.toAbsolutePath().getParent();
        Map<String, SafetensorsSource> shards = new LinkedHashMap<>();
        Map<String, SafetensorsSource> byTensor = new LinkedHashMap<>();
        try {
            for (Map.Entry<?, ?> e : weightMap.entrySet()) {
                String tensor = (String) e.getKey();
                if (!(e.getValue() instanceof String shardName) || !isPlainFileName(shardName)) {
                    throw new CheckpointFormatException(where, tensor, "shard " + e.getValue()
                            + " is not a plain file name beside the index");
                }
                SafetensorsSource shard = shards.get(shardName);
                if (shard == null) {
                    try {
                        shard = SafetensorsSource.openFile(dir.resolve(shardName));
                    } catch (CheckpointFormatException bad) { // name the index too: it is what the user passed
                        throw new CheckpointFormatException(where, tensor, "shard " + shardName + " is unusable: " + bad.getMessage(), bad);
                    }
                    shards.put(shardName, shard);
                }
                if (shard.info(tensor).isEmpty()) {
                    throw new CheckpointFormatException(where, tensor, "index maps it to " + shardName + ", which does not hold it");
                }
                byTensor.put(tensor, shard);
            }
        } catch (RuntimeException ex) {
            shards.values().forEach(SafetensorsSource::close);
            throw ex;
        }
        return new ShardedSafetensorsSource(index, byTensor, shards);
    }

    /** Shard names come from a file we do not trust: no directories, no "..", so nothing outside the folder is read. */
    private static boolean isPlainFileName(String s) {
        return !s.isEmpty() && !s.equals(".") && !s.equals("..") && s.indexOf('/') < 0 && s.indexOf('\\') < 0
                && s.indexOf('\0') < 0 && !s.contains(":");
    }

    @Override
    public List<String> names() {
        return List.copyOf(byTensor.keySet());
    }

    @Override
    public Optional<TensorInfo> info(String name) {
        SafetensorsSource s = byTensor.get(name);
        return s == null ? Optional.empty() : s.info(name);
    }

    @Override
    public float[] readFloat(String name) {
        return shard(name).readFloat(name);
    }

    @Override
    public void readFloatInto(String name, java.nio.FloatBuffer out) {
        shard(name).readFloatInto(name, out);
    }

    @Override
    public long[] readLong(String name) {
        return shard(name).readLong(name);
    }

    @Override
    public byte[] readRaw(String name) {
        return shard(name).readRaw(name);
    }

    private SafetensorsSource shard(String name) {
        SafetensorsSource s = byTensor.get(name);
        if (s == null) {
            throw new CheckpointFormatException(describe(), name, "no such tensor");
        }
        return s;
    }

    @Override
    public Path file() {
        return index;
    }

    @Override
    public void close() {
        shards.values().forEach(SafetensorsSource::close);
    }
}
