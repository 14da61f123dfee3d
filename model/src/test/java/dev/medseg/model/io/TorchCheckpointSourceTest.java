package dev.medseg.model.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TorchCheckpointSourceTest {
    @TempDir
    Path tmp;

    @Test
    void readsStateDictsOfEveryDtypeExactly() {
        for (String rel : List.of("torch/sd_fp32.pth", "torch/sd_fp16.pth", "torch/sd_bf16.pth", "torch/views.pth")) {
            try (TorchCheckpointSource src = TorchCheckpointSource.open(Fixtures.path(rel))) {
                assertEquals(Fixtures.recordedNames(rel), Set.copyOf(src.names()), rel);
                for (String n : src.names()) {
                    Fixtures.assertMatches(src, rel, n);
                }
            }
        }
    }

    @Test
    void batchNormBuffersKeepTheirTypes() {
        try (TorchCheckpointSource src = TorchCheckpointSource.open(Fixtures.path("torch/sd_fp32.pth"))) {
            assertEquals(List.of("conv.weight", "conv.bias", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var",
                    "bn.num_batches_tracked", "fc.weight", "fc.bias"), src.names());
            assertEquals(DType.I64, src.require("bn.num_batches_tracked").dtype());
            assertArrayEquals(new long[] {1}, src.readLong("bn.num_batches_tracked"));
            assertEquals(0, src.require("bn.num_batches_tracked").rank());
            assertArrayEquals(new long[] {3, 2, 3, 3}, src.require("conv.weight").shape());
        }
    }

    @Test
    void stridedViewsAreMaterialisedInCOrder() {
        try (TorchCheckpointSource src = TorchCheckpointSource.open(Fixtures.path("torch/views.pth"))) {
            // base = arange(20).reshape(4,5) * 0.25; transposed[i][j] = base[j][i]
            float[] t = src.readFloat("transposed");
            assertEquals(7 * 0.25f, t[2 * 4 + 1]);
            assertArrayEquals(new float[] {5 * .25f, 7 * .25f, 9 * .25f, 10 * .25f, 12 * .25f, 14 * .25f,
                    15 * .25f, 17 * .25f, 19 * .25f}, src.readFloat("slice"));
            assertArrayEquals(new float[] {0, 1, 2, 0, 1, 2}, src.readFloat("expanded"));
            assertEquals(DType.F64, src.require("permuted").dtype());
            assertEquals(DType.BOOL, src.require("flags").dtype());
            assertArrayEquals(new long[] {1, 0}, src.readLong("flags"));
            assertArrayEquals(new float[] {1.5f, -2.5f}, src.readFloat("param"));
            // raw bytes of a view are its C-order elements
            ByteBuffer raw = ByteBuffer.wrap(src.readRaw("row")).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(10 * 0.25f, raw.getFloat(0));
            assertEquals(20, raw.capacity());
        }
    }

    @Test
    void nestedDictsFlattenOrSelectASubDict() {
        try (TorchCheckpointSource all = TorchCheckpointSource.open(Fixtures.path("torch/nested.pth"));
             TorchCheckpointSource model = TorchCheckpointSource.open(Fixtures.path("torch/nested.pth"), "model")) {
            assertEquals(Fixtures.recordedNames("torch/nested.pth"), Set.copyOf(all.names())); // epoch, lr, note skipped
            for (String n : all.names()) {
                Fixtures.assertMatches(all, "torch/nested.pth", n);
            }
            assertEquals(9, model.names().size());
            assertArrayEquals(all.readFloat("model.fc.weight"), model.readFloat("fc.weight"));
            String msg = assertThrows(CheckpointFormatException.class,
                    () -> TorchCheckpointSource.open(Fixtures.path("torch/nested.pth"), "state_dict")).getMessage();
            assertTrue(msg.contains("nested.pth") && msg.contains("no top-level dict 'state_dict'"), msg);
        }
    }

    @Test
    void metaLlamaConsolidatedLayout() {
        String rel = "torch/llama_meta_consolidated.pth";
        try (TorchCheckpointSource src = TorchCheckpointSource.open(Fixtures.path(rel))) {
            assertEquals(1 + 3 * 10 + 2, src.names().size());
            assertEquals(DType.F16, src.require("layers.2.attention.wq.weight").dtype());
            for (String n : Fixtures.recordedNames(rel)) {
                Fixtures.assertMatches(src, rel, n);
            }
        }
    }

    @Test
    void legacyFormatIsRejectedWithAdvice() {
        Path p = Fixtures.path("torch/legacy.pth");
        String msg = assertThrows(CheckpointFormatException.class, () -> TorchCheckpointSource.open(p)).getMessage();
        assertTrue(msg.startsWith(p.toString()) && msg.contains("legacy (pre-1.6") && msg.contains("save it again"), msg);
    }

    @Test
    void maliciousGlobalIsRefusedBeforeAnythingRuns() throws IOException {
        // the classic payload: os.system('touch pwned') via GLOBAL + REDUCE
        byte[] pkl = new PickleBuilder().proto().global("os", "system").mark().str("touch pwned").tuple().reduce().stop().bytes();
        Path p = PickleBuilder.checkpoint(tmp.resolve("evil.pth"), pkl, Map.of());
        String msg = assertThrows(CheckpointFormatException.class, () -> TorchCheckpointSource.open(p)).getMessage();
        assertTrue(msg.startsWith(p.toString()) && msg.contains("unsupported pickle global os.system"), msg);
        assertTrue(Files.notExists(Path.of("pwned")));
        // builtins.eval through STACK_GLOBAL, and the unwhitelisted torch._utils._rebuild_from_type_v2
        byte[] stackGlobal = new PickleBuilder().proto().str("builtins").str("eval").op(0x93).stop().bytes();
        Path q = PickleBuilder.checkpoint(tmp.resolve("evil2.pth"), stackGlobal, Map.of());
        assertTrue(assertThrows(CheckpointFormatException.class, () -> TorchCheckpointSource.open(q)).getMessage()
                .contains("unsupported pickle global builtins.eval"));
    }

    @Test
    void unsupportedOpcodesAreNamed() throws IOException {
        // INST ('i') imports and calls in one opcode; NEWOBJ (0x81) builds arbitrary classes
        for (int op : new int[] {'i', 0x81, 'B'}) {
            byte[] pkl = new PickleBuilder().proto().op(op).stop().bytes();
            Path p = PickleBuilder.checkpoint(tmp.resolve("op" + op + ".pth"), pkl, Map.of());
            String msg = assertThrows(CheckpointFormatException.class, () -> TorchCheckpointSource.open(p)).getMessage();
            assertTrue(msg.startsWith(p.toString()) && msg.contains(String.format("unsupported pickle opcode 0x%02x", op)), msg);
        }
    }

    @Test
    void handBuiltPickleWithLong1SizesReads() throws IOException {
        byte[] pkl = new PickleBuilder().proto().emptyDict().str("w")
                .tensor("0", 6, 1, new long[] {2, 2}, new long[] {1, 2}).setitem().stop().bytes();
        byte[] storage = Elements.encode(new float[] {0, 1, 2, 3, 4, 5}, DType.F32);
        Path p = PickleBuilder.checkpoint(tmp.resolve("ok.pth"), pkl, Map.of("0", storage));
        try (TorchCheckpointSource src = TorchCheckpointSource.open(p)) {
            // offset 1, stride (1, 2): [[1, 3], [2, 4]]
            assertArrayEquals(new float[] {1, 3, 2, 4}, src.readFloat("w"));
        }
    }

    @Test
    void viewsBeyondTheirStorageOrAbsurdShapesAreRefused() throws IOException {
        byte[] storage = Elements.encode(new float[6], DType.F32);
        String msg = openForged(new long[] {4, 2}, new long[] {2, 1}, 6, storage);
        assertTrue(msg.contains("tensor 'w'") && msg.contains("reaches element 7 of a storage of 6"), msg);
        msg = openForged(new long[] {1_000_000, 1_000_000}, new long[] {1_000_000, 1}, 6, storage);
        assertTrue(msg.contains("tensor 'w'") && msg.contains("of a storage of 6"), msg);
        msg = openForged(new long[] {1L << 32, 1L << 32, 4}, new long[] {0, 0, 0}, 6, storage);
        assertTrue(msg.contains("tensor 'w'") && msg.contains("overflows a 64-bit element count"), msg);
        msg = openForged(new long[] {2}, new long[] {1}, 1L << 40, storage);
        assertTrue(msg.contains("tensor 'w'") && msg.contains("its entry has 24 bytes"), msg);
    }

    private String openForged(long[] size, long[] stride, long numel, byte[] storage) throws IOException {
        byte[] pkl = new PickleBuilder().proto().emptyDict().str("w").tensor("0", numel, 0, size, stride).setitem().stop().bytes();
        Path p = PickleBuilder.checkpoint(tmp.resolve("f" + System.nanoTime() + ".pth"), pkl, Map.of("0", storage));
        String msg = assertThrows(CheckpointFormatException.class, () -> TorchCheckpointSource.open(p)).getMessage();
        assertTrue(msg.startsWith(p.toString()), msg);
        return msg;
    }

    @Test
    void selfContainingDictAndTruncatedPickle() throws IOException {
        // d = {}; d['me'] = d  (memo put 0, get 0)
        byte[] cyc = new PickleBuilder().proto().emptyDict().op('q').op(0).str("me").op('h').op(0).setitem().stop().bytes();
        Path p = PickleBuilder.checkpoint(tmp.resolve("cyc.pth"), cyc, Map.of());
        assertTrue(assertThrows(CheckpointFormatException.class, () -> TorchCheckpointSource.open(p)).getMessage()
                .contains("containing themselves"));
        byte[] cut = new PickleBuilder().proto().emptyDict().str("w").bytes();
        Path q = PickleBuilder.checkpoint(tmp.resolve("cut.pth"), Arrays.copyOf(cut, cut.length - 1), Map.of());
        assertTrue(assertThrows(CheckpointFormatException.class, () -> TorchCheckpointSource.open(q)).getMessage()
                .contains("truncated"));
    }

    @Test
    void truncatedStorageEntryNamesTheTensor() throws IOException {
        Path src = Fixtures.path("torch/sd_fp32.pth");
        Path out = tmp.resolve("short.pth");
        // copy the archive, cutting 4 bytes off the storage of fc.weight (key found from a clean read)
        String key;
        try (ZipFile z = new ZipFile(src.toFile())) {
            key = z.stream().map(ZipEntry::getName).filter(n -> n.contains("/data/")).filter(n -> z.getEntry(n).getSize() == 32)
                    .findFirst().orElseThrow(); // fc.weight is 2x4 f32; no other storage has 32 bytes
        }
        try (ZipFile z = new ZipFile(src.toFile()); ZipOutputStream zo = new ZipOutputStream(Files.newOutputStream(out))) {
            for (ZipEntry e : java.util.Collections.list(z.entries())) {
                byte[] b;
                try (InputStream in = z.getInputStream(e)) {
                    b = in.readAllBytes();
                }
                zo.putNextEntry(new ZipEntry(e.getName()));
                zo.write(e.getName().equals(key) ? Arrays.copyOf(b, b.length - 4) : b);
                zo.closeEntry();
            }
        }
        String msg = assertThrows(CheckpointFormatException.class, () -> TorchCheckpointSource.open(out)).getMessage();
        assertTrue(msg.startsWith(out.toString()) && msg.contains("tensor 'fc.weight'") && msg.contains("(truncated?)"), msg);
    }

    @Test
    void truncatedFileIsReported() throws IOException {
        byte[] b = Files.readAllBytes(Fixtures.path("torch/sd_fp32.pth"));
        Path cut = tmp.resolve("cut.pth");
        Files.write(cut, Arrays.copyOf(b, b.length - 100));
        String msg = assertThrows(CheckpointFormatException.class, () -> TorchCheckpointSource.open(cut)).getMessage();
        assertTrue(msg.startsWith(cut.toString()) && msg.contains("not a readable zip archive"), msg);
    }
}
