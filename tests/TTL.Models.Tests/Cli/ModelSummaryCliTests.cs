using System.Text.Json;
using TTL.TestSupport;

namespace TTL.Models.Tests.Cli;

public class ModelSummaryCliTests
{
    [Fact]
    public void Resnet50StdListsSeventeenCutPointsWithPyTorchsParameterCounts()
    {
        var r = TestSupport.Cli.Run("model", "summary", "--arch", "resnet50-std", "--input", "64,128,128", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        var cuts = doc.RootElement.GetProperty("cut_points").EnumerateArray().ToList();
        Assert.Equal(17, cuts.Count);

        using var oracle = JsonDocument.Parse(Python.RunOracle("medicalnet.py", "count", "50", "std"));
        var expected = oracle.RootElement.GetProperty("cuts").EnumerateArray().ToList();
        Assert.Equal(expected.Count, cuts.Count);
        for (int k = 0; k < cuts.Count; k++)
        {
            Assert.Equal(expected[k].GetProperty("name").GetString(), cuts[k].GetProperty("name").GetString());
            Assert.Equal(expected[k].GetProperty("params").GetInt64(), cuts[k].GetProperty("cumulative_params").GetInt64());
        }
        // Standard layout with conv1 stride (1, 2, 2): 64x128x128 → 64x64x64 → max-pool 32x32x32 → … → layer4 4x4x4.
        Assert.Equal([1L, 2048, 4, 4, 4], cuts[^1].GetProperty("output_shape").EnumerateArray().Select(e => e.GetInt64()));
        // conv1 alone: 64·(64·64·64 outputs)·(1·7·7·7) MACs.
        Assert.True(cuts[0].GetProperty("macs").GetInt64() >= 64L * 64 * 64 * 64 * 343);
    }

    [Fact]
    public void MacsOfASmallNetworkAreCountedFromShapes()
    {
        var r = TestSupport.Cli.Run("model", "summary", "--arch", "cbr-small", "--input", "8,8,8", "--cut", "2", "--classes", "3", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        var cuts = doc.RootElement.GetProperty("cut_points").EnumerateArray().ToList();
        Assert.Equal(2, cuts.Count);
        // stage1: 7³ conv 1→32 at 8³ (stride 1); stage2: 7³ conv 32→64 at 4³; head: linear 64→3.
        Assert.Equal(32L * 512 * 343, cuts[0].GetProperty("macs").GetInt64());
        Assert.Equal(64L * 64 * 32 * 343, cuts[1].GetProperty("macs").GetInt64());
        Assert.Equal(3L * 64, doc.RootElement.GetProperty("head").GetProperty("macs").GetInt64());
        Assert.Equal(64L * 3 + 3, doc.RootElement.GetProperty("head").GetProperty("params").GetInt64());
        Assert.Equal([1L, 3], doc.RootElement.GetProperty("output_shape").EnumerateArray().Select(e => e.GetInt64()));
    }

    [Fact]
    public void BenchTimesEveryCoarseCutAndTheFullModel()
    {
        var r = TestSupport.Cli.Run("model", "summary", "--arch", "resnet10", "--input", "16,16,16", "--bench", "--runs", "1", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        var rows = doc.RootElement.GetProperty("bench").GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(["layer1.0", "layer2.0", "layer3.0", "layer4.0"], rows.Select(e => e.GetProperty("cut").GetString()));
        Assert.True(rows[^1].GetProperty("full").GetBoolean());
        Assert.All(rows, e => Assert.True(e.GetProperty("ms").GetDouble() > 0));
    }

    [Theory]
    [InlineData("--arch", "resnet51")]
    [InlineData("--arch", "resnet50", "--cut", "18")]
    [InlineData("--arch", "resnet50", "--input", "64,128")]
    [InlineData("--arch", "resnet50", "--shortcut", "C")]
    public void BadArgumentsExitTwoWithOneErrorLine(params string[] args)
    {
        var r = TestSupport.Cli.Run(["model", "summary", .. args]);
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("error: ", r.Stderr);
        if (args[1] == "resnet51") Assert.Contains("resnet50-std", r.Stderr);
    }

    [Fact]
    public void TheTableShowsBlocksAndTotals()
    {
        var r = TestSupport.Cli.Run("model", "summary", "--arch", "resnet18", "--input", "16,16,16", "--cut", "layer2");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("layer2.1", r.Stdout);
        Assert.DoesNotContain("layer3.0", r.Stdout);
        Assert.Contains("total:", r.Stdout);
    }
}
