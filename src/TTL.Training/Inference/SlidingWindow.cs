using TTL.Torch;

namespace TTL.Training.Inference;

/// <summary>
/// Sliding-window inference for segmentation: a model trained on patches predicts a whole volume
/// by running over overlapping windows of the patch size and blending their logits.
/// </summary>
/// <remarks>
/// Window placement is MONAI's <c>sliding_window_inference</c>: a volume smaller than the window is
/// padded (constant 0, split evenly before and after) and the padding cropped off the result; along
/// each axis windows start every patch·(1 − overlap) voxels (at least 1) and the last one is moved
/// back to end flush with the volume. Blending is a weighted average with a gaussian importance map
/// (nnU-Net) or constant weights. Memory: the output, a weight map of one channel, and one batch of
/// windows with the model's temporaries (each batch runs in its own dispose scope).
/// </remarks>
public static class SlidingWindow
{
    /// <summary>Importance weights below this (relative to the centre's 1) are raised to it, so no voxel divides by zero.</summary>
    public const float MinimumWeight = 1e-6f;

    /// <summary>
    /// Predicts logits [classes, I, J, K] for <paramref name="volume"/> [C, I, J, K] with
    /// <paramref name="model"/>, which maps [N, C, pI, pJ, pK] to [N, classes, pI, pJ, pK]. The caller
    /// applies softmax or arg-max. Runs without gradients; every temporary is released before
    /// returning; the result belongs to the caller's dispose scope (or to the caller, outside one).
    /// </summary>
    /// <param name="progress">Called after each batch with (windows done, windows in all).</param>
    public static Tensor Predict(Tensor volume, Func<Tensor, Tensor> model, SlidingWindowOptions options, Action<int, int>? progress = null)
    {
        options.Validate();
        if (volume.dim() != 4) throw new ArgumentException($"sliding window: expected a [C, I, J, K] volume, got [{string.Join(", ", volume.shape)}]", nameof(volume));
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        long[] shape = volume.shape;
        long[] patch = options.PatchSize.Select(p => (long)p).ToArray();

        // Pad axes shorter than the window, half before and half after (the odd voxel after).
        var before = new long[3];
        var size = new long[3];
        bool padded = false;
        for (int d = 0; d < 3; d++)
        {
            long missing = Math.Max(patch[d] - shape[d + 1], 0);
            before[d] = missing / 2;
            size[d] = shape[d + 1] + missing;
            padded |= missing > 0;
        }
        var x = padded
            ? torch.nn.functional.pad(volume, [before[2], size[2] - shape[3] - before[2], before[1], size[1] - shape[2] - before[1], before[0], size[0] - shape[1] - before[0]])
            : volume;

        var windows = WindowStarts(size, patch, options.Overlap);
        var weight = ImportanceMap(options.PatchSize, options.Weighting, options.SigmaScale).to(volume.device);
        var norm = torch.zeros([1, size[0], size[1], size[2]], DType.Float32, volume.device);
        Tensor? sum = null;
        for (int first = 0; first < windows.Count; first += options.BatchSize)
        {
            int count = Math.Min(options.BatchSize, windows.Count - first);
            using var step = torch.NewDisposeScope();
            var crops = new Tensor[count];
            for (int w = 0; w < count; w++) crops[w] = Window(x, windows[first + w], patch);
            var logits = RunBatch(model, torch.stack(crops, 0), patch, options.FlipTta);
            if (sum is null)
            {
                sum = torch.zeros([logits.shape[1], size[0], size[1], size[2]], DType.Float32, volume.device);
                sum.MoveToOuterDisposeScope();
            }
            else if (logits.shape[1] != sum.shape[0])
                throw new InvalidOperationException($"sliding window: the model returned {logits.shape[1]} channels for one batch and {sum.shape[0]} for an earlier one");
            for (int w = 0; w < count; w++)
            {
                Window(sum, windows[first + w], patch).addcmul_(logits.select(0, w), weight);
                Window(norm, windows[first + w], patch).add_(weight);
            }
            progress?.Invoke(first + count, windows.Count);
        }
        var blended = sum!.div_(norm);
        var result = padded ? Window(blended, before, [shape[1], shape[2], shape[3]]).contiguous() : blended;
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>Window origins (i, j, k) over a grid of <paramref name="size"/> voxels (each at least the patch), i slowest.</summary>
    public static IReadOnlyList<long[]> WindowStarts(long[] size, long[] patch, double overlap)
    {
        var axes = new long[3][];
        for (int d = 0; d < 3; d++) axes[d] = AxisStarts(size[d], patch[d], overlap);
        var starts = new List<long[]>(axes[0].Length * axes[1].Length * axes[2].Length);
        foreach (long i in axes[0])
            foreach (long j in axes[1])
                foreach (long k in axes[2])
                    starts.Add([i, j, k]);
        return starts;
    }

    /// <summary>
    /// Window starts along one axis of <paramref name="size"/> voxels (MONAI's <c>dense_patch_slices</c>):
    /// every max(1, ⌊patch·(1 − overlap)⌋) voxels until a window reaches the end, that last one flush with it.
    /// </summary>
    public static long[] AxisStarts(long size, long patch, double overlap)
    {
        if (patch < 1 || size < patch) throw new ArgumentException($"sliding window: an axis of {size} voxels cannot hold a window of {patch}");
        long interval = Math.Max(1, (long)(patch * (1 - overlap)));
        var starts = new List<long>();
        for (long s = 0; ; s += interval)
        {
            if (s + patch >= size)
            {
                starts.Add(size - patch);
                return starts.ToArray();
            }
            starts.Add(s);
        }
    }

    /// <summary>
    /// Per-voxel weight of a window [pI, pJ, pK] (float32, CPU): 1 everywhere for constant weighting;
    /// for gaussian weighting exp(−d²/2σ²) per axis around voxel p/2 with σ = <paramref name="sigmaScale"/>·p,
    /// the product normalised to a maximum of 1 and floored at <see cref="MinimumWeight"/>.
    /// </summary>
    public static Tensor ImportanceMap(int[] patch, WindowWeighting weighting, double sigmaScale = 0.125)
    {
        int n0 = patch[0], n1 = patch[1], n2 = patch[2];
        var map = new float[(long)n0 * n1 * n2];
        if (weighting == WindowWeighting.Constant)
        {
            Array.Fill(map, 1f);
            return torch.tensor(map, n0, n1, n2);
        }
        var g0 = Gaussian1d(n0, sigmaScale);
        var g1 = Gaussian1d(n1, sigmaScale);
        var g2 = Gaussian1d(n2, sigmaScale);
        double max = g0.Max() * g1.Max() * g2.Max();
        int at = 0;
        for (int i = 0; i < n0; i++)
            for (int j = 0; j < n1; j++)
                for (int k = 0; k < n2; k++)
                    map[at++] = Math.Max((float)(g0[i] * g1[j] * g2[k] / max), MinimumWeight);
        return torch.tensor(map, n0, n1, n2);
    }

    private static double[] Gaussian1d(int n, double sigmaScale)
    {
        double sigma = sigmaScale * n, centre = n / 2;
        var g = new double[n];
        for (int x = 0; x < n; x++) g[x] = Math.Exp(-(x - centre) * (x - centre) / (2 * sigma * sigma));
        return g;
    }

    /// <summary>The view of t[..., s0:s0+p0, s1:s1+p1, s2:s2+p2] over the last three axes.</summary>
    private static Tensor Window(Tensor t, long[] start, long[] length)
    {
        long d = t.dim() - 3;
        return t.narrow(d, start[0], length[0]).narrow(d + 1, start[1], length[1]).narrow(d + 2, start[2], length[2]);
    }

    /// <summary>The flips of the batch's spatial axes TTA averages over: none, then the 7 non-empty subsets.</summary>
    private static readonly long[][] FlipSets = [[], [2], [3], [4], [2, 3], [2, 4], [3, 4], [2, 3, 4]];

    /// <summary>Model logits for one batch of windows, averaged over the flips when <paramref name="tta"/> is on.</summary>
    private static Tensor RunBatch(Func<Tensor, Tensor> model, Tensor input, long[] patch, bool tta)
    {
        // The first output is copied, so accumulating into it never writes into what the model returned.
        var sum = CheckOutput(model(input), input, patch).to(DType.Float32).clone();
        if (!tta) return sum;
        foreach (var dims in FlipSets.Skip(1))
        {
            using var pass = torch.NewDisposeScope();
            var y = CheckOutput(model(input.flip(dims)), input, patch);
            sum.add_(y.flip(dims));
        }
        return sum.div_(FlipSets.Length);
    }

    private static Tensor CheckOutput(Tensor y, Tensor input, long[] patch)
    {
        long[] s = y.shape;
        if (s.Length != 5 || s[0] != input.shape[0] || s[2] != patch[0] || s[3] != patch[1] || s[4] != patch[2])
            throw new InvalidOperationException(
                $"sliding window: the model returned [{string.Join(", ", s)}] for input [{string.Join(", ", input.shape)}]; expected [N, classes, {string.Join(", ", patch)}]");
        return y;
    }
}
