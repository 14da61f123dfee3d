package dev.medseg.model.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * A NumPy {@code .npz} archive (a zip of {@code .npy} entries, stored or deflated), read entry by entry
 * without extracting anything to disk. Tensor names are the entry names without {@code .npy}, e.g.
 * {@code Transformer/encoderblock_0/MlpBlock_3/Dense_0/kernel} in TransUNet's {@code R50+ViT-B_16.npz}.
 */
public final class NpzSource extends AbstractTensorSource {
    /** Deflate cannot compress better than about 1032:1, so a larger declared size is a lie. */
    private static final long MAX_DEFLATE_RATIO = 1032;

    private final Path file;
    private final ZipFile zip;
    private final Map<String, ZipEntry> entries;
    private final Map<String, NpyFormat.Header> headers = new ConcurrentHashMap<>();

    private NpzSource(Path file, ZipFile zip, Map<String, ZipEntry> entries) {
        this.file = file;
        this.zip = zip;
        this.entries = entries;
    }

    /** Opens {@code file}; only the zip's central directory is read here. */
    public static NpzSource open(Path file) {
        ZipFile zip;
        try {
            zip = new ZipFile(file.toFile());
        } catch (ZipException e) {
            throw new CheckpointFormatException(file.toString(), null, "not a readable zip archive (truncated?): " + e.getMessage(), e);
        } catch (IOException e) {
            throw new CheckpointFormatException(file.toString(), null, "cannot open: " + e.getMessage(), e);
        }
        Map<String, ZipEntry> entries = new java.util.LinkedHashMap<>();
        var it = zip.entries();
        while (it.hasMoreElements()) {
            ZipEntry e = it.nextElement();
            if (!e.isDirectory() && e.getName().endsWith(".npy")) {
                String name = e.getName().substring(0, e.getName().length() - 4);
                if (entries.put(name, e) != null) {
                    closeQuietly(zip);
                    throw new CheckpointFormatException(file.toString(), name, "appears twice in the archive");
                }
            }
        }
        if (entries.isEmpty()) {
            // an archive with no arrays is not a checkpoint (e.g. a torch zip without data.pkl): say so, not "0 tensors"
            int all = zip.size();
            closeQuietly(zip);
            throw new CheckpointFormatException(file.toString(), "zip holds no .npy arrays among its " + all
                    + " entries (not an .npz of arrays, nor a torch.save checkpoint with <archive>/data.pkl)");
        }
        return new NpzSource(file, zip, entries);
    }

    @Override
    public List<String> names() {
        return Collections.unmodifiableList(new ArrayList<>(entries.keySet()));
    }

    @Override
    public Optional<TensorInfo> info(String name) {
        ZipEntry e = entries.get(name);
        if (e == null) {
            return Optional.empty();
        }
        NpyFormat.Header h = header(name, e);
        return Optional.of(new TensorInfo(name, h.dtype(), h.shape(), h.dataOffset(), h.dataBytes()));
    }

    private NpyFormat.Header header(String name, ZipEntry e) {
        NpyFormat.Header cached = headers.get(name);
        if (cached != null) {
            return cached;
        }
        long size = checkedEntrySize(name, e);
        try (InputStream in = zip.getInputStream(e)) {
            NpyFormat.Header h = NpyFormat.readHeader(in, size, describe(), name);
            headers.put(name, h);
            return h;
        } catch (IOException ex) {
            throw new CheckpointFormatException(describe(), name, "cannot read entry: " + ex.getMessage(), ex);
        }
    }

    /** The entry's declared uncompressed size, after checking it against what its compressed size allows. */
    private long checkedEntrySize(String name, ZipEntry e) {
        long size = e.getSize();
        long csize = e.getCompressedSize();
        if (size < 0 || csize < 0) {
            throw new CheckpointFormatException(describe(), name, "zip entry has no declared size");
        }
        long bound = e.getMethod() == ZipEntry.STORED ? csize : csize * MAX_DEFLATE_RATIO + 1024;
        if (size > bound) {
            throw new CheckpointFormatException(describe(), name, "zip entry declares " + size + " bytes from " + csize
                    + " compressed bytes, more than its method allows");
        }
        return size;
    }

    @Override
    ByteBuffer contiguous(TensorInfo t) {
        ZipEntry e = entries.get(t.name());
        NpyFormat.Header h = header(t.name(), e);
        int len = (int) t.byteLength(); // the caller checked it fits an array; the header check bounded it by the entry
        try (InputStream in = zip.getInputStream(e)) {
            in.skipNBytes(h.dataOffset());
            byte[] data = new byte[len];
            int got = in.readNBytes(data, 0, len);
            if (got != len) {
                throw new CheckpointFormatException(describe(), t.name(), "truncated: " + got + " of " + len + " data bytes present");
            }
            return NpyFormat.toCOrder(ByteBuffer.wrap(data).order(h.order()), h);
        } catch (IOException ex) {
            throw new CheckpointFormatException(describe(), t.name(), "cannot read entry (corrupt or truncated?): " + ex.getMessage(), ex);
        }
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
