using TTL.TestSupport;
using F = TTL.Torch.torch.nn.functional;

namespace TTL.Torch.Tests;

/// <summary>
/// Every functional op against python3-torch: the same fixed inputs run through the binding and
/// through tests/oracles/torch_ops.py; outputs and gradients of (out · g).sum() must agree.
/// Tolerance: max |ours − reference| ≤ 1e-5 × max(|reference|, 1e-3) per tensor (float32); both
/// sides run the same libtorch on one thread, so most agree exactly.
/// </summary>
public class FunctionalOracleTests : IClassFixture<FunctionalOracleTests.Results>
{
    private sealed record Case(string Name, Func<Dictionary<string, Tensor>, Tensor> Forward, string[] Grads,
        (string Name, long[] Shape)[] Inputs, Func<Dictionary<string, Tensor>, Dictionary<string, Tensor>>? Extra = null);

    private static readonly Case[] Cases =
    [
        new("conv3d", t => F.conv3d(t["x"], t["w"], t["b"], [1, 2, 2], [1, 0, 2], [2, 1, 1], groups: 2), ["x", "w", "b"],
            [("x", [2, 4, 7, 8, 9]), ("w", [6, 2, 3, 3, 3]), ("b", [6])]),
        new("conv_transpose3d", t => F.conv_transpose3d(t["x"], t["w"], t["b"], [2, 2, 2], [1, 1, 1], [1, 1, 1]), ["x", "w", "b"],
            [("x", [2, 4, 5, 6, 3]), ("w", [4, 3, 3, 3, 3]), ("b", [3])]),
        new("conv_transpose3d_groups", t => F.conv_transpose3d(t["x"], t["w"], null, [1, 2, 1], [0, 1, 1], groups: 2, dilation: [1, 1, 2]), ["x", "w"],
            [("x", [1, 4, 4, 5, 6]), ("w", [4, 3, 2, 3, 3])]),
        new("max_pool3d", t => F.max_pool3d(t["x"], [3, 3, 3], [2, 2, 2], [1, 1, 1]), ["x"], [("x", [2, 3, 7, 8, 9])]),
        new("avg_pool3d", t => F.avg_pool3d(t["x"], [3, 2, 3], [2, 2, 1], [1, 1, 0], ceil_mode: true, count_include_pad: false), ["x"],
            [("x", [2, 3, 7, 8, 9])]),
        new("adaptive_avg_pool3d", t => F.adaptive_avg_pool3d(t["x"], [3, 2, 4]), ["x"], [("x", [2, 3, 7, 5, 9])]),
        new("adaptive_max_pool3d", t => F.adaptive_max_pool3d(t["x"], [3, 2, 4]), ["x"], [("x", [2, 3, 7, 5, 9])]),
        new("batch_norm_train", t => F.batch_norm(t["x"], t["rm_live"], t["rv_live"], t["w"], t["b"], training: true, momentum: 0.2, eps: 1e-4),
            ["x", "w", "b"], [("x", [3, 4, 5, 6, 2]), ("w", [4]), ("b", [4]), ("rm", [4]), ("rv", [4])],
            t => new() { ["rm"] = t["rm_live"], ["rv"] = t["rv_live"] }),
        new("batch_norm_eval", t => F.batch_norm(t["x"], t["rm"], t["rv"], t["w"], t["b"], training: false, eps: 1e-4), ["x", "w", "b"],
            [("x", [3, 4, 5, 6, 2]), ("w", [4]), ("b", [4]), ("rm", [4]), ("rv", [4])]),
        new("instance_norm", t => F.instance_norm(t["x"], weight: t["w"], bias: t["b"]), ["x", "w", "b"],
            [("x", [2, 3, 4, 5, 6]), ("w", [3]), ("b", [3])]),
        new("instance_norm_running_eval", t => F.instance_norm(t["x"], t["rm"], t["rv"], use_input_stats: false), ["x"],
            [("x", [2, 3, 4, 5, 6]), ("rm", [3]), ("rv", [3])]),
        new("group_norm", t => F.group_norm(t["x"], 2, t["w"], t["b"]), ["x", "w", "b"], [("x", [2, 4, 3, 5, 6]), ("w", [4]), ("b", [4])]),
        new("layer_norm", t => F.layer_norm(t["x"], [5, 6], t["w"], t["b"]), ["x", "w", "b"], [("x", [2, 3, 4, 5, 6]), ("w", [5, 6]), ("b", [5, 6])]),
        new("interpolate_trilinear", t => F.interpolate(t["x"], size: [9, 5, 11], mode: "trilinear", align_corners: false), ["x"], [("x", [2, 3, 4, 6, 5])]),
        new("interpolate_trilinear_ac", t => F.interpolate(t["x"], size: [9, 5, 11], mode: "trilinear", align_corners: true), ["x"], [("x", [2, 3, 4, 6, 5])]),
        new("interpolate_trilinear_scale", t => F.interpolate(t["x"], scale_factor: [1.7], mode: "trilinear"), ["x"], [("x", [2, 3, 4, 6, 5])]),
        new("interpolate_nearest", t => F.interpolate(t["x"], size: [9, 5, 11], mode: "nearest"), ["x"], [("x", [2, 3, 4, 6, 5])]),
        new("grid_sample_bilinear", t => F.grid_sample(t["x"], t["grid"], "bilinear", "zeros", false), ["x", "grid"],
            [("x", [2, 3, 5, 6, 7]), ("grid", [2, 4, 3, 5, 3])]),
        new("grid_sample_nearest_border", t => F.grid_sample(t["x"], t["grid"], "nearest", "border", true), ["x"],
            [("x", [2, 3, 5, 6, 7]), ("grid", [2, 4, 3, 5, 3])]),
        new("cross_entropy", t => F.cross_entropy(t["x"], t["target"], t["cw"], ignore_index: 2, label_smoothing: 0.1), ["x"],
            [("x", [4, 5, 3, 2, 2]), ("target", [4, 3, 2, 2]), ("cw", [5])]),
        new("cross_entropy_none", t => F.cross_entropy(t["x"], t["target"], reduction: torch.nn.Reduction.None), ["x"],
            [("x", [6, 5]), ("target", [6])]),
        new("bce_with_logits", t => F.binary_cross_entropy_with_logits(t["x"], t["target"], pos_weight: t["pw"]), ["x"],
            [("x", [6, 3]), ("target", [6, 3]), ("pw", [3])]),
        new("softmax", t => F.softmax(t["x"], 1), ["x"], [("x", [3, 5, 4])]),
        new("log_softmax", t => F.log_softmax(t["x"], 1), ["x"], [("x", [3, 5, 4])]),
        new("leaky_relu", t => F.leaky_relu(t["x"], 0.2), ["x"], [("x", [3, 5, 4])]),
        new("gelu", t => F.gelu(t["x"]), ["x"], [("x", [3, 5, 4])]),
        new("einsum", t => torch.einsum("bij,bjk->bik", t["x"], t["y"]), ["x", "y"], [("x", [2, 3, 4]), ("y", [2, 4, 5])]),
        new("reductions", t => torch.stack([t["x"].var(), t["x"].std([0, 2]).sum(), t["x"].max(), t["x"].mean(1).sum()]), ["x"],
            [("x", [3, 4, 5])]),
    ];

    /// <summary>Runs every case on both sides once for the whole class.</summary>
    public sealed class Results : IDisposable
    {
        public Dictionary<string, Tensor> Ours { get; } = new();
        public Dictionary<string, Tensor> Reference { get; }

        public Results()
        {
            using var dir = new TempDir();
            torch.manual_seed(1234);
            var inputs = new Dictionary<string, Tensor>();
            foreach (var c in Cases)
            {
                var t = new Dictionary<string, Tensor>();
                foreach (var (name, shape) in c.Inputs) t[name] = MakeInput(c.Name, name, shape);
                foreach (var (k, v) in t) inputs[$"{c.Name}.{k}"] = v;
                // Running statistics are updated in place: give the forward its own copies.
                if (t.ContainsKey("rm") && c.Extra is not null) { t["rm_live"] = t["rm"].clone(); t["rv_live"] = t["rv"].clone(); }
                foreach (var g in c.Grads) t[g] = t[g].detach().requires_grad_();
                using var outT = c.Forward(t);
                var upstream = torch.randn(outT.shape);
                inputs[$"{c.Name}.g"] = upstream;
                using (var loss = (outT * upstream).sum()) loss.backward();
                Ours[$"{c.Name}.out"] = outT.detach();
                if (c.Extra is not null) foreach (var (k, v) in c.Extra(t)) Ours[$"{c.Name}.{k}.after"] = v.clone();
                foreach (var g in c.Grads) Ours[$"{c.Name}.grad.{g}"] = t[g].grad!;
            }
            string inPath = dir.File("in.safetensors"), outPath = dir.File("out.safetensors");
            TensorRecords.SaveSafetensors(inPath, inputs);
            Python.RunOracle("torch_ops.py", inPath, outPath);
            Reference = TensorRecords.LoadSafetensors(outPath);
            foreach (var v in inputs.Values) v.Dispose();
        }

        private static Tensor MakeInput(string c, string name, long[] shape) => (c, name) switch
        {
            ("cross_entropy", "target") => torch.randint(0, 5, shape),
            ("cross_entropy_none", "target") => torch.randint(0, 5, shape),
            ("bce_with_logits", "target") => torch.rand(shape),
            (_, "rv") => torch.rand(shape) + 0.5,
            (_, "cw") or (_, "pw") => torch.rand(shape) + 0.5,
            (_, "grid") => torch.rand(shape) * 2.4 - 1.2,
            _ => torch.randn(shape),
        };

        public void Dispose()
        {
            foreach (var t in Ours.Values) t.Dispose();
            foreach (var t in Reference.Values) t.Dispose();
        }
    }

    private readonly Results _r;

    public FunctionalOracleTests(Results r) => _r = r;

    public static TheoryData<string> CaseNames()
    {
        var d = new TheoryData<string>();
        foreach (var c in Cases) d.Add(c.Name);
        return d;
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void OutputsAndGradientsMatchPyTorch(string name)
    {
        var keys = _r.Ours.Keys.Where(k => k.StartsWith(name + ".", StringComparison.Ordinal)).ToList();
        Assert.Contains($"{name}.out", keys);
        foreach (var key in keys)
        {
            Assert.True(_r.Reference.TryGetValue(key, out var expected), $"oracle did not produce {key}");
            var ours = _r.Ours[key];
            Assert.Equal(expected!.shape, ours.shape);
            var a = ours.to(DType.Float64).data<double>();
            var b = expected.to(DType.Float64).data<double>();
            double scale = Math.Max(b.Select(Math.Abs).DefaultIfEmpty(0).Max(), 1e-3);
            double worst = a.Zip(b, (x, y) => Math.Abs(x - y)).DefaultIfEmpty(0).Max();
            Assert.True(worst <= 1e-5 * scale, $"{key}: max |diff| {worst:E3} exceeds 1e-5 × {scale:E3}");
        }
    }
}
