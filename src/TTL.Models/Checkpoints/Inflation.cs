using TTL.Torch;

namespace TTL.Models.Checkpoints;

/// <summary>How the first convolution's 3 RGB input channels become the network's N channels.</summary>
public enum FirstConvInflation
{
    /// <summary>Every new channel gets the sum over RGB (a grey image then responds as it did replicated to RGB).</summary>
    Sum,
    /// <summary>Every new channel gets the mean over RGB.</summary>
    Average,
}

/// <summary>One key of a 2D → 3D inflation: what it became and how.</summary>
public sealed record InflatedKey(string Key, long[] From, long[] To, string Action);

/// <summary>
/// Inflates a 2D ResNet state dict (torchvision names) to 3D weights for a network of the standard
/// layout: a k×k kernel is repeated along depth to k_d×k×k and divided by k_d (so a volume of
/// identical slices gives the 2D response), the first convolution's RGB inputs are summed or
/// averaged into the network's input channels, BN tensors are copied, and the classifier (<c>fc</c>)
/// is left out (the head is always new). The depth of each kernel comes from the target network.
/// </summary>
public static class Inflation
{
    public static (Dictionary<string, Tensor> Weights, IReadOnlyList<InflatedKey> Report) Inflate2dResNet(
        IReadOnlyDictionary<string, Tensor> weights2d, BlockNetwork target, FirstConvInflation firstConv = FirstConvInflation.Sum)
    {
        var targetState = target.state_dict();
        var result = new Dictionary<string, Tensor>();
        var report = new List<InflatedKey>();
        try
        {
            using var noGrad = torch.no_grad();
            foreach (var (key, w) in weights2d)
            {
                if (!targetState.TryGetValue(key, out var t))
                {
                    report.Add(new(key, w.shape, [], key.StartsWith("fc.", StringComparison.Ordinal) ? "skipped: classifier (the head is new)" : "skipped: not in the 3D network"));
                    continue;
                }
                var to = t.shape;
                if (w.dim() == 4 && to.Length == 5)
                {
                    using var channels = AdaptInputChannels(w, to[1], firstConv, out string how);
                    long kd = to[2];
                    using var unsq = channels.unsqueeze(2);
                    using var repeated = unsq.repeat(1, 1, kd, 1, 1);
                    var inflated = repeated / (double)kd;
                    CheckShape(key, inflated, to);
                    result[key] = inflated;
                    report.Add(new(key, w.shape, to, $"inflated: repeated {kd}x along depth, divided by {kd}{how}"));
                }
                else
                {
                    CheckShape(key, w, to);
                    result[key] = w.clone();
                    report.Add(new(key, w.shape, to, "copied"));
                }
            }
            foreach (var key in targetState.Keys.Where(k => !weights2d.ContainsKey(k) && !k.StartsWith("head.", StringComparison.Ordinal)))
                report.Add(new(key, [], targetState[key].shape, "absent from the 2D weights"));
            return (result, report);
        }
        catch
        {
            foreach (var v in result.Values) v.Dispose();
            throw;
        }
        finally
        {
            foreach (var v in targetState.Values) v.Dispose();
        }
    }

    private static Tensor AdaptInputChannels(Tensor w, long inChannels, FirstConvInflation mode, out string how)
    {
        long have = w.shape[1];
        how = "";
        if (have == inChannels) return w.alias();
        if (have != 3) throw new InvalidDataException($"cannot adapt a convolution of {have} input channels to {inChannels}");
        using var reduced = mode == FirstConvInflation.Sum ? w.sum(1, keepdim: true) : w.mean(1, keepdim: true);
        how = $"; RGB {(mode == FirstConvInflation.Sum ? "summed" : "averaged")} into {inChannels} channel(s)";
        return reduced.repeat(1, inChannels, 1, 1);
    }

    private static void CheckShape(string key, Tensor t, long[] to)
    {
        if (!t.shape.AsSpan().SequenceEqual(to))
            throw new InvalidDataException($"{key}: 2D weights of shape [{string.Join(", ", t.shape)}] do not fit the 3D network's [{string.Join(", ", to)}]");
    }
}
