using System.Text.Json;
using TTL.Torch.Modules;
using TTL.Torch.Optim;
using TTL.TestSupport;
using F = TTL.Torch.torch.nn.functional;

namespace TTL.Torch.Tests;

/// <summary>
/// The same small 3-D network in C# and in tests/oracles/torch_modules.py (python3-torch): state-dict
/// keys, order and shapes; default initialisation after the same seed; outputs, gradients and
/// running statistics in train and eval mode; 20 optimizer steps with two parameter groups, straight
/// and resumed from state dicts. Tolerance: max |ours − reference| ≤ 1e-5 × max(|reference|, 1e-3)
/// per tensor. Serial, because the default-initialisation check needs libtorch's global generator to
/// itself.
/// </summary>
[Collection("serial")]
public class ModuleOracleTests : IClassFixture<ModuleOracleTests.Oracle>
{
    /// <summary>The oracle's network, built in the same order (so the same generator draws).</summary>
    public sealed class OracleNet : Module<Tensor, Tensor>
    {
        private readonly Sequential stem, block, head;
        private readonly MaxPool3d pool;
        private readonly ConvTranspose3d up;
        private readonly InstanceNorm3d norm;
        private readonly GELU act;

        public OracleNet()
        {
            register_module("stem", stem = torch.nn.Sequential(torch.nn.Conv3d(1, 4, 3, padding: 1, bias: false),
                torch.nn.BatchNorm3d(4), torch.nn.ReLU(inplace: true)));
            register_module("pool", pool = torch.nn.MaxPool3d(2));
            register_module("block", block = torch.nn.Sequential(
                torch.nn.Conv3d(4, 8, 3, padding: 1), torch.nn.BatchNorm3d(8, momentum: null), torch.nn.PReLU(),
                torch.nn.Conv3d(8, 8, 3, padding: 2, dilation: 2), torch.nn.GroupNorm(2, 8), torch.nn.LeakyReLU(0.1)));
            register_module("up", up = torch.nn.ConvTranspose3d(8, 4, 2, stride: 2));
            register_module("norm", norm = torch.nn.InstanceNorm3d(4, affine: true, track_running_stats: true));
            register_module("act", act = torch.nn.GELU());
            register_module("head", head = torch.nn.Sequential(torch.nn.AdaptiveAvgPool3d(1), torch.nn.Flatten(), torch.nn.Linear(8, 3)));
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = torch.NewDisposeScope();
            var s = stem.call(x);
            var u = act.call(norm.call(up.call(block.call(pool.call(s)))));
            return scope.MoveToOuter(head.call(torch.cat([s, u], 1)));
        }
    }

    public sealed class Oracle : IDisposable
    {
        public Dictionary<string, Tensor> Reference { get; }
        public string[] Keys { get; }
        public long[][] Shapes { get; }
        public string Repr { get; }

        public Oracle()
        {
            using var dir = new TempDir();
            string path = dir.File("out.safetensors");
            using var json = JsonDocument.Parse(Python.RunOracle("torch_modules.py", path));
            Keys = json.RootElement.GetProperty("keys").EnumerateArray().Select(e => e.GetString()!).ToArray();
            Shapes = json.RootElement.GetProperty("shapes").EnumerateArray()
                .Select(s => s.EnumerateArray().Select(d => d.GetInt64()).ToArray()).ToArray();
            Repr = json.RootElement.GetProperty("repr").GetString()!;
            Reference = TensorRecords.LoadSafetensors(path);
        }

        public Dictionary<string, Tensor> WithPrefix(string prefix) =>
            Reference.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
                .ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value);

        public void Dispose()
        {
            foreach (var t in Reference.Values) t.Dispose();
        }
    }

    private readonly Oracle _o;

    public ModuleOracleTests(Oracle o) => _o = o;

    private static void AssertClose(Tensor expected, Tensor ours, string what)
    {
        Assert.Equal(expected.shape, ours.shape);
        var a = ours.to(DType.Float64).data<double>();
        var b = expected.to(DType.Float64).data<double>();
        double scale = Math.Max(b.Select(Math.Abs).DefaultIfEmpty(0).Max(), 1e-3);
        double worst = a.Zip(b, (x, y) => Math.Abs(x - y)).DefaultIfEmpty(0).Max();
        Assert.True(worst <= 1e-5 * scale, $"{what}: max |diff| {worst:E3} exceeds 1e-5 × {scale:E3}");
    }

    private static void AssertStateClose(Dictionary<string, Tensor> expected, Module net, string what)
    {
        using var scope = torch.NewDisposeScope();
        var sd = net.state_dict();
        Assert.Equal(expected.Keys.Order(), sd.Keys.Order());
        foreach (var (k, v) in sd) AssertClose(expected[k], v, $"{what} {k}");
    }

    private OracleNet LoadedNet()
    {
        var net = new OracleNet();
        var report = net.load_state_dict(_o.WithPrefix("init."));
        Assert.True(report.IsClean, report.ToString());
        return net;
    }

    [Fact]
    public void StateDictHasPyTorchsKeysOrderAndShapes()
    {
        using var net = new OracleNet();
        using var scope = torch.NewDisposeScope();
        var sd = net.state_dict();
        Assert.Equal(_o.Keys, sd.Keys.ToArray());
        Assert.Equal(_o.Shapes, sd.Values.Select(t => t.shape).ToArray());
        Assert.Equal(DType.Int64, sd["stem.1.num_batches_tracked"].dtype);
    }

    [Fact]
    public void ToStringPrintsLikePyTorch() => Assert.Equal(_o.Repr, new OracleNet().ToString());

    [Fact]
    public void DefaultInitialisationAfterTheSameSeedEqualsPyTorchs()
    {
        torch.manual_seed(0);
        using var net = new OracleNet();
        using var scope = torch.NewDisposeScope();
        foreach (var (k, v) in net.state_dict())
            Assert.True(v.equal(_o.Reference["default." + k]), $"{k} differs from PyTorch's default initialisation");
    }

    [Theory]
    [InlineData("train")]
    [InlineData("eval")]
    public void OutputsAndGradientsMatchPyTorch(string mode)
    {
        using var net = LoadedNet();
        using var scope = torch.NewDisposeScope();
        var x = _o.Reference["x"];
        if (mode == "eval")
        {
            // The oracle ran eval after one train-mode pass: start from the running statistics it left.
            Assert.True(net.load_state_dict(_o.WithPrefix("train.state.")).IsClean);
            net.eval();
        }
        var output = net.call(x);
        (output * _o.Reference["g"]).sum().backward();
        AssertClose(_o.Reference[$"{mode}.out"], output, $"{mode} output");
        foreach (var (name, p) in net.named_parameters())
            AssertClose(_o.Reference[$"{mode}.grad.{name}"], p.grad!, $"{mode} gradient of {name}");
        if (mode == "train") AssertStateClose(_o.WithPrefix("train.state."), net, "after a train-mode forward");
    }

    private static Optimizer MakeOptimizer(string config, OracleNet net)
    {
        var body = net.named_parameters().Where(p => p.name.StartsWith("stem.") || p.name.StartsWith("block.")).Select(p => p.parameter);
        var rest = net.named_parameters().Where(p => !(p.name.StartsWith("stem.") || p.name.StartsWith("block."))).Select(p => p.parameter);
        return config switch
        {
            "sgd_nesterov" => torch.optim.SGD([new ParamGroup(body, lr: 0.05, weight_decay: 1e-3), new ParamGroup(rest, lr: 0.02, weight_decay: 1e-2)],
                lr: 0.1, momentum: 0.9, dampening: 0, nesterov: true),
            "sgd_dampening" => torch.optim.SGD([new ParamGroup(body, lr: 0.05), new ParamGroup(rest, lr: 0.02, weight_decay: 1e-2)],
                lr: 0.1, momentum: 0.5, dampening: 0.1),
            "adam" => torch.optim.Adam([new ParamGroup(body, lr: 1e-2, weight_decay: 1e-3), new ParamGroup(rest, lr: 3e-3)], lr: 1e-3),
            "adam_amsgrad" => torch.optim.Adam([new ParamGroup(body, lr: 1e-2, weight_decay: 1e-3), new ParamGroup(rest, lr: 3e-3)], lr: 1e-3, amsgrad: true),
            "adamw" => torch.optim.AdamW([new ParamGroup(body, lr: 1e-2, weight_decay: 1e-2), new ParamGroup(rest, lr: 3e-3, weight_decay: 0.1)], lr: 1e-3),
            "adamw_amsgrad" => torch.optim.AdamW([new ParamGroup(body, lr: 1e-2, weight_decay: 1e-2), new ParamGroup(rest, lr: 3e-3, weight_decay: 0.1)],
                lr: 1e-3, amsgrad: true),
            _ => throw new ArgumentException(config),
        };
    }

    private void Train(OracleNet net, Optimizer opt, int steps)
    {
        for (int k = 0; k < steps; k++)
        {
            using var scope = torch.NewDisposeScope();
            opt.zero_grad();
            F.cross_entropy(net.call(_o.Reference["x"]), _o.Reference["y"]).backward();
            opt.step();
        }
    }

    public static TheoryData<string> Configs() =>
        new("sgd_nesterov", "sgd_dampening", "adam", "adam_amsgrad", "adamw", "adamw_amsgrad");

    [Theory]
    [MemberData(nameof(Configs))]
    public void TwentyStepsWithTwoParameterGroupsMatchTorchOptim(string config)
    {
        using var net = LoadedNet();
        using var opt = MakeOptimizer(config, net);
        Train(net, opt, 20);
        AssertStateClose(_o.WithPrefix($"opt.{config}."), net, config);
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void ResumingFromStateDictsAfterTenStepsEqualsNotStopping(string config)
    {
        OrderedDictionary<string, Tensor> modelState;
        OptimizerStateDict optState;
        using (var net = LoadedNet())
        using (var opt = MakeOptimizer(config, net))
        {
            Train(net, opt, 10);
            modelState = new(net.state_dict().Select(kv => KeyValuePair.Create(kv.Key, kv.Value.clone())));
            optState = opt.state_dict();
        }
        using (optState)
        using (var resumed = new OracleNet())
        {
            Assert.True(resumed.load_state_dict(modelState).IsClean);
            foreach (var t in modelState.Values) t.Dispose();
            using var opt = MakeOptimizer(config, resumed);
            foreach (var g in opt.param_groups) g.lr = 123; // must be restored from the state dict
            opt.load_state_dict(optState);
            Train(resumed, opt, 10);
            AssertStateClose(_o.WithPrefix($"opt.{config}."), resumed, config + " resumed");
        }
    }
}
