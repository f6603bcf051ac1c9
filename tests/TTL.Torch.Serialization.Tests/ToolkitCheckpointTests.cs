using System.Text.Json.Nodes;
using TTL.TestSupport;

namespace TTL.Torch.Serialization.Tests;

public sealed class ToolkitCheckpointTests
{
    private static readonly ToolkitCheckpointMeta Meta = new()
    {
        Architecture = "resnet18",
        Cut = "6",
        Strategy = "truncate:6",
        NumClasses = 2,
        Preprocessing = "- spacing: [1.5, 1.5, 1.5]\n- zscore: {}\n",
        Versions = new ToolkitVersions("0.1.0", "1.13.1"),
        Epoch = 12,
        Extras = new JsonObject { ["best_auprc"] = 0.91 },
    };

    private static TensorRecord T(string name, float value) =>
        new(name, DType.Float32, [1], BitConverter.GetBytes(value));

    [Fact]
    public void WriteThenReadKeepsMetadataAndSections()
    {
        using var dir = new TempDir();
        string path = dir.File("best.ckpt");
        ToolkitCheckpoint.Write(path, Meta, [T("model.conv1.weight", 1), T("optimizer.state.0.momentum_buffer", 2)]);
        var back = ToolkitCheckpoint.Read(path);
        Assert.Equal(Meta with { Extras = null }, back.Meta with { Extras = null });
        Assert.Equal(0.91, back.Meta.Extras!["best_auprc"]!.GetValue<double>());
        Assert.Equal("conv1.weight", Assert.Single(back.Section("model")).Name);
        Assert.Equal("state.0.momentum_buffer", Assert.Single(back.Section("optimizer")).Name);
        // It is plain safetensors: the generic reader sees it too.
        Assert.Equal("ttl-checkpoint/1", Checkpoint.Read(path).Values["ttl.format"]);
    }

    [Fact]
    public void PlainSafetensorsAndNewerFormatsAreRefused()
    {
        using var dir = new TempDir();
        string plain = dir.File("plain.safetensors");
        Safetensors.Write(plain, [T("conv1.weight", 1)]);
        Assert.Contains("not a toolkit checkpoint", Assert.Throws<InvalidDataException>(() => ToolkitCheckpoint.Read(plain)).Message);

        string newer = dir.File("newer.ckpt");
        Safetensors.Write(newer, [T("model.w", 1)], new Dictionary<string, string> { ["ttl.format"] = "ttl-checkpoint/2", ["ttl.meta"] = "{}" });
        Assert.Contains("ttl-checkpoint/2", Assert.Throws<InvalidDataException>(() => ToolkitCheckpoint.Read(newer)).Message);

        string missing = dir.File("missing.ckpt");
        Safetensors.Write(missing, [T("model.w", 1)], new Dictionary<string, string> { ["ttl.format"] = "ttl-checkpoint/1", ["ttl.meta"] = """{"architecture":"resnet18"}""" });
        Assert.Contains("ttl.meta is not valid", Assert.Throws<InvalidDataException>(() => ToolkitCheckpoint.Read(missing)).Message);
    }

    [Fact]
    public void TensorNamesMustCarryASection()
    {
        using var dir = new TempDir();
        Assert.Throws<ArgumentException>(() => ToolkitCheckpoint.Write(dir.File("a.ckpt"), Meta, [T("conv1.weight", 1)]));
        Assert.Throws<ArgumentException>(() => ToolkitCheckpoint.Write(dir.File("b.ckpt"), Meta, [T("optimizer.x", 1)]));
    }
}
