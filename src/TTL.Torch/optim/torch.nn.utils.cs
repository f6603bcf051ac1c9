namespace TTL.Torch;

public static partial class torch
{
    public static partial class nn
    {
        public static class utils
        {
            /// <summary>
            /// Scales all gradients together so that their global norm (the norm of the per-tensor
            /// norms) is at most <paramref name="max_norm"/>: g ← g · min(1, max_norm / (total + 1e-6)),
            /// as torch.nn.utils.clip_grad_norm_. Returns the total norm before clipping.
            /// </summary>
            public static Tensor clip_grad_norm_(IEnumerable<Tensor> parameters, double max_norm, double norm_type = 2.0,
                bool error_if_nonfinite = false)
            {
                using var noGrad = no_grad();
                var grads = new List<Tensor>();
                try
                {
                    foreach (var p in parameters)
                        if (p.grad is { } g) grads.Add(g);
                    if (grads.Count == 0) return scalar_tensor(0.0);
                    var norms = new Tensor[grads.Count];
                    try
                    {
                        for (int k = 0; k < grads.Count; k++)
                            norms[k] = double.IsPositiveInfinity(norm_type) ? grads[k].abs().max() : grads[k].norm(norm_type);
                        using var stacked = stack(norms);
                        var total = double.IsPositiveInfinity(norm_type) ? stacked.max() : stacked.norm(norm_type);
                        if (error_if_nonfinite && !double.IsFinite(total.item<double>()))
                        {
                            total.Dispose();
                            throw new InvalidOperationException($"The total norm of order {norm_type} for gradients is non-finite, so it cannot be clipped.");
                        }
                        // A tensor factor keeps the clipping on the device, without reading the norm back.
                        using var coef = (max_norm / (total + 1e-6)).clamp_(max: 1.0);
                        foreach (var g in grads) g.mul_(coef);
                        return total;
                    }
                    finally
                    {
                        foreach (var n in norms) n?.Dispose();
                    }
                }
                finally
                {
                    foreach (var g in grads) g.Dispose();
                }
            }
        }
    }
}
