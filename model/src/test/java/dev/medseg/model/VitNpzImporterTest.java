package dev.medseg.model;

import dev.medseg.model.VitNpzImporter.Mode;
import dev.medseg.model.VitNpzImporter.PositionEmbedding;
import dev.medseg.model.VitNpzImporter.Result;
import dev.medseg.model.io.CheckpointFormatException;
import dev.medseg.model.io.DType;
import dev.medseg.model.io.NpyFormat;
import dev.medseg.model.io.NpzSource;
import dev.medseg.model.io.TensorSource;
import dev.medseg.model.nn.Graph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The ViT npz import against the official {@code VisionTransformer.load_from}: tests/fixtures/vitnpz/make_fixtures.py
 * wrote Google-format npz files and the state dict the official code makes of them.
 */
class VitNpzImporterTest {
    @TempDir Path dir;

    static final ModelConfig.Vit VIT = new ModelConfig.Vit(8, 2, 2, 16, 16, 0, 0);
    static final ModelConfig R50 = new ModelConfig(ModelConfig.Encoder.R50_VIT, 64, 1, 3, VIT, 32, List.of(1, 2, 1),
            List.of(4, 4, 4, 4), 3, Optional.empty());
    static final ModelConfig VIT_ONLY = new ModelConfig(ModelConfig.Encoder.VIT, 32, 1, 3, VIT, 32, List.of(),
            List.of(4, 4, 4, 4), 0, Optional.empty());
    static final List<String> CLASSIFIER = List.of("cls", "head/bias", "head/kernel", "pre_logits/bias", "pre_logits/kernel");

    static Path fixture(String name) {
        String prop = System.getProperty("medseg.repo.root");
        Path p = prop != null && !prop.isBlank() ? Path.of(prop) : Path.of("").toAbsolutePath();
        for (Path q = p.toAbsolutePath(); q != null; q = q.getParent()) {
            if (Files.isDirectory(q.resolve(".mvn"))) return q.resolve("tests/fixtures/vitnpz").resolve(name);
        }
        throw new IllegalStateException("no repo root with .mvn above " + p);
    }

    static Graph graph(ModelConfig c) {
        Graph g = new Graph(Graph.Mode.EVAL, 0, 1, DataType.FLOAT, null);
        TransUNet.build(g, c);
        return g;
    }

    static Result load(Graph g, Path npz, Mode mode) {
        try (TensorSource src = NpzSource.open(npz)) {
            return VitNpzImporter.load(g, src, mode);
        }
    }

    /** Every tensor the official load_from set equals ours (convs OIHW there, HWIO here); returns the max pos-emb error. */
    static double assertMatchesOfficial(Graph g, Result r, String official, Map<String, String> rename) {
        double posErr = 0;
        try (TensorSource ref = NpzSource.open(fixture(official))) {
            var refNames = new TreeSet<String>();
            for (String k : ref.names()) refNames.add(rename.getOrDefault(k, k));
            assertEquals(refNames, new TreeSet<>(r.loaded()), "the tensors load_from sets are exactly the ones we load");
            for (String k : ref.names()) {
                String ours = rename.getOrDefault(k, k);
                INDArray want = Nd4j.create(ref.readFloat(k), ref.require(k).shape(), 'c');
                if (want.rank() == 4) want = want.permute(2, 3, 1, 0); // OIHW -> HWIO
                INDArray got = g.sd().getArrForVarName(ours);
                assertArrayEquals(want.shape(), got.shape(), ours);
                double err = want.sub(got).amaxNumber().doubleValue();
                if (ours.equals("transformer.embeddings.position_embeddings")) posErr = err;
                else assertEquals(0.0, err, ours + " differs from the official load_from by " + err);
            }
        }
        assertTrue(posErr <= 1e-6, "position embedding differs by " + posErr);
        return posErr;
    }

    @Test
    void r50ViTMatchesTheOfficialLoadFromIncludingThePositionZoom() {
        Graph g = graph(R50);
        INDArray decoderBefore = g.sd().getArrForVarName("segmentation_head.0.weight").dup();
        Result r = load(g, fixture("r50_vit.npz"), Mode.STRICT);
        assertMatchesOfficial(g, r, "r50_vit_official.npz", Map.of());
        assertEquals(PositionEmbedding.RESIZED, r.positions());
        assertEquals(3, r.sourceGrid());
        assertEquals(4, r.targetGrid());
        assertEquals(85, r.loaded().size());
        assertEquals(List.of(), r.missing());
        assertEquals(List.of(), r.unused());
        assertEquals(CLASSIFIER, r.ignored().stream().sorted().toList());
        assertTrue(r.notInCheckpoint().contains("segmentation_head.0.weight"));
        assertTrue(r.notInCheckpoint().contains("decoder.conv_more.0.weight"), r.notInCheckpoint().toString());
        assertTrue(r.notInCheckpoint().stream().noneMatch(n -> n.startsWith("transformer.")), r.notInCheckpoint().toString());
        assertEquals(decoderBefore, g.sd().getArrForVarName("segmentation_head.0.weight"), "the head keeps its init");
        assertTrue(r.summary().contains("resized 3x3 -> 4x4"), r.summary());
    }

    @Test
    void vitOnlyMatchesTheOfficialLoadFromDroppingTheClsToken() {
        Graph g = graph(VIT_ONLY);
        Result r = load(g, fixture("vit_b16.npz"), Mode.STRICT);
        assertMatchesOfficial(g, r, "vit_b16_official.npz", Map.of());
        assertEquals(PositionEmbedding.CLS_DROPPED, r.positions());
        assertArrayEquals(new long[]{16, 16, 3, 8}, g.trainable().get("transformer.embeddings.patch_embeddings.weight"));
        assertEquals(CLASSIFIER, r.ignored().stream().sorted().toList());
    }

    @Test
    void llmTransUNetTakesTheEncoderNormUnderItsMovedName() {
        Graph g = graph(R50.withLlm(new ModelConfig.Llm(16, 4, 4, 24, 1e-6, true, false)));
        Result r = load(g, fixture("r50_vit.npz"), Mode.STRICT);
        assertMatchesOfficial(g, r, "r50_vit_official.npz", Map.of(
                "transformer.encoder.encoder_norm.weight", "transformer.encoder_norm.weight",
                "transformer.encoder.encoder_norm.bias", "transformer.encoder_norm.bias"));
        assertTrue(r.notInCheckpoint().containsAll(List.of("transformer.llama_dim_mapper1.weight",
                "transformer.llama_dim_mapper2.weight", "transformer.llama.layers.0.attention.wq.weight")), r.notInCheckpoint().toString());
    }

    @Test
    void positionEmbeddingWithTheModelsTokenCountIsCopied() throws IOException {
        Path npz = dir.resolve("nocls.npz");
        float[] pos = new float[4 * 8];
        for (int i = 0; i < pos.length; i++) pos[i] = i * 0.25f - 3;
        rewrite(fixture("vit_b16.npz"), npz, "Transformer/posembed_input/pos_embedding", new long[]{1, 4, 8}, pos);
        Graph g = graph(VIT_ONLY);
        Result r = load(g, npz, Mode.STRICT);
        assertEquals(PositionEmbedding.COPIED, r.positions());
        assertArrayEquals(pos, g.sd().getArrForVarName("transformer.embeddings.position_embeddings").data().asFloat());
    }

    @Test
    void resizeGridIsAlignCornersBilinear() {
        // 2x2 -> 3x3, two channels: corners kept, edges midpoints, centre the mean (hand-computed).
        float[] grid = {0, 10, 1, 20, 2, 30, 3, 40};
        float[] out = VitNpzImporter.resizeGrid(grid, 2, 3, 2);
        float[] want = {0, 10, .5f, 15, 1, 20, 1, 20, 1.5f, 25, 2, 30, 2, 30, 2.5f, 35, 3, 40};
        assertArrayEquals(want, out, 0f);
        // 3 -> 4 along one row: sample points 0, 2/3, 4/3, 2.
        float[] row = VitNpzImporter.resizeGrid(new float[]{0, 3, 9, 0, 3, 9, 0, 3, 9}, 3, 4, 1);
        assertArrayEquals(new float[]{0, 2, 5, 9}, java.util.Arrays.copyOfRange(row, 0, 4), 1e-6f);
        assertThrows(IllegalArgumentException.class, () -> VitNpzImporter.resizeGrid(new float[5], 2, 3, 1));
    }

    @Test
    void strictModeNamesAMissingTensor() throws IOException {
        Path npz = dir.resolve("missing.npz");
        rewrite(fixture("r50_vit.npz"), npz, "block2/unit1/gn_proj/scale", null, null);
        var e = assertThrows(CheckpointFormatException.class, () -> load(graph(R50), npz, Mode.STRICT));
        assertTrue(e.getMessage().startsWith(npz.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("1 encoder tensors missing"), e.getMessage());
        assertTrue(e.getMessage().contains("transformer.embeddings.hybrid_model.body.block2.unit1.gn_proj.weight <- block2/unit1/gn_proj/scale"), e.getMessage());

        Graph g = graph(R50);
        INDArray before = g.sd().getArrForVarName("transformer.embeddings.hybrid_model.body.block2.unit1.gn_proj.weight").dup();
        Result r = load(g, npz, Mode.LENIENT);
        assertEquals(1, r.missing().size());
        assertEquals(84, r.loaded().size());
        assertEquals(before, g.sd().getArrForVarName("transformer.embeddings.hybrid_model.body.block2.unit1.gn_proj.weight"));
        assertTrue(r.summary().contains("MISSING"), r.summary());
    }

    @Test
    void aWrongShapeIsAnErrorInEveryMode() throws IOException {
        Path npz = dir.resolve("shape.npz");
        rewrite(fixture("r50_vit.npz"), npz, "Transformer/encoderblock_1/MultiHeadDotProductAttention_1/key/kernel",
                new long[]{8, 8}, new float[64]);
        for (Mode m : Mode.values()) {
            var e = assertThrows(CheckpointFormatException.class, () -> load(graph(R50), npz, m));
            assertEquals(npz + ": tensor 'Transformer/encoderblock_1/MultiHeadDotProductAttention_1/key/kernel': has shape [8, 8]"
                    + " but transformer.encoder.layer.1.attn.key.weight [8, 8] needs a matching (hidden, heads, head_dim)"
                    + " tensor (different model config?)", e.getMessage());
        }
    }

    @Test
    void aCheckpointOfAnotherArchitectureIsRejectedInStrictMode() {
        // R50 npz into a ViT-only model: the 16x16 patch conv does not fit, and the ResNet tensors would go unused.
        var e = assertThrows(CheckpointFormatException.class, () -> load(graph(VIT_ONLY), fixture("r50_vit.npz"), Mode.STRICT));
        assertTrue(e.getMessage().contains("npz tensors unused, e.g. [conv_root/kernel"), e.getMessage());
        // A 2-layer npz into a 1-layer model: the reference silently ignores layer 1; strict mode does not.
        ModelConfig oneLayer = new ModelConfig(ModelConfig.Encoder.VIT, 32, 1, 3, new ModelConfig.Vit(8, 1, 2, 16, 16, 0, 0),
                32, List.of(), List.of(4, 4, 4, 4), 0, Optional.empty());
        e = assertThrows(CheckpointFormatException.class, () -> load(graph(oneLayer), fixture("vit_b16.npz"), Mode.STRICT));
        assertTrue(e.getMessage().contains("Transformer/encoderblock_1/"), e.getMessage());
        Result r = load(graph(oneLayer), fixture("vit_b16.npz"), Mode.LENIENT);
        assertEquals(16, r.unused().size());
        assertTrue(r.unused().stream().allMatch(k -> k.startsWith("Transformer/encoderblock_1/")), r.unused().toString());
    }

    @Test
    void aPositionGridThatIsNotSquareIsRejected() throws IOException {
        Path npz = dir.resolve("pos.npz");
        rewrite(fixture("vit_b16.npz"), npz, "Transformer/posembed_input/pos_embedding", new long[]{1, 7, 8}, new float[56]);
        var e = assertThrows(CheckpointFormatException.class, () -> load(graph(VIT_ONLY), npz, Mode.STRICT));
        assertTrue(e.getMessage().contains("has 7 tokens: neither 4 nor cls + a square grid"), e.getMessage());
    }

    /** Copies an npz, dropping {@code key} (shape null) or replacing it with an f32 tensor. */
    static void rewrite(Path from, Path to, String key, long[] shape, float[] values) throws IOException {
        try (InputStream in = Files.newInputStream(from); ZipInputStream zin = new ZipInputStream(in);
             OutputStream out = Files.newOutputStream(to); ZipOutputStream zout = new ZipOutputStream(out)) {
            boolean seen = false;
            for (ZipEntry e; (e = zin.getNextEntry()) != null; ) {
                boolean target = e.getName().equals(key + ".npy");
                seen |= target;
                if (target && shape == null) continue;
                zout.putNextEntry(new ZipEntry(e.getName()));
                if (target) {
                    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                    for (float v : values) b.putFloat(v);
                    NpyFormat.writeRaw(zout, DType.F32, shape, b.array());
                } else {
                    zin.transferTo(zout);
                }
                zout.closeEntry();
            }
            assertTrue(seen, key + " not in " + from);
        }
    }
}
