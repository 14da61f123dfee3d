package dev.medseg.model.io;

import dev.medseg.model.io.RestrictedUnpickler.StorageRef;
import dev.medseg.model.io.RestrictedUnpickler.TensorRef;
import dev.medseg.model.io.RestrictedUnpickler.Tuple;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * A PyTorch checkpoint in the zip format {@code torch.save} writes since 1.6 ({@code <archive>/data.pkl},
 * {@code <archive>/data/<key>} storages, {@code <archive>/version}), e.g. Meta's {@code consolidated.00.pth}
 * or TransUNet's {@code epoch_149.pth}. The pickle is read by {@link RestrictedUnpickler}, which executes
 * nothing. Nested dicts are flattened with dotted names ({@code {'model': {'w': t}}} gives {@code model.w}),
 * or one top-level sub-dict is chosen with {@link #open(Path, String)}. Strided views are materialised in
 * C order; only little-endian storages are read. Pre-1.6 (non-zip) files are rejected.
 */
public final class TorchCheckpointSource extends AbstractTensorSource {
    /** Far above the data.pkl of a 65B-parameter LLaMA shard (well under 1 MB). */
    static final long MAX_PICKLE_BYTES = 256L << 20;
    /** Nesting of dicts in a checkpoint is a few levels; more is hostile. */
    static final int MAX_NESTING = 32;
    private static final long MAX_DEFLATE_RATIO = 1032;
    /** Containers visited while flattening; a memo-shared DAG could otherwise blow up exponentially. */
    static final int MAX_VISITS = 2_000_000;

    private final Path file;
    private final ZipFile zip;
    private final String prefix;
    private final Map<String, TensorRef> refs;
    private final Map<String, TensorInfo> infos;

    private TorchCheckpointSource(Path file, ZipFile zip, String prefix, Map<String, TensorRef> refs, Map<String, TensorInfo> infos) {
        this.file = file;
        this.zip = zip;
        this.prefix = prefix;
        this.refs = refs;
        this.infos = infos;
    }

    /** Opens a checkpoint and lists every tensor in it, nested dicts flattened with dotted prefixes. */
    public static TorchCheckpointSource open(Path file) {
        return open(file, null);
    }

    /**
     * Opens a checkpoint and lists only the tensors under the top-level key {@code subDict} (e.g. "model" or
     * "state_dict"), named relative to it; {@code null} lists everything.
     */
    public static TorchCheckpointSource open(Path file, String subDict) {
        String where = file.toString();
        rejectLegacy(file);
        ZipFile zip;
        try {
            zip = new ZipFile(file.toFile());
        } catch (ZipException e) {
            throw new CheckpointFormatException(where, null, "not a readable zip archive (truncated?): " + e.getMessage(), e);
        } catch (IOException e) {
            throw new CheckpointFormatException(where, null, "cannot open: " + e.getMessage(), e);
        }
        try {
            String prefix = archivePrefix(zip, where);
            ZipEntry order = zip.getEntry(prefix + "byteorder");
            if (order != null) {
                String bo = new String(readEntry(zip, order, 16, where), StandardCharsets.US_ASCII).trim();
                if (!bo.equals("little")) {
                    throw new CheckpointFormatException(where, "byteorder '" + bo + "' is not supported (only little-endian storages)");
                }
            }
            byte[] pickle = readEntry(zip, zip.getEntry(prefix + "data.pkl"), MAX_PICKLE_BYTES, where);
            Object root = RestrictedUnpickler.load(pickle, where);
            if (subDict != null) {
                if (!(root instanceof Map<?, ?> m) || !(m.get(subDict) instanceof Map<?, ?> sub)) {
                    throw new CheckpointFormatException(where, "has no top-level dict '" + subDict + "'");
                }
                root = sub;
            }
            Map<String, TensorRef> refs = new LinkedHashMap<>();
            flatten(root, "", refs, java.util.Collections.newSetFromMap(new IdentityHashMap<>()), new int[1], 0, where);
            if (refs.isEmpty()) {
                // e.g. a pickled list of numbers: reading it as an empty checkpoint would hide the mistake
                throw new CheckpointFormatException(where, "holds no tensors (its pickle is a "
                        + (root == null ? "None" : root.getClass().getSimpleName()) + " without any tensor inside)");
            }
            Map<String, TensorInfo> infos = new LinkedHashMap<>();
            for (Map.Entry<String, TensorRef> e : refs.entrySet()) {
                infos.put(e.getKey(), validate(zip, prefix, e.getKey(), e.getValue(), where));
            }
            return new TorchCheckpointSource(file, zip, prefix, refs, infos);
        } catch (RuntimeException e) {
            closeQuietly(zip);
            throw e;
        }
    }

    /** Pre-1.6 files start with a pickle (or are a tar); they need a PyTorch round trip, not a parser. */
    private static void rejectLegacy(Path file) {
        byte[] head = new byte[512];
        int n;
        try (InputStream in = Files.newInputStream(file)) {
            n = in.readNBytes(head, 0, head.length);
        } catch (IOException e) {
            throw new CheckpointFormatException(file.toString(), null, "cannot open: " + e.getMessage(), e);
        }
        boolean pickle = n >= 2 && (head[0] & 0xff) == 0x80;
        boolean tar = n >= 262 && new String(head, 257, 5, StandardCharsets.US_ASCII).equals("ustar");
        if (pickle || tar) {
            throw new CheckpointFormatException(file.toString(), "legacy (pre-1.6, non-zip) torch.save format is not supported;"
                    + " load it in PyTorch and save it again with torch.save(obj, path) (zip format, the default since 1.6)");
        }
    }

    /** The folder every entry lives in, found from its single {@code <archive>/data.pkl}. */
    private static String archivePrefix(ZipFile zip, String where) {
        List<String> found = new ArrayList<>();
        var it = zip.entries();
        while (it.hasMoreElements()) {
            String n = it.nextElement().getName();
            if (n.endsWith("/data.pkl") && n.indexOf('/') == n.length() - "/data.pkl".length()) {
                found.add(n.substring(0, n.length() - "data.pkl".length()));
            }
        }
        if (found.size() != 1) {
            throw new CheckpointFormatException(where, found.isEmpty()
                    ? "zip has no <archive>/data.pkl: not a torch.save checkpoint" : "zip has several data.pkl: " + found);
        }
        return found.get(0);
    }

    private static byte[] readEntry(ZipFile zip, ZipEntry e, long limit, String where) {
        long size = e.getSize();
        if (size < 0 || size > limit) {
            throw new CheckpointFormatException(where, "entry " + e.getName() + " declares " + size + " bytes (limit " + limit + ")");
        }
        try (InputStream in = zip.getInputStream(e)) {
            byte[] b = in.readNBytes((int) size);
            if (b.length != size) {
                throw new CheckpointFormatException(where, "entry " + e.getName() + " truncated: " + b.length + " of " + size + " bytes");
            }
            return b;
        } catch (IOException ex) {
            throw new CheckpointFormatException(where, null, "cannot read entry " + e.getName() + ": " + ex.getMessage(), ex);
        }
    }

    /** Collects the tensors under {@code node}; non-tensor leaves (epoch numbers, strings, ...) are skipped. */
    private static void flatten(Object node, String prefix, Map<String, TensorRef> out, Set<Object> onPath, int[] visits,
                                int depth, String where) {
        if (++visits[0] > MAX_VISITS) {
            throw new CheckpointFormatException(where, "more than " + MAX_VISITS + " objects to flatten (shared sub-dicts?)");
        }
        if (node instanceof TensorRef t) {
            if (out.put(prefix, t) != null) {
                throw new CheckpointFormatException(where, prefix, "name occurs twice after flattening nested dicts");
            }
            return;
        }
        if (!(node instanceof Map<?, ?>) && !(node instanceof List<?>) && !(node instanceof Tuple)) {
            return;
        }
        if (depth > MAX_NESTING || !onPath.add(node)) {
            throw new CheckpointFormatException(where, "containers nested deeper than " + MAX_NESTING + " or containing themselves at '" + prefix + "'");
        }
        String dot = prefix.isEmpty() ? "" : prefix + ".";
        if (node instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                flatten(e.getValue(), dot + e.getKey(), out, onPath, visits, depth + 1, where);
            }
        } else {
            List<?> items = node instanceof Tuple t ? t.items() : (List<?>) node;
            for (int k = 0; k < items.size(); k++) {
                flatten(items.get(k), dot + k, out, onPath, visits, depth + 1, where);
            }
        }
        onPath.remove(node);
    }

    /** Checks a view against its storage entry, so that no later read can run past the data. */
    private static TensorInfo validate(ZipFile zip, String prefix, String name, TensorRef t, String where) {
        StorageRef s = t.storage();
        DType dtype = s.dtype();
        long numel = Shapes.checkedNumel(t.size(), where, name);
        ZipEntry e = zip.getEntry(prefix + "data/" + s.key());
        if (e == null) {
            throw new CheckpointFormatException(where, name, "storage data/" + s.key() + " is missing from the archive");
        }
        long entryBytes = e.getSize();
        long bound = e.getMethod() == ZipEntry.STORED ? e.getCompressedSize() : e.getCompressedSize() * MAX_DEFLATE_RATIO + 1024;
        if (entryBytes < 0 || entryBytes > bound) {
            throw new CheckpointFormatException(where, name, "storage data/" + s.key() + " declares an impossible size " + entryBytes);
        }
        long declared = Shapes.checkedBytes(s.numel(), dtype, where, name);
        if (declared != entryBytes) {
            throw new CheckpointFormatException(where, name, "storage data/" + s.key() + " should hold " + s.numel() + " " + dtype
                    + " elements (" + declared + " bytes) but its entry has " + entryBytes + " bytes (truncated?)");
        }
        long spanBytes = 0;
        if (numel > 0) {
            long last;
            try {
                last = Math.addExact(t.offset(), Elements.maxIndex(t.size(), t.stride()));
            } catch (ArithmeticException ex) {
                throw new CheckpointFormatException(where, name, "size/stride overflow 64 bits");
            }
            if (last >= s.numel()) {
                throw new CheckpointFormatException(where, name, "view (offset " + t.offset() + ", size " + Arrays.toString(t.size())
                        + ", stride " + Arrays.toString(t.stride()) + ") reaches element " + last + " of a storage of " + s.numel());
            }
            spanBytes = (last - t.offset() + 1) * dtype.size();
        }
        return new TensorInfo(name, dtype, t.size(), t.offset() * dtype.size(), spanBytes);
    }

    @Override
    public List<String> names() {
        return List.copyOf(infos.keySet());
    }

    @Override
    public Optional<TensorInfo> info(String name) {
        return Optional.ofNullable(infos.get(name));
    }

    @Override
    ByteBuffer contiguous(TensorInfo info) {
        TensorRef t = refs.get(info.name());
        int es = info.dtype().size();
        if (info.numel() == 0) {
            return ByteBuffer.allocate(0); // an empty view reads nothing, whatever its offset says
        }
        int span = Shapes.checkedArrayLength(info.byteLength(), "storage span in bytes", describe(), info.name());
        ZipEntry e = zip.getEntry(prefix + "data/" + t.storage().key());
        byte[] bytes = new byte[span];
        try (InputStream in = zip.getInputStream(e)) {
            in.skipNBytes(info.offset()); // positional for stored entries, so cheap in a many-GB file
            int got = in.readNBytes(bytes, 0, span);
            if (got != span) {
                throw new CheckpointFormatException(describe(), info.name(), "storage truncated: " + got + " of " + span + " bytes");
            }
        } catch (IOException ex) {
            throw new CheckpointFormatException(describe(), info.name(), "cannot read storage data/" + t.storage().key()
                    + " (corrupt or truncated?): " + ex.getMessage(), ex);
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int numel = (int) info.numel();
        if (isContiguous(t.size(), t.stride()) || numel == 0) {
            return buf;
        }
        return ByteBuffer.wrap(Elements.gather(buf, t.size(), t.stride(), es, numel)).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static boolean isContiguous(long[] size, long[] stride) {
        long expected = 1;
        for (int d = size.length - 1; d >= 0; d--) {
            if (size[d] != 1 && stride[d] != expected) {
                return false;
            }
            expected *= size[d];
        }
        return true;
    }

    @Override
    public Path file() {
        return file;
    }

    @Override
    public void close() {
        closeQuietly(zip);
    }
}
