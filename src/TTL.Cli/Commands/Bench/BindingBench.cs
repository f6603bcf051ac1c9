using System.Diagnostics;
using TTL.Torch;
using F = TTL.Torch.torch.nn.functional;

namespace TTL.Cli.Commands.Bench;

/// <summary>
/// `ttl bench binding`: the cost of the C# binding itself. Both sides run the same libtorch
/// (Debian's python3-torch and our shim link the same library), so any difference is binding
/// overhead: a stack of 3D conv–BN–ReLU blocks forward+backward on a 2×1×64³ input, and a loop
/// of small tensor additions for the per-operation cost. Runs alternate between the two sides.
/// </summary>
public static class BindingBench
{
    private const int AddsPerRun = 20000;
    private static readonly long[] Channels = [1, 16, 16, 32, 32];

    public static IReadOnlyList<BenchResult> Run(BenchContext ctx)
    {
        using var reference = new ReferenceProcess("binding_ref.py", ctx.Threads, AddsPerRun.ToString());
        string refName = "python3-torch " + reference.Hello.GetProperty("version").GetString();

        torch.manual_seed(0);
        var layers = new List<(Tensor W, Tensor Gamma, Tensor Beta, Tensor Mean, Tensor Var)>();
        for (int k = 0; k + 1 < Channels.Length; k++)
        {
            long ci = Channels[k], co = Channels[k + 1];
            using var w0 = torch.randn(co, ci, 3, 3, 3);
            layers.Add(((w0 * 0.1).requires_grad_(), torch.ones([co], requires_grad: true), torch.zeros([co], requires_grad: true),
                torch.zeros(co), torch.ones(co)));
        }
        using var x = torch.randn(2, 1, 64, 64, 64);
        using var a = torch.ones(16);
        using var b = torch.ones(16);

        void Conv()
        {
            using var scope = torch.NewDisposeScope();
            var h = x;
            foreach (var (w, g, beta, m, v) in layers)
            {
                h = F.conv3d(h, w, null, padding: [1, 1, 1]);
                h = F.batch_norm(h, m, v, g, beta, training: true);
                h = F.relu(h);
            }
            h.mean().backward();
            foreach (var (w, g, beta, _, _) in layers)
            {
                w.grad = null;
                g.grad = null;
                beta.grad = null;
            }
        }

        void Add()
        {
            for (int k = 0; k < AddsPerRun; k++)
            {
                using var c = a + b;
            }
        }

        var (convOurs, convRef) = Alternate(ctx, "conv", Conv, reference);
        var (addOurs, addRef) = Alternate(ctx, "add", Add, reference);
        foreach (var l in layers) { l.W.Dispose(); l.Gamma.Dispose(); l.Beta.Dispose(); l.Mean.Dispose(); l.Var.Dispose(); }

        double usOurs = addOurs * 1000 / AddsPerRun, usRef = addRef * 1000 / AddsPerRun;
        return
        [
            new("binding.conv3d_bn_relu_x4.fwd_bwd.2x1x64^3", convOurs, refName, convRef,
                new Dictionary<string, object> { ["time_ratio"] = Math.Round(convOurs / convRef, 4) }),
            new("binding.add_16_elements.per_op", usOurs / 1000, refName, usRef / 1000,
                new Dictionary<string, object> { ["ours_us_per_op"] = Math.Round(usOurs, 3), ["reference_us_per_op"] = Math.Round(usRef, 3) }),
        ];
    }

    /// <summary>Warm-up on both sides, then alternating timed runs; medians in ms.</summary>
    private static (double Ours, double Reference) Alternate(BenchContext ctx, string task, Action ours, ReferenceProcess reference)
    {
        ours();
        reference.Ask(task);
        var o = new List<double>();
        var r = new List<double>();
        for (int k = 0; k < ctx.Runs; k++)
        {
            r.Add(reference.Ask(task).GetProperty("ms").GetDouble());
            long t0 = Stopwatch.GetTimestamp();
            ours();
            o.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            ctx.Log.WriteLine($"bench binding {task}: run {k + 1}/{ctx.Runs}: ours {o[^1]:F1} ms, reference {r[^1]:F1} ms");
        }
        return (Timing.Median(o), Timing.Median(r));
    }
}
