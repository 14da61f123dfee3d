package dev.medseg.model.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * NumPy's {@code .npy} format, versions 1.0, 2.0 and 3.0: a magic string, a Python-literal header
 * ({@code {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }}) and the raw elements.
 * Both byte orders are read; Fortran-order arrays are transposed to C order on reading. Writing uses
 * little-endian C order, version 1.0 (2.0 only if the header needs it), with numpy's 64-byte alignment.
 */
public final class NpyFormat {
    /** numpy rejects headers above 10 000 bytes unless told otherwise; a little room for long shapes. */
    static final int MAX_HEADER_BYTES = 1 << 16;
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

    private NpyFormat() {
    }

    /**
     * A parsed {@code .npy} header.
     *
     * @param dtype        element type
     * @param order        byte order of the stored elements
     * @param fortranOrder true if elements are stored column-major
     * @param shape        the array shape
     * @param dataOffset   bytes from the start of the .npy data to the first element
     */
    public record Header(DType dtype, ByteOrder order, boolean fortranOrder, long[] shape, int dataOffset) {
        /** Copies the shape so that the record stays immutable. */
        public Header {
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        /** Number of data bytes the header promises. */
        public long dataBytes() {
            return Shapes.numel(shape) * dtype.size();
        }
    }

    /** Opens a {@code .npy} file as a source holding one tensor, named after the file without {@code .npy}. */
    public static TensorSource open(Path file) {
        return new NpySource(file);
    }

    /**
     * Reads and validates the header at the start of {@code in}, whose total length is {@code totalBytes};
     * the data must then fill exactly the rest. Leaves {@code in} positioned at the first element.
     */
    public static Header readHeader(InputStream in, long totalBytes, String file, String tensor) {
        try {
            byte[] pre = readExactly(in, 8, file, tensor, "the .npy magic and version");
            if (!Arrays.equals(Arrays.copyOf(pre, 6), MAGIC)) {
                throw new CheckpointFormatException(file, tensor, "not a .npy array (bad magic)");
            }
            int major = pre[6] & 0xff;
            if (major < 1 || major > 3) {
                throw new CheckpointFormatException(file, tensor, "unsupported .npy version " + major + "." + (pre[7] & 0xff));
            }
            int lenBytes = major == 1 ? 2 : 4;
            ByteBuffer lb = ByteBuffer.wrap(readExactly(in, lenBytes, file, tensor, "the .npy header length"))
                    .order(ByteOrder.LITTLE_ENDIAN);
            long headerLen = major == 1 ? lb.getShort() & 0xffffL : lb.getInt() & 0xffffffffL;
            long prefix = 8 + lenBytes;
            if (headerLen > MAX_HEADER_BYTES || prefix + headerLen > totalBytes) {
                throw new CheckpointFormatException(file, tensor, "declared .npy header length " + headerLen
                        + " exceeds " + (headerLen > MAX_HEADER_BYTES ? "the limit " + MAX_HEADER_BYTES : "the data (" + totalBytes + " bytes)"));
            }
            byte[] text = readExactly(in, (int) headerLen, file, tensor, "the .npy header");
            String dict = new String(text, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
            Header h = new HeaderParser(dict, file, tensor).parse((int) (prefix + headerLen));
            long numel = Shapes.checkedNumel(h.shape, file, tensor);
            long need = Shapes.checkedBytes(numel, h.dtype, file, tensor);
            long have = totalBytes - h.dataOffset;
            if (need != have) {
                throw new CheckpointFormatException(file, tensor, "shape " + Arrays.toString(h.shape) + " of " + h.dtype
                        + " needs " + need + " data bytes but " + have + " follow the header"
                        + (need > have ? " (truncated?)" : ""));
            }
            return h;
        } catch (IOException e) {
            throw new CheckpointFormatException(file, tensor, "cannot read .npy header: " + e.getMessage(), e);
        }
    }

    /** Writes f32 values as a little-endian C-order {@code .npy} file. */
    public static void write(Path file, float[] data, long[] shape) throws IOException {
        writeRaw(file, DType.F32, shape, Elements.encode(data, DType.F32));
    }

    /** Writes int64 values as a little-endian C-order {@code .npy} file. */
    public static void write(Path file, long[] data, long[] shape) throws IOException {
        writeRaw(file, DType.I64, shape, Elements.encode(data, DType.I64));
    }

    /** Writes little-endian element bytes of {@code dtype} (not BF16, which numpy lacks) as a {@code .npy} file. */
    public static void writeRaw(Path file, DType dtype, long[] shape, byte[] littleEndian) throws IOException {
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file))) {
            writeRaw(out, dtype, shape, littleEndian);
        }
    }

    /** Writes a {@code .npy} array to a stream (for example a {@code .npz} entry); the stream stays open. */
    public static void writeRaw(OutputStream out, DType dtype, long[] shape, byte[] littleEndian) throws IOException {
        long numel = Shapes.checkedNumel(shape, "<npy writer>", null);
        if (numel * dtype.size() != littleEndian.length) {
            throw new IllegalArgumentException(littleEndian.length + " bytes do not match shape "
                    + Arrays.toString(shape) + " of " + dtype);
        }
        StringBuilder dims = new StringBuilder();
        for (long d : shape) {
            dims.append(d).append(", ");
        }
        String shapeText = shape.length == 1 ? "(" + shape[0] + ",)"
                : "(" + (shape.length == 0 ? "" : dims.substring(0, dims.length() - 2)) + ")";
        String dict = "{'descr': '" + descr(dtype) + "', 'fortran_order': False, 'shape': " + shapeText + ", }";
        String header = paddedHeader(dict, 2);
        int lenBytes = 2;
        if (header.length() > 0xffff) { // version 2.0 has a 4-byte header length
            lenBytes = 4;
            header = paddedHeader(dict, 4);
        }
        ByteBuffer pre = ByteBuffer.allocate(8 + lenBytes).order(ByteOrder.LITTLE_ENDIAN);
        pre.put(MAGIC).put((byte) (lenBytes == 2 ? 1 : 2)).put((byte) 0);
        if (lenBytes == 2) {
            pre.putShort((short) header.length());
        } else {
            pre.putInt(header.length());
        }
        out.write(pre.array());
        out.write(header.getBytes(StandardCharsets.ISO_8859_1));
        out.write(littleEndian);
    }

    /** The header text padded with spaces and a newline so that the data starts at a multiple of 64 bytes. */
    private static String paddedHeader(String dict, int lenBytes) {
        int unpadded = 8 + lenBytes + dict.length() + 1;
        int padded = (unpadded + 63) / 64 * 64;
        return dict + " ".repeat(padded - unpadded) + "\n";
    }

    private static String descr(DType dtype) {
        return switch (dtype) {
            case F16 -> "<f2";
            case F32 -> "<f4";
            case F64 -> "<f8";
            case I8 -> "|i1";
            case U8 -> "|u1";
            case I16 -> "<i2";
            case I32 -> "<i4";
            case I64 -> "<i8";
            case BOOL -> "|b1";
            case BF16 -> throw new IllegalArgumentException("numpy has no bfloat16; write F32 or use safetensors");
        };
    }

    private static byte[] readExactly(InputStream in, int n, String file, String tensor, String what) throws IOException {
        byte[] b = in.readNBytes(n);
        if (b.length != n) {
            throw new CheckpointFormatException(file, tensor, "truncated: " + what + " needs " + n + " bytes, only " + b.length + " present");
        }
        return b;
    }

    /** Turns stored bytes into C-order bytes, transposing a Fortran-order array. */
    static ByteBuffer toCOrder(ByteBuffer stored, Header h) {
        if (!h.fortranOrder || h.shape.length < 2) {
            return stored;
        }
        byte[] c = Elements.gather(stored, h.shape, Shapes.fortranStrides(h.shape), h.dtype.size(), (int) Shapes.numel(h.shape));
        return ByteBuffer.wrap(c).order(stored.order());
    }

    /** A strict parser for the small Python dict literal numpy writes as header. */
    private static final class HeaderParser {
        private final String s;
        private final String file;
        private final String tensor;
        private int i;

        HeaderParser(String s, String file, String tensor) {
            this.s = s;
            this.file = file;
            this.tensor = tensor;
        }

        Header parse(int dataOffset) {
            String descr = null;
            Boolean fortran = null;
            long[] shape = null;
            expect('{');
            while (true) {
                ws();
                if (peek() == '}') {
                    i++;
                    break;
                }
                String key = string();
                ws();
                expect(':');
                ws();
                switch (key) {
                    case "descr" -> {
                        if (peek() == '[') {
                            throw fail("structured dtypes are not supported");
                        }
                        descr = string();
                    }
                    case "fortran_order" -> fortran = bool();
                    case "shape" -> shape = tuple();
                    default -> throw fail("unexpected header key '" + key + "'");
                }
                ws();
                if (peek() == ',') {
                    i++;
                } else if (peek() != '}') {
                    throw fail("expected ',' or '}' at " + i);
                }
            }
            if (!s.substring(i).isBlank()) {
                throw fail("trailing text after the header dict");
            }
            if (descr == null || fortran == null || shape == null) {
                throw fail("header lacks descr, fortran_order or shape");
            }
            DType dtype = dtypeOf(descr);
            ByteOrder order = descr.charAt(0) == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
            return new Header(dtype, order, fortran, shape, dataOffset);
        }

        private DType dtypeOf(String descr) {
            if (descr.length() < 3 || "<>|=".indexOf(descr.charAt(0)) < 0) {
                throw fail("unsupported dtype '" + descr + "'");
            }
            DType d = switch (descr.substring(1)) {
                case "f2" -> DType.F16;
                case "f4" -> DType.F32;
                case "f8" -> DType.F64;
                case "i1" -> DType.I8;
                case "u1" -> DType.U8;
                case "i2" -> DType.I16;
                case "i4" -> DType.I32;
                case "i8" -> DType.I64;
                case "b1" -> DType.BOOL;
                default -> throw fail("unsupported dtype '" + descr + "'");
            };
            if (descr.charAt(0) == '|' && d.size() > 1) {
                throw fail("dtype '" + descr + "' lacks a byte order");
            }
            return d;
        }

        private String string() {
            char q = peek();
            if (q != '\'' && q != '"') {
                throw fail("expected a quoted string at " + i);
            }
            int end = s.indexOf(q, i + 1);
            if (end < 0) {
                throw fail("unterminated string");
            }
            String v = s.substring(i + 1, end);
            i = end + 1;
            return v;
        }

        private boolean bool() {
            if (s.startsWith("True", i)) {
                i += 4;
                return true;
            }
            if (s.startsWith("False", i)) {
                i += 5;
                return false;
            }
            throw fail("expected True or False at " + i);
        }

        private long[] tuple() {
            expect('(');
            List<Long> dims = new ArrayList<>();
            while (true) {
                ws();
                if (peek() == ')') {
                    i++;
                    break;
                }
                dims.add(integer());
                if (dims.size() > Shapes.MAX_RANK) {
                    throw fail("shape has more than " + Shapes.MAX_RANK + " dimensions");
                }
                ws();
                if (peek() == ',') {
                    i++;
                } else if (peek() != ')') {
                    throw fail("expected ',' or ')' in shape at " + i);
                }
            }
            return dims.stream().mapToLong(Long::longValue).toArray();
        }

        private long integer() {
            int start = i;
            long v = 0;
            while (i < s.length() && Character.isDigit(s.charAt(i)) && s.charAt(i) < 128) {
                try {
                    v = Math.addExact(Math.multiplyExact(v, 10), s.charAt(i) - '0');
                } catch (ArithmeticException e) {
                    throw fail("shape dimension overflows 64 bits");
                }
                i++;
            }
            if (i == start) {
                throw fail("expected a non-negative integer at " + i);
            }
            if (peek() == 'L') {
                i++; // written by Python 2
            }
            return v;
        }

        private void ws() {
            while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t' || s.charAt(i) == '\n')) {
                i++;
            }
        }

        private char peek() {
            return i < s.length() ? s.charAt(i) : '\0';
        }

        private void expect(char c) {
            ws();
            if (peek() != c) {
                throw fail("expected '" + c + "' at " + i);
            }
            i++;
        }

        private CheckpointFormatException fail(String problem) {
            return new CheckpointFormatException(file, tensor, "bad .npy header: " + problem + " in " + abbreviate(s));
        }

        private static String abbreviate(String s) {
            String t = s.strip();
            return t.length() > 200 ? t.substring(0, 200) + "..." : t;
        }
    }

    /** A {@code .npy} file as a one-tensor source; the data is memory-mapped when read. */
    private static final class NpySource extends AbstractTensorSource {
        private final Path file;
        private final FileChannel channel;
        private final Header header;
        private final TensorInfo info;

        NpySource(Path file) {
            this.file = file;
            try {
                this.channel = FileChannel.open(file, StandardOpenOption.READ);
            } catch (IOException e) {
                throw new CheckpointFormatException(file.toString(), null, "cannot open: " + e.getMessage(), e);
            }
            String name = file.getFileName().toString().replaceFirst("\\.npy$", "");
            try {
                InputStream in = Channels.newInputStream(channel.position(0));
                this.header = readHeader(in, channel.size(), file.toString(), null);
            } catch (IOException | RuntimeException e) {
                closeQuietly();
                if (e instanceof CheckpointFormatException c) {
                    throw c;
                }
                throw new CheckpointFormatException(file.toString(), null, "cannot read: " + e.getMessage(), e);
            }
            this.info = new TensorInfo(name, header.dtype(), header.shape(), header.dataOffset(), header.dataBytes());
        }

        @Override
        public List<String> names() {
            return List.of(info.name());
        }

        @Override
        public Optional<TensorInfo> info(String name) {
            return info.name().equals(name) ? Optional.of(info) : Optional.empty();
        }

        @Override
        ByteBuffer contiguous(TensorInfo t) {
            try {
                ByteBuffer stored = channel.map(FileChannel.MapMode.READ_ONLY, t.offset(), t.byteLength()).order(header.order());
                return toCOrder(stored, header);
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
            closeQuietly();
        }

        private void closeQuietly() {
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing was written; a failed close loses nothing
            }
        }
    }
}
