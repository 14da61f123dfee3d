package dev.medseg.model.nn;

import org.nd4j.autodiff.samediff.SDVariable;

import java.util.List;

/**
 * TransUNet's cascaded upsampler (DecoderCup): tokens back to a grid, conv_more (3×3 → 512, BN, ReLU), then four
 * blocks of bilinear ×2 (align_corners) → concat skip → two Conv-BN-ReLU; no skip for blocks past n_skip.
 */
public final class CupDecoder {
    /** The reference's fixed width of conv_more. */
    public static final int HEAD_CHANNELS = 512;

    private CupDecoder() {}

    /**
     * @param tokens (B·N, hidden) encoder output
     * @param skips  ResNet features deepest first (may be empty); only the first {@code nSkip} are used
     * @param batchNorm the reference BatchNorm after each conv (false: identity)
     * @return (B, channels[3], 16·grid, 16·grid)
     */
    public static SDVariable apply(Graph g, SDVariable tokens, int hidden, int grid, List<ResNetV2.Feature> skips,
                                   int nSkip, List<Integer> channels, boolean batchNorm) {
        SDVariable x = tokens.reshape(-1, (long) grid * grid, hidden).permute(0, 2, 1).reshape(-1, hidden, grid, grid);
        x = convBnRelu(g, batchNorm, "decoder.conv_more", x, hidden, HEAD_CHANNELS, grid);
        int in = HEAD_CHANNELS, size = grid;
        for (int i = 0; i < 4; i++) {
            x = Layers.upsampleBilinear2x(g, x, in, size, size);
            size *= 2;
            int cat = in;
            if (i < nSkip && i < skips.size()) {
                ResNetV2.Feature s = skips.get(i);
                if (s.size() != size) throw new IllegalStateException("skip " + i + " is " + s.size() + "px, decoder at " + size);
                x = g.sd().concat(1, x, s.x());
                cat += s.channels();
            }
            String p = "decoder.blocks." + i;
            x = convBnRelu(g, batchNorm, p + ".conv1", x, cat, channels.get(i), size);
            x = convBnRelu(g, batchNorm, p + ".conv2", x, channels.get(i), channels.get(i), size);
            in = channels.get(i);
        }
        return x;
    }

    /**
     * Conv2dReLU of the reference: Conv(3×3, no bias) as {@code <name>.0}, BatchNorm as {@code <name>.1} (unless
     * switched off), ReLU.
     */
    static SDVariable convBnRelu(Graph g, boolean batchNorm, String name, SDVariable x, int cin, int cout, int size) {
        SDVariable y = Layers.conv(g, name + ".0", x, cin, cout, 3, 1, 1, false, false);
        if (batchNorm) y = Layers.batchNorm(g, name + ".1", y, cout, size, size);
        return Layers.relu(g, y);
    }
}
