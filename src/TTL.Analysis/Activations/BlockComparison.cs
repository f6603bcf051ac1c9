using TTL.Analysis.Svcca;
using TTL.Models;
using TTL.Torch;

namespace TTL.Analysis.Activations;

/// <summary>One block's comparison between two networks.</summary>
public sealed record BlockResult(CutPoint Block, SvccaResult Result, SvccaResult Baseline, long BaselineRows);

/// <summary>
/// Compares two networks block by block on the same inputs (pretrained vs fine-tuned, or two
/// strategies): each input runs through both networks in eval mode; at every selected block the
/// activation [1, C, D, H, W] is folded into samples × C (every spatial position a sample, or a
/// seeded random subset of at most <c>positionsPerInput</c>, the same positions for both networks)
/// and streamed into that block's float64 accumulator, so memory stays O(C²) per block whatever
/// the number of inputs. Then SVCCA / PWCCA / CKA and a Gaussian baseline per block.
/// </summary>
public static class BlockComparison
{
    public static IReadOnlyList<BlockResult> Compare(BlockNetwork a, BlockNetwork b, IReadOnlyList<string> blocks,
        IEnumerable<Tensor> inputs, SvccaOptions options, int positionsPerInput, long seed, ISvccaBackend? backend = null,
        AccumulatorOptions? accumulator = null)
    {
        backend ??= Svcca.Cpu.CpuSvccaBackend.Instance;
        accumulator ??= new AccumulatorOptions();
        var cuts = blocks.Select(s => (A: a.ResolveCut(s), B: b.ResolveCut(s))).ToList();
        foreach (var (ca, cb) in cuts)
        {
            if (ca.Index > a.KeptBlocks) throw new InvalidDataException($"model A keeps {a.KeptBlocks} blocks; it has no block {ca}");
            if (cb.Index > b.KeptBlocks) throw new InvalidDataException($"model B keeps {b.KeptBlocks} blocks; it has no block {cb}");
        }
        var accumulators = new Dictionary<int, IJointMomentAccumulator>();
        var rng = new Random(unchecked((int)seed));
        a.eval();
        b.eval();
        try
        {
            using var noGrad = torch.no_grad();
            foreach (var x in inputs)
            {
                using var scope = torch.NewDisposeScope();
                var fromA = Collect(a, x, cuts.Select(c => c.A.Index).ToHashSet());
                var fromB = Collect(b, x, cuts.Select(c => c.B.Index).ToHashSet());
                foreach (var (ca, cb) in cuts)
                {
                    var ya = fromA[ca.Index];
                    var yb = fromB[cb.Index];
                    if (!ya.shape.Skip(2).SequenceEqual(yb.shape.Skip(2)))
                        throw new InvalidDataException($"block {ca.Name}: A's activation is [{string.Join(", ", ya.shape)}], B's [{string.Join(", ", yb.shape)}]; spatial sizes must match");
                    var ra = Fold(ya);
                    var rb = Fold(yb);
                    long positions = ra.size(0);
                    if (positionsPerInput > 0 && positions > positionsPerInput)
                    {
                        var pick = new long[positionsPerInput];
                        var all = Enumerable.Range(0, (int)positions).ToArray();
                        rng.Shuffle(all);
                        for (int k = 0; k < pick.Length; k++) pick[k] = all[k];
                        using var index = torch.tensor(pick, pick.Length);
                        ra = ra.index_select(0, index);
                        rb = rb.index_select(0, index);
                    }
                    if (!accumulators.TryGetValue(ca.Index, out var acc))
                        accumulators[ca.Index] = acc = backend.CreateAccumulator((int)ra.size(1), (int)rb.size(1), accumulator);
                    acc.Add(ra, rb);
                }
            }
            var results = new List<BlockResult>();
            foreach (var (ca, _) in cuts)
            {
                if (!accumulators.TryGetValue(ca.Index, out var acc)) throw new InvalidDataException("no input volume to compare on");
                var result = backend.Analyze(acc.Finish(), options);
                var (baseline, rows) = SvccaAnalysis.Baseline(result, options, seed, SvccaAnalysis.DefaultBaselineRows, accumulator with { MinibatchCka = false }, backend);
                results.Add(new BlockResult(ca, result, baseline, rows));
            }
            return results;
        }
        finally
        {
            foreach (var acc in accumulators.Values) acc.Dispose();
        }
    }

    /// <summary>
    /// Block against block inside one network: every selected block's activation is average-pooled
    /// to the smallest spatial size among them (so positions correspond), folded, and every pair is
    /// compared. Returns the symmetric matrix of results (the diagonal compares a block with itself).
    /// </summary>
    public static SvccaResult[,] Within(BlockNetwork net, IReadOnlyList<string> blocks, IEnumerable<Tensor> inputs,
        SvccaOptions options, int positionsPerInput, long seed, ISvccaBackend? backend = null, AccumulatorOptions? accumulator = null)
    {
        backend ??= Svcca.Cpu.CpuSvccaBackend.Instance;
        accumulator ??= new AccumulatorOptions();
        var cuts = blocks.Select(net.ResolveCut).ToList();
        foreach (var c in cuts)
            if (c.Index > net.KeptBlocks) throw new InvalidDataException($"the model keeps {net.KeptBlocks} blocks; it has no block {c}");
        int n = cuts.Count;
        var acc = new IJointMomentAccumulator?[n, n];
        var rng = new Random(unchecked((int)seed));
        net.eval();
        try
        {
            using var noGrad = torch.no_grad();
            foreach (var x in inputs)
            {
                using var scope = torch.NewDisposeScope();
                var outputs = Collect(net, x, cuts.Select(c => c.Index).ToHashSet());
                long[] grid = [
                    outputs.Values.Min(t => t.size(2)), outputs.Values.Min(t => t.size(3)), outputs.Values.Min(t => t.size(4))];
                var rows = cuts.Select(c => Fold(torch.nn.functional.adaptive_avg_pool3d(outputs[c.Index], grid))).ToArray();
                long positions = rows[0].size(0);
                if (positionsPerInput > 0 && positions > positionsPerInput)
                {
                    var all = Enumerable.Range(0, (int)positions).ToArray();
                    rng.Shuffle(all);
                    using var index = torch.tensor(all.Take(positionsPerInput).Select(i => (long)i).ToArray(), positionsPerInput);
                    for (int k = 0; k < n; k++) rows[k] = rows[k].index_select(0, index);
                }
                for (int i = 0; i < n; i++)
                    for (int j = i; j < n; j++)
                    {
                        acc[i, j] ??= backend.CreateAccumulator((int)rows[i].size(1), (int)rows[j].size(1), accumulator);
                        acc[i, j]!.Add(rows[i], rows[j]);
                    }
            }
            var results = new SvccaResult[n, n];
            for (int i = 0; i < n; i++)
                for (int j = i; j < n; j++)
                {
                    if (acc[i, j] is not { } a) throw new InvalidDataException("no input volume to compare on");
                    results[i, j] = results[j, i] = backend.Analyze(a.Finish(), options);
                }
            return results;
        }
        finally
        {
            foreach (var a in acc) a?.Dispose();
        }
    }

    /// <summary>The outputs of the wanted blocks (kept in the caller's dispose scope).</summary>
    private static Dictionary<int, Tensor> Collect(BlockNetwork net, Tensor x, HashSet<int> wanted)
    {
        var outputs = new Dictionary<int, Tensor>();
        using var y = net.forward_each(x, (cut, t) =>
        {
            if (wanted.Contains(cut.Index)) outputs[cut.Index] = t.alias();
        });
        return outputs;
    }

    /// <summary>[N, C, D, H, W] → [N·D·H·W, C] in float64.</summary>
    private static Tensor Fold(Tensor y)
    {
        long c = y.size(1);
        return y.permute(0, 2, 3, 4, 1).reshape(-1, c).to(DType.Float64);
    }
}
