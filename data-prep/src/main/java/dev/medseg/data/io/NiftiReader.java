package dev.medseg.data.io;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads NIfTI-1 images ({@code .nii}, {@code .nii.gz}, {@code .hdr}/{@code .img} pairs, image part optionally
 * {@code .img.gz}) written from the NIfTI-1 standard; no library.
 *
 * <ul>
 *   <li>gzip is recognised by its magic bytes (1f 8b), whatever the file name, and decompressed as a stream.</li>
 *   <li>Byte order: from sizeof_hdr == 348 read little- or big-endian; both are read.</li>
 *   <li>Datatypes: see {@link NiftiDatatype}; unsigned types are read as unsigned (uint16 0..65535, uint32 and
 *       uint64 through double, never negative).</li>
 *   <li>{@link #read} applies scl_slope/scl_inter (when the slope is finite and non-zero) and returns floats.
 *       float64 values beyond the float range become infinite; NaN/inf stay as they are
 *       ({@link Volume#countNonFinite()}).</li>
 *   <li>{@link #readLabels} returns exact integer ids: integer data without scaling is copied exactly; scaled or
 *       float data must be whole numbers (within 1e-6 relative, to absorb float32 scale factors) in
 *       0..2^31-1, else the file is refused.</li>
 *   <li>Affine: sform when sform_code > 0, else qform (quaternion, qfac = sign of pixdim[0]) when
 *       qform_code > 0, else the standard's "method 1" diag(pixdim) with no offset (nibabel instead flips x and
 *       centres the grid for such files). Spacing is |pixdim[1..3]|; both are converted to mm by xyzt_units
 *       (unknown counts as mm).</li>
 *   <li>2-D images become one slice (nz = 1); 4-D images need a frame index.</li>
 *   <li>For gzip data the size cannot be known up front: the frame is allocated (within {@code maxVoxels})
 *       before a truncated stream can be noticed.</li>
 *   <li>Voxels are returned in the file's own order; call {@code toCanonical()} for RAS+ order.</li>
 * </ul>
 * Sizes are checked before any allocation: against the file size for uncompressed data and against
 * {@code maxVoxels} always. Every failure is an {@link ImageFormatException} naming the file.
 */
public final class NiftiReader {

    /** Default largest frame read: 2^30 voxels (4 GiB as float). */
    public static final long DEFAULT_MAX_VOXELS = 1L << 30;

    private static final int CHUNK_BYTES = 1 << 20;
    /** Smallest first allocation for a compressed frame (4 MB of floats); see {@link Frame#initialCapacity()}. */
    private static final int INITIAL_COMPRESSED_VOXELS = 1 << 20;
    /**
     * Deflate's largest expansion: a 258-byte match costs at least 2 bits, so a gzip stream never inflates to more
     * than 1032 times its own size. Bounds what a compressed file can deliver before it is read.
     */
    static final long MAX_DEFLATE_RATIO = 1032;

    private final long maxVoxels;

    /** A reader with the default voxel limit. */
    public NiftiReader() {
        this(DEFAULT_MAX_VOXELS);
    }

    /** A reader that refuses frames of more than {@code maxVoxels} voxels before allocating them. */
    public NiftiReader(long maxVoxels) {
        if (maxVoxels <= 0) {
            throw new IllegalArgumentException("maxVoxels must be positive: " + maxVoxels);
        }
        this.maxVoxels = maxVoxels;
    }

    /** Reads and validates only the header (of the .hdr for a pair). */
    public NiftiHeader readHeader(Path path) {
        Path headerPath = headerPath(path);
        try (InputStream in = open(headerPath)) {
            return readHeader(in, headerPath);
        } catch (IOException e) {
            throw ioFailure(headerPath, e);
        }
    }

    /** Reads a 2-D or 3-D image (a 4-D one only when it has a single frame) as scaled floats. */
    public Volume read(Path path) {
        return read(path, -1);
    }

    /** Reads frame {@code frame} (0-based, dim[4]) of a 4-D image, or the image itself when 2-D/3-D and frame is 0. */
    public Volume read(Path path, int frame) {
        Frame f = readFrame(path, frame);
        int voxels = (int) f.header.frameVoxels();
        float[][] out = {new float[f.initialCapacity()]};
        f.decode((buffer, voxel, count) -> {
            if (voxel + count > out[0].length) {
                out[0] = Arrays.copyOf(out[0], grownCapacity(out[0].length, voxel + count, voxels));
            }
            decodeFloats(f.header, buffer, out[0], voxel, count);
        });
        return new Volume(out[0], f.header.geometry(), typeName(f.header), f.dataPath.toString());
    }

    /** Reads a 2-D or 3-D label map as exact non-negative integer ids. */
    public LabelVolume readLabels(Path path) {
        return readLabels(path, -1);
    }

    /** Reads frame {@code frame} of a 4-D label map (or a 2-D/3-D one with frame 0) as exact integer ids. */
    public LabelVolume readLabels(Path path, int frame) {
        Frame f = readFrame(path, frame);
        int voxels = (int) f.header.frameVoxels();
        int[][] out = {new int[f.initialCapacity()]};
        f.decode((buffer, voxel, count) -> {
            if (voxel + count > out[0].length) {
                out[0] = Arrays.copyOf(out[0], grownCapacity(out[0].length, voxel + count, voxels));
            }
            decodeLabels(f, buffer, out[0], voxel, count);
        });
        return new LabelVolume(out[0], f.header.geometry(), typeName(f.header), f.dataPath.toString());
    }

    /**
     * First allocation (voxels) for a frame of {@code voxels} (already within the voxel limit) read from a gzip
     * file of {@code compressedBytes}: what the file could inflate to at most, at least 2^20 voxels.
     */
    static int initialCompressedCapacity(long voxels, long compressedBytes, int bytesPerVoxel) {
        long deliverable = compressedBytes / bytesPerVoxel * MAX_DEFLATE_RATIO;
        return (int) Math.min(voxels, Math.max(INITIAL_COMPRESSED_VOXELS, deliverable));
    }

    /** Doubles {@code capacity} until it holds {@code needed} voxels, never past the frame's {@code voxels}. */
    static int grownCapacity(int capacity, int needed, int voxels) {
        long c = Math.max(capacity, 1);
        while (c < needed) {
            c *= 2;
        }
        return (int) Math.min(c, voxels);
    }

    private interface ChunkDecoder {
        void decode(ByteBuffer buffer, int firstVoxel, int count);
    }

    /** An open data stream positioned at the start of the requested frame. */
    private record Frame(NiftiHeader header, Path dataPath, InputStream data, boolean compressed, boolean last,
                         long compressedBytes) {

        /**
         * Voxels to allocate before any data is read. An uncompressed file was checked against its size, so the
         * whole frame is there. A gzip stream's length is unknown until it is read, so a tiny .nii.gz declaring a
         * frame of 10^9 voxels must not cost 4 GB up front: allocate no more than the file could possibly inflate
         * to ({@link #MAX_DEFLATE_RATIO} times its size, at least {@link #INITIAL_COMPRESSED_VOXELS}) and grow as
         * data actually arrives. A real volume is allocated once at its full size (growing by doubling copied a
         * 39M-voxel CT volume seven times); a forged header gets no more than its file's data could fill anyway.
         */
        int initialCapacity() {
            long voxels = header.frameVoxels();
            return compressed ? initialCompressedCapacity(voxels, compressedBytes, header.datatype().bytes()) : (int) voxels;
        }

        void decode(ChunkDecoder decoder) {
            int bytesPerVoxel = header.datatype().bytes();
            long expected = header.frameBytes();
            byte[] chunk = new byte[(int) Math.min(CHUNK_BYTES, expected)];
            ByteBuffer buffer = ByteBuffer.wrap(chunk).order(header.byteOrder());
            long done = 0;
            try (InputStream in = data) {
                while (done < expected) {
                    int want = (int) Math.min(chunk.length, expected - done);
                    int got = readUpTo(in, chunk, want);
                    if (got < want) {
                        throw new ImageFormatException(dataPath, "voxel data truncated: expected " + expected
                                + " bytes for the frame at byte offset " + header.voxOffset() + ", found "
                                + (done + got) + (compressed ? " (gzip stream ended early)" : ""));
                    }
                    decoder.decode(buffer, (int) (done / bytesPerVoxel), want / bytesPerVoxel);
                    done += want;
                }
                if (compressed && last) {
                    // gzip checks its CRC only at the end of the stream: read a little further to reach it
                    // (bounded, so trailing junk cannot make this slow)
                    skipUpTo(in, 1 << 16);
                }
            } catch (ZipException e) {
                throw new ImageFormatException(dataPath, "corrupt gzip data: " + e.getMessage(), e);
            } catch (IOException e) {
                throw ioFailure(dataPath, e);
            }
        }
    }

    private Frame readFrame(Path path, int frame) {
        Path headerPath = headerPath(path);
        InputStream headerStream = null;
        try {
            headerStream = open(headerPath);
            NiftiHeader header = readHeader(headerStream, headerPath);
            int index = checkFrame(header, frame, headerPath);
            if (header.frameVoxels() > maxVoxels) {
                throw new ImageFormatException(headerPath, "declared frame of " + header.frameVoxels()
                        + " voxels exceeds the limit of " + maxVoxels + " voxels");
            }
            Path dataPath;
            InputStream data;
            long skip;
            if (header.singleFile()) {
                dataPath = headerPath;
                data = headerStream;
                skip = header.voxOffset() - NiftiHeader.SIZE;
            } else {
                headerStream.close();
                dataPath = imagePath(headerPath);
                data = open(dataPath);
                skip = header.voxOffset();
            }
            headerStream = data;
            boolean compressed = data instanceof GZIPInputStream;
            if (!compressed) {
                checkAgainstFileSize(header, dataPath);
            }
            long compressedBytes = compressed ? Files.size(dataPath) : 0;
            skip += index * header.frameBytes();
            long skipped = skipUpTo(data, skip);
            if (skipped < skip) {
                throw new ImageFormatException(dataPath, "vox_offset " + header.voxOffset()
                        + (index > 0 ? " plus frame " + index : "") + " is past the end of the data ("
                        + (header.singleFile() ? skipped + NiftiHeader.SIZE : skipped) + " bytes)");
            }
            headerStream = null; // ownership passes to the Frame
            return new Frame(header, dataPath, data, compressed, index == header.frames() - 1, compressedBytes);
        } catch (ZipException e) {
            throw new ImageFormatException(headerPath, "corrupt gzip data: " + e.getMessage(), e);
        } catch (IOException e) {
            throw ioFailure(headerPath, e);
        } finally {
            closeQuietly(headerStream);
        }
    }

    private static NiftiHeader readHeader(InputStream in, Path headerPath) throws IOException {
        byte[] bytes = new byte[NiftiHeader.SIZE];
        int got = readUpTo(in, bytes, bytes.length);
        if (got < bytes.length) {
            throw new ImageFormatException(headerPath, "file is too short for a NIfTI-1 header: " + got + " of "
                    + NiftiHeader.SIZE + " bytes");
        }
        return NiftiHeader.parse(bytes, headerPath.toString());
    }

    private static int checkFrame(NiftiHeader header, int frame, Path path) {
        if (frame < 0) {
            if (header.frames() > 1) {
                throw new ImageFormatException(path, "4-D image with " + header.frames()
                        + " frames: choose a frame index");
            }
            return 0;
        }
        if (frame >= header.frames()) {
            throw new ImageFormatException(path, "frame " + frame + " requested but the image has "
                    + header.frames() + " frame(s)");
        }
        return frame;
    }

    private static void checkAgainstFileSize(NiftiHeader header, Path dataPath) throws IOException {
        long size = Files.size(dataPath);
        if (header.voxOffset() >= size) {
            throw new ImageFormatException(dataPath, "vox_offset " + header.voxOffset()
                    + " is past the end of the file (" + size + " bytes)");
        }
        long needed = header.voxOffset() + header.dataBytes();
        if (needed > size) {
            throw new ImageFormatException(dataPath, "declared data of " + header.dataBytes() + " bytes ("
                    + describeShape(header) + ") from vox_offset " + header.voxOffset() + " needs " + needed
                    + " bytes but the file has " + size);
        }
    }

    private static String describeShape(NiftiHeader h) {
        VolumeGeometry g = h.geometry();
        return g.nx() + "x" + g.ny() + "x" + g.nz() + (h.frames() > 1 ? "x" + h.frames() : "") + " "
                + typeName(h);
    }

    private static void decodeFloats(NiftiHeader h, ByteBuffer b, float[] out, int first, int count) {
        NiftiDatatype type = h.datatype();
        int size = type.bytes();
        boolean scaled = h.scaled();
        double slope = h.slope();
        double inter = h.inter();
        // the common CT/MR cases get a loop of their own (no per-voxel type switch); same values
        if (!scaled && type == NiftiDatatype.INT16) {
            for (int i = 0; i < count; i++) {
                out[first + i] = b.getShort(2 * i);
            }
            return;
        }
        if (!scaled && type == NiftiDatatype.UINT8) {
            for (int i = 0; i < count; i++) {
                out[first + i] = b.get(i) & 0xFF;
            }
            return;
        }
        for (int i = 0; i < count; i++) {
            double v = raw(type, b, i * size);
            out[first + i] = (float) (scaled ? v * slope + inter : v);
        }
    }

    private static void decodeLabels(Frame f, ByteBuffer b, int[] out, int first, int count) {
        NiftiHeader h = f.header;
        NiftiDatatype type = h.datatype();
        int size = type.bytes();
        if (type == NiftiDatatype.UINT8 && !h.scaled()) { // every uint8 is a valid id: no check, no type switch
            for (int i = 0; i < count; i++) {
                out[first + i] = b.get(i) & 0xFF;
            }
            return;
        }
        if (type.isInteger() && !h.scaled()) {
            for (int i = 0; i < count; i++) {
                long v = rawInteger(type, b, i * size);
                if (v < 0 || v > Integer.MAX_VALUE) {
                    throw badLabel(f, first + i, type == NiftiDatatype.UINT64 && v < 0
                            ? Long.toUnsignedString(v) : Long.toString(v));
                }
                out[first + i] = (int) v;
            }
            return;
        }
        for (int i = 0; i < count; i++) {
            double v = raw(type, b, i * size) * h.slope() + h.inter();
            double id = Math.rint(v);
            if (!Double.isFinite(v) || Math.abs(v - id) > 1e-6 * Math.max(1, Math.abs(id))
                    || id < 0 || id > Integer.MAX_VALUE) {
                throw badLabel(f, first + i, Double.toString(v));
            }
            out[first + i] = (int) id;
        }
    }

    private static ImageFormatException badLabel(Frame f, int index, String value) {
        VolumeGeometry g = f.header.geometry();
        int x = index % g.nx();
        int y = (index / g.nx()) % g.ny();
        int z = index / (g.nx() * g.ny());
        return new ImageFormatException(f.dataPath, "not a label map: voxel (" + x + ", " + y + ", " + z
                + ") holds " + value + (f.header.scaled() ? " after scl_slope/scl_inter" : "")
                + ", not a whole number in 0.." + Integer.MAX_VALUE);
    }

    /** The stored value as a double; unsigned types are read as unsigned. */
    private static double raw(NiftiDatatype type, ByteBuffer b, int pos) {
        return switch (type) {
            case UINT8 -> b.get(pos) & 0xFF;
            case INT8 -> b.get(pos);
            case INT16 -> b.getShort(pos);
            case UINT16 -> b.getShort(pos) & 0xFFFF;
            case INT32 -> b.getInt(pos);
            case UINT32 -> b.getInt(pos) & 0xFFFFFFFFL;
            case INT64 -> (double) b.getLong(pos);
            case UINT64 -> unsignedToDouble(b.getLong(pos));
            case FLOAT32 -> b.getFloat(pos);
            case FLOAT64 -> b.getDouble(pos);
        };
    }

    /** The stored integer exactly; uint64 values of 2^63 and above come back negative (callers check). */
    private static long rawInteger(NiftiDatatype type, ByteBuffer b, int pos) {
        return switch (type) {
            case UINT8 -> b.get(pos) & 0xFF;
            case INT8 -> b.get(pos);
            case INT16 -> b.getShort(pos);
            case UINT16 -> b.getShort(pos) & 0xFFFF;
            case INT32 -> b.getInt(pos);
            case UINT32 -> b.getInt(pos) & 0xFFFFFFFFL;
            case INT64, UINT64 -> b.getLong(pos);
            case FLOAT32, FLOAT64 -> throw new IllegalStateException("not an integer type: " + type);
        };
    }

    /** Unsigned 64-bit integer to the nearest double. */
    static double unsignedToDouble(long v) {
        if (v >= 0) {
            return v;
        }
        // halve (keeping the low bit so rounding stays correct), convert, double again
        return ((v >>> 1) | (v & 1)) * 2.0;
    }

    private static String typeName(NiftiHeader h) {
        return h.datatype().name().toLowerCase(Locale.ROOT);
    }

    /** Opens a file, transparently decompressing it when it starts with the gzip magic bytes. */
    private static InputStream open(Path path) throws IOException {
        InputStream raw;
        try {
            raw = new BufferedInputStream(Files.newInputStream(path), 1 << 16);
        } catch (NoSuchFileException e) {
            throw new ImageFormatException(path, "file not found", e);
        }
        try {
            raw.mark(2);
            int b0 = raw.read();
            int b1 = raw.read();
            raw.reset();
            if (b0 == 0x1f && b1 == 0x8b) {
                return new GZIPInputStream(raw, 1 << 16);
            }
            return raw;
        } catch (IOException | RuntimeException e) {
            closeQuietly(raw);
            throw e;
        }
    }

    /** Reads until {@code want} bytes or the end of the stream; a gzip stream cut short counts as its end. */
    private static int readUpTo(InputStream in, byte[] buf, int want) throws IOException {
        int got = 0;
        try {
            while (got < want) {
                int n = in.read(buf, got, want - got);
                if (n < 0) {
                    break;
                }
                got += n;
            }
        } catch (EOFException e) {
            // GZIPInputStream: "Unexpected end of ZLIB input stream" - report as truncation with the count
        }
        return got;
    }

    /** Skips by reading (so the count is exact also past the end of a file); returns the bytes skipped. */
    private static long skipUpTo(InputStream in, long n) throws IOException {
        byte[] scratch = new byte[(int) Math.min(n, 1 << 16)];
        long done = 0;
        while (done < n) {
            int got = readUpTo(in, scratch, (int) Math.min(scratch.length, n - done));
            done += got;
            if (got == 0) {
                break;
            }
        }
        return done;
    }

    /** The header file of a path naming either part of a .hdr/.img pair, or the path itself. */
    static Path headerPath(Path path) {
        String name = path.getFileName() == null ? "" : path.getFileName().toString();
        String lower = name.toLowerCase(Locale.ROOT);
        for (String suffix : new String[] {".img.gz", ".img"}) {
            if (lower.endsWith(suffix)) {
                String base = name.substring(0, name.length() - suffix.length());
                for (String hdr : new String[] {".hdr", ".hdr.gz"}) {
                    Path candidate = path.resolveSibling(base + hdr);
                    if (Files.exists(candidate)) {
                        return candidate;
                    }
                }
                throw new ImageFormatException(path, "image file of a pair but no " + base + ".hdr next to it");
            }
        }
        return path;
    }

    /** The .img (or .img.gz) file next to a "ni1" header. */
    private static Path imagePath(Path headerPath) {
        String name = headerPath.getFileName().toString();
        String lower = name.toLowerCase(Locale.ROOT);
        String base = name;
        for (String suffix : new String[] {".hdr.gz", ".hdr", ".nii.gz", ".nii"}) {
            if (lower.endsWith(suffix)) {
                base = name.substring(0, name.length() - suffix.length());
                break;
            }
        }
        for (String img : new String[] {".img", ".img.gz"}) {
            Path candidate = headerPath.resolveSibling(base + img);
            if (Files.exists(candidate)) {
                return candidate;
            }
        }
        throw new ImageFormatException(headerPath, "magic \"ni1\" means the voxels are in a separate file, but "
                + base + ".img (or .img.gz) does not exist");
    }

    private static ImageFormatException ioFailure(Path path, IOException e) {
        if (e instanceof ZipException) {
            return new ImageFormatException(path, "corrupt gzip data: " + e.getMessage(), e);
        }
        if (e instanceof EOFException) {
            return new ImageFormatException(path, "truncated file (unexpected end of data): " + e.getMessage(), e);
        }
        return new ImageFormatException(path, "I/O error: " + e, e);
    }

    private static void closeQuietly(InputStream in) {
        if (in != null) {
            try {
                in.close();
            } catch (IOException ignored) {
                // nothing more to report: the primary failure is already being thrown
            }
        }
    }
}
