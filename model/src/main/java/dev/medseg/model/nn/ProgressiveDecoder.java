package dev.medseg.model.nn;

import org.nd4j.autodiff.samediff.SDVariable;

import java.util.List;

import static dev.medseg.model.nn.Graph.Init.*;

/**
 * MedVisionLlama's decoder (our design): tokens back to the g×g grid, then per stage i bilinear ×2 upsampling
 * (align_corners) and two 3×3 convs ({@code decoder.blocks.i.conv1|conv2}, each Conv (+ BatchNorm) + ReLU) to
 * {@code channels[i]}. Without BatchNorm the convs have a bias ({@code .0.bias}) and the loss decomposes per
 * sample; with it they have none and BatchNorm is {@code .1}, as TransUNet's Conv2dReLU.
 */
public final class ProgressiveDecoder {
    private ProgressiveDecoder() {}

    /**
     * @param tokens   (B·N, hidden), N = grid²
     * @param channels widths of the stages; the output side is grid·2^stages
     * @return (B, channels.last, grid·2^stages, grid·2^stages)
     */
    public static SDVariable apply(Graph g, SDVariable tokens, int hidden, int grid, List<Integer> channels,
                                   boolean batchNorm) {
        SDVariable x = Tokens.toGrid(tokens, hidden, grid);
        int in = hidden, size = grid;
        for (int i = 0; i < channels.size(); i++) {
            x = Layers.upsampleBilinear2x(g, x, in, size, size);
            size *= 2;
            int out = channels.get(i);
            String p = "decoder.blocks." + i;
            x = convRelu(g, batchNorm, p + ".conv1", x, in, out, size);
            x = convRelu(g, batchNorm, p + ".conv2", x, out, out, size);
            in = out;
        }
        return x;
    }

    private static SDVariable convRelu(Graph g, boolean batchNorm, String name, SDVariable x, int cin, int cout, int size) {
        SDVariable y = Layers.conv(g, name + ".0", x, cin, cout, 3, 1, 1, !batchNorm, false);
        if (batchNorm) y = Layers.batchNorm(g, name + ".1", y, cout, size, size);
        return g.sd().nn().relu(y, 0);
    }

    /** Trainable parameters of the decoder stages. */
    public static long parameters(int hidden, List<Integer> channels, boolean batchNorm) {
        long total = 0;
        int in = hidden;
        for (int c : channels) {
            long perConvExtra = batchNorm ? 2L * c : c; // BN gamma+beta, or the conv bias
            total += 9L * in * c + perConvExtra + 9L * c * c + perConvExtra;
            in = c;
        }
        return total;
    }
}
