package dev.medseg.model.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Builds pickle bytes opcode by opcode, to forge checkpoints no honest torch.save would write. */
final class PickleBuilder {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    PickleBuilder op(int opcode) {
        out.write(opcode);
        return this;
    }

    PickleBuilder proto() {
        return op(0x80).op(2);
    }

    PickleBuilder global(String module, String name) {
        op('c');
        out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
        return this;
    }

    PickleBuilder str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        op('X');
        int n = b.length;
        out.write(n);
        out.write(n >>> 8);
        out.write(n >>> 16);
        out.write(n >>> 24);
        out.writeBytes(b);
        return this;
    }

    PickleBuilder int1(int v) {
        return op('K').op(v);
    }

    /** LONG1 with {@code n} little-endian two's-complement bytes of {@code v}. */
    PickleBuilder long1(long v, int n) {
        op(0x8a).op(n);
        for (int k = 0; k < n; k++) {
            out.write((int) (v >>> (8 * k)));
        }
        return this;
    }

    PickleBuilder mark() {
        return op('(');
    }

    PickleBuilder tuple() {
        return op('t');
    }

    PickleBuilder emptyDict() {
        return op('}');
    }

    PickleBuilder emptyTuple() {
        return op(')');
    }

    PickleBuilder reduce() {
        return op('R');
    }

    PickleBuilder setitem() {
        return op('s');
    }

    PickleBuilder stop() {
        return op('.');
    }

    /** Pushes the persistent id ('storage', torch.FloatStorage, key, 'cpu', numel) and BINPERSID. */
    PickleBuilder floatStorage(String key, long numel) {
        mark().str("storage").global("torch", "FloatStorage").str(key).str("cpu").long1(numel, 8).tuple();
        return op('Q');
    }

    /** A _rebuild_tensor_v2 call of a float storage view; size and stride are given as LONG1 (8 bytes) each. */
    PickleBuilder tensor(String key, long numel, long offset, long[] size, long[] stride) {
        global("torch._utils", "_rebuild_tensor_v2");
        mark();
        floatStorage(key, numel);
        long1(offset, 8);
        mark();
        for (long s : size) {
            long1(s, 8);
        }
        tuple();
        mark();
        for (long s : stride) {
            long1(s, 8);
        }
        tuple();
        op(0x89); // requires_grad False
        global("collections", "OrderedDict").emptyTuple().reduce();
        tuple();
        return reduce();
    }

    byte[] bytes() {
        return out.toByteArray();
    }

    /** Writes a torch-style zip: archive/data.pkl, archive/version and the given storages under archive/data/. */
    static Path checkpoint(Path file, byte[] pickle, Map<String, byte[]> storages) throws IOException {
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(file))) {
            put(z, "archive/data.pkl", pickle);
            put(z, "archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
            for (Map.Entry<String, byte[]> e : storages.entrySet()) {
                put(z, "archive/data/" + e.getKey(), e.getValue());
            }
        }
        return file;
    }

    private static void put(ZipOutputStream z, String name, byte[] b) throws IOException {
        z.putNextEntry(new ZipEntry(name));
        z.write(b);
        z.closeEntry();
    }
}
