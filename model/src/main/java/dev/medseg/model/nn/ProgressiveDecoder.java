package dev.medseg.model.nn;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;

import java.util.List;

import static dev.medseg.model.nn.Graph.Init.*;

/**
 * MedVisionLlama's decoder (our design): tokens back to the g×g grid, then per stage i bilinear ×2 upsampling
 * (align_corners) and two 3×3 convs ({@code decoder.blocks.i.conv1|conv2}, each Conv (+ BatchNorm) + ReLU) to
 * {@code channels[i]}. Without BatchNorm the convs have a bias ({@code .0.bias}) and the loss decomposes per
 * sample; with it they have none and BatchNorm is {@code .1}, as TransUNet's Conv2dReLU. Weights HWIO.
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

    /**
     * Conv 3×3 (+ BatchNorm) + ReLU. Weights are He-uniform U(±√(6/fan_in)) (Graph's XAVIER_UNIFORM with fan_out 0),
     * biases zero: with no normalisation, PyTorch's default U(±1/√fan_in) shrinks the signal ~2.4× per conv+ReLU
     * and eight such layers left the deep end of a small decoder dead (all-zero ReLUs) at initialisation.
     */
    private static SDVariable convRelu(Graph g, boolean batchNorm, String name, SDVariable x, int cin, int cout, int size) {
        SameDiff sd = g.sd();
        var cfg = Conv2DConfig.builder().kH(3).kW(3).sH(1).sW(1).pH(1).pW(1).dataFormat("NCHW").build();
        SDVariable w = g.param(name + ".0.weight", XAVIER_UNIFORM, 9L * cin, 0, 3, 3, cin, cout);
        SDVariable y = batchNorm ? sd.cnn().conv2d(x, w, cfg)
                : sd.cnn().conv2d(x, w, g.param(name + ".0.bias", ZEROS, 9L * cin, cout, cout), cfg);
        if (batchNorm) y = Layers.batchNorm(g, name + ".1", y, cout, size, size);
        return Layers.relu(g, y);
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
