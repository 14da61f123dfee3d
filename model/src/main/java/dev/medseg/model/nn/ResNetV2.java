package dev.medseg.model.nn;

import org.nd4j.autodiff.samediff.SDVariable;

import java.util.List;

/**
 * TransUNet's ResNetV2 hybrid stem (vit_seg_modeling_resnet_skip.py): weight-standardised convs, GroupNorm(32)
 * eps 1e-6 (gn_proj: one group per channel, eps 1e-5), conv→GN→ReLU bottlenecks with the stride on the 3×3 conv.
 * Stage widths for width w: (4w, 8w, 16w) out, (w, 2w, 4w) mid.
 */
public final class ResNetV2 {
    /** A feature map with its static channel count and side. */
    public record Feature(SDVariable x, int channels, int size) {}

    /** The encoder's output: the 1/16 map for the patch embedding and the skips, deepest first. */
    public record Features(Feature last, List<Feature> skips) {}

    private static final String P = "transformer.embeddings.hybrid_model.";

    private ResNetV2() {}

    /** x: (B, 3, S, S). */
    public static Features apply(Graph g, SDVariable x, int imageSize, int width, List<Integer> units) {
        SDVariable y = Layers.conv(g, P + "root.conv", x, 3, width, 7, 2, 3, false, true);
        int size = (imageSize + 2 * 3 - 7) / 2 + 1;
        y = Layers.groupNorm(g, P + "root.gn", y, 32, width, size, size, 1e-6);
        y = Layers.relu(g, y);
        Feature root = new Feature(y, width, size);
        y = Layers.maxPool(g, y, 3, 2);
        size = (size - 3) / 2 + 1; // floor mode: 128 -> 63 at 256

        int[] outs = {4 * width, 8 * width, 16 * width};
        int[] mids = {width, 2 * width, 4 * width};
        int cin = width;
        Feature[] stageOut = new Feature[3];
        for (int b = 0; b < 3; b++) {
            for (int u = 1; u <= units.get(b); u++) {
                int stride = (u == 1 && b > 0) ? 2 : 1;
                String name = P + "body.block" + (b + 1) + ".unit" + u;
                y = bottleneck(g, name, y, cin, outs[b], mids[b], stride, size);
                if (stride == 2) size = (size + 2 - 3) / 2 + 1;
                cin = outs[b];
            }
            stageOut[b] = new Feature(y, outs[b], size);
        }
        // Skips as the reference returns them: stage 2 and stage 1 outputs, the latter zero-padded at the bottom and
        // right to imageSize/4 when the max-pool's floor left it 1-2 pixels short (63 -> 64 at 256); main path unpadded.
        Feature s1 = padTo(g, stageOut[0], imageSize / 4);
        Feature s2 = padTo(g, stageOut[1], imageSize / 8);
        return new Features(stageOut[2], List.of(s2, s1, root));
    }

    /** Zero-pads a skip map that the max-pool's floor left 1-2 pixels short of {@code right}, as the reference does. */
    private static Feature padTo(Graph g, Feature f, int right) {
        if (f.size() == right) return f;
        int pad = right - f.size();
        if (pad < 1 || pad > 2) throw new IllegalStateException("skip map " + f.size() + "px vs expected " + right);
        return new Feature(Layers.padBottomRight(g, f.x(), pad), f.channels(), right);
    }

    /** PreActBottleneck as the reference computes it: conv→GN→ReLU ×2, conv→GN, + (projected) residual, ReLU. */
    static SDVariable bottleneck(Graph g, String name, SDVariable x, int cin, int cout, int cmid, int stride, int size) {
        int outSize = stride == 1 ? size : (size + 2 - 3) / stride + 1;
        SDVariable residual = x;
        if (stride != 1 || cin != cout) {
            residual = Layers.conv(g, name + ".downsample", x, cin, cout, 1, stride, 0, false, true);
            residual = Layers.groupNorm(g, name + ".gn_proj", residual, cout, cout, outSize, outSize, 1e-5);
        }
        SDVariable y = Layers.conv(g, name + ".conv1", x, cin, cmid, 1, 1, 0, false, true);
        y = Layers.relu(g, Layers.groupNorm(g, name + ".gn1", y, 32, cmid, size, size, 1e-6));
        y = Layers.conv(g, name + ".conv2", y, cmid, cmid, 3, stride, 1, false, true);
        y = Layers.relu(g, Layers.groupNorm(g, name + ".gn2", y, 32, cmid, outSize, outSize, 1e-6));
        y = Layers.conv(g, name + ".conv3", y, cmid, cout, 1, 1, 0, false, true);
        y = Layers.groupNorm(g, name + ".gn3", y, 32, cout, outSize, outSize, 1e-6);
        return Layers.relu(g, BroadcastAdd.residual(g.sd(), residual, y));
    }
}
