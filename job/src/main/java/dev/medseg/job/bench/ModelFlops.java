package dev.medseg.job.bench;

import dev.medseg.model.ModelConfig;

import java.util.List;

/**
 * Multiply-accumulates of one image's forward pass, counted from the shapes as model-spec §4 does: convolutions,
 * linears and the two attention matmuls; norms, activations, softmax and upsampling are left out (&lt;1%).
 * FLOPs = 2·MACs. A training step costs ≈3× forward for trainable parts (forward, input and weight gradients)
 * and ≈2× for the frozen LLM block (no weight gradients), model-spec §4.4.
 *
 * @param trainableMacs MACs of the layers with trainable weights (ResNet, ViT, adapters, decoder, head)
 * @param frozenMacs    MACs of the frozen LLM block (0 without one)
 */
public record ModelFlops(double trainableMacs, double frozenMacs) {

    /** Forward GFLOP per image. */
    public double forwardGflop() { return 2 * (trainableMacs + frozenMacs) / 1e9; }

    /** Training-step GFLOP per image (forward + backward; the SGD update is O(params), left out). */
    public double trainGflop() { return 2 * (3 * trainableMacs + 2 * frozenMacs) / 1e9; }

    /** Counts the MACs of {@code c} at its image size. */
    public static ModelFlops of(ModelConfig c) {
        int s = c.imageSize(), grid = c.gridSize();
        long n = (long) grid * grid;
        int d = c.vit().hidden();
        double macs = 0;
        List<int[]> skips = List.of(); // {channels, size}, deepest first
        if (c.encoder() == ModelConfig.Encoder.R50_VIT) {
            int w = c.resnetWidth();
            int h = s / 2; // root 7×7 s2 p3
            macs += conv(7, 3, w, h);
            int root = h;
            h = (h - 3) / 2 + 1; // max-pool 3×3 s2 p0, floor
            int cin = w;
            int[] outs = new int[3];
            for (int b = 0; b < 3; b++) {
                int mid = w << b, cout = 4 * mid;
                for (int u = 0; u < c.resnetUnits().get(b); u++) {
                    int stride = (b > 0 && u == 0) ? 2 : 1;
                    int ho = stride == 1 ? h : (h - 1) / 2 + 1; // 3×3 p1
                    macs += conv(1, cin, mid, h) + conv(3, mid, mid, ho) + conv(1, mid, cout, ho);
                    if (u == 0) macs += conv(1, cin, cout, ho); // projection
                    cin = cout;
                    h = ho;
                }
                outs[b] = cout;
            }
            macs += conv(1, 16 * w, d, grid); // patch embedding, 1×1
            skips = List.of(new int[]{outs[1], s / 8}, new int[]{outs[0], s / 4}, new int[]{w, root});
        } else {
            int p = c.vit().patchSize();
            macs += conv(p, 3, d, grid) ; // p×p stride p: grid² outputs
        }
        macs += c.vit().layers() * (n * (4.0 * d * d + 2.0 * d * c.vit().mlpDim()) + 2.0 * n * n * d);
        double frozen = 0;
        if (c.llm().isPresent()) {
            ModelConfig.Llm l = c.llm().get();
            long kv = (long) l.kvHeads() * l.headDim();
            macs += 2.0 * n * d * l.dim(); // the two adapters
            frozen = n * (2.0 * l.dim() * l.dim() + 2.0 * l.dim() * kv + 3.0 * l.dim() * l.ffnDim()) + 2.0 * n * n * l.dim();
        }
        int in = dev.medseg.model.nn.CupDecoder.HEAD_CHANNELS, size = grid;
        macs += conv(3, d, in, grid); // conv_more
        for (int i = 0; i < 4; i++) {
            size *= 2;
            int cat = in + (i < c.skips() && i < skips.size() ? skips.get(i)[0] : 0);
            int out = c.decoderChannels().get(i);
            macs += conv(3, cat, out, size) + conv(3, out, out, size);
            in = out;
        }
        macs += conv(3, in, c.numClasses(), s); // segmentation head
        return new ModelFlops(macs, frozen);
    }

    /** k×k convolution MACs with {@code out}² output pixels. */
    private static double conv(int k, int cin, int cout, int out) {
        return (double) k * k * cin * cout * out * out;
    }
}
