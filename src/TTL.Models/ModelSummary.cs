using TTL.Torch;
using TTL.Torch.Modules;

namespace TTL.Models;

/// <summary>One block of a summary: its cut point, the activation leaving it, its parameters and multiply-accumulates.</summary>
public sealed record BlockSummary(CutPoint Cut, long[] OutputShape, long Parameters, long CumulativeParameters, long Macs, long CumulativeMacs);

/// <summary>A network's blocks with shapes, parameters and MACs for one input size; the head (if any) last.</summary>
public sealed record ModelSummary(string Architecture, long[] InputShape, IReadOnlyList<BlockSummary> Blocks,
    long HeadParameters, long HeadMacs, long[] OutputShape)
{
    public long TotalParameters => (Blocks.Count == 0 ? 0 : Blocks[^1].CumulativeParameters) + HeadParameters;
    public long TotalMacs => (Blocks.Count == 0 ? 0 : Blocks[^1].CumulativeMacs) + HeadMacs;

    /// <summary>
    /// Runs <paramref name="network"/> once on zeros of <paramref name="inputShape"/> (no_grad, eval)
    /// with forward hooks on every convolution and linear layer: MACs are counted from their input
    /// and output shapes (conv: output elements × input channels per group × kernel volume; linear:
    /// output elements × input features), parameters from the tensors each block owns.
    /// </summary>
    public static ModelSummary Of(BlockNetwork network, long[] inputShape)
    {
        bool wasTraining = network.training;
        network.eval();
        long pending = 0;
        var hooks = new List<RemovableHandle>();
        foreach (var m in network.modules())
            if (m is ConvBase3d or Linear)
                hooks.Add(m.register_forward_hook((Func<Module, Tensor, Tensor, Tensor?>)((mod, input, output) =>
                {
                    pending += MacsOf(mod, input, output);
                    return null;
                })));
        try
        {
            using var noGrad = torch.no_grad();
            using var x = torch.zeros(inputShape);
            var paramsByCut = new long[network.KeptBlocks + 1];
            long headParams = 0;
            foreach (var (name, p) in network.named_parameters())
            {
                if (network.OwnerOf(name) is { } cut) paramsByCut[cut.Index] += p.numel();
                else headParams += p.numel();
            }
            var blocks = new List<BlockSummary>();
            long cumP = 0, cumM = 0;
            using var body = network.forward_each(x, (cut, y) =>
            {
                cumP += paramsByCut[cut.Index];
                cumM += pending;
                blocks.Add(new BlockSummary(cut, y.shape, paramsByCut[cut.Index], cumP, pending, cumM));
                pending = 0;
            });
            // The whole forward again: what it adds beyond the blocks is the head's work (for a
            // U-Net that includes the decoder path, which runs only in the full forward).
            pending = 0;
            using var output = network.forward(x);
            return new ModelSummary(network.Architecture, inputShape, blocks, headParams, pending - cumM, output.shape);
        }
        finally
        {
            foreach (var h in hooks) h.Dispose();
            network.train(wasTraining);
        }
    }

    private static long MacsOf(Module m, Tensor input, Tensor output) => m switch
    {
        Conv3d c => output.numel() * (c.in_channels / c.groups) * Volume(c.kernel_size),
        // A transposed convolution spreads every input element over out_channels/groups × kernel taps.
        ConvTranspose3d t => input.numel() * (t.out_channels / t.groups) * Volume(t.kernel_size),
        Linear l => output.numel() * l.in_features,
        _ => 0,
    };

    private static long Volume(Size3 k) => k.D * k.H * k.W;
}
