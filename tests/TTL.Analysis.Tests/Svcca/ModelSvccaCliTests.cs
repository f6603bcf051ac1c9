using System.Text.Json;
using TTL.Imaging;
using TTL.Models;
using TTL.Torch;
using TTL.TestSupport;
using Ttl = TTL.TestSupport.Cli;

namespace TTL.Analysis.Tests.Svcca;

/// <summary>`ttl svcca --a --b --data`: block-by-block comparison of two models on the same volumes.</summary>
public class ModelSvccaCliTests
{
    private static void WriteWeights(string path, int seed)
    {
        torch.manual_seed(seed);
        using var net = Architectures.Create("resnet10");
        TensorRecords.SaveSafetensors(path, net.state_dict().Select(kv => KeyValuePair.Create(kv.Key, kv.Value)));
    }

    private static string WriteDataset(TempDir dir, int cases = 3)
    {
        var rng = new Random(4);
        var entries = new List<string>();
        Directory.CreateDirectory(dir.File("imagesTr"));
        for (int i = 0; i < cases; i++)
        {
            var data = new float[32 * 32 * 32];
            for (int v = 0; v < data.Length; v++) data[v] = (float)rng.NextDouble();
            NiftiWriter.Write(new Volume(data, 1, [32, 32, 32], new double[,] { { 1, 0, 0, 0 }, { 0, 1, 0, 0 }, { 0, 0, 1, 0 }, { 0, 0, 0, 1 } }),
                dir.File($"imagesTr/v{i}.nii.gz"));
            entries.Add($"{{\"image\": \"imagesTr/v{i}.nii.gz\", \"label\": {i % 2}}}");
        }
        File.WriteAllText(dir.File("dataset.json"), "{\"training\": [" + string.Join(", ", entries) + "]}");
        return dir.File("dataset.json");
    }

    [Fact]
    public void AModelAgainstItselfGivesOnesAndAgainstAnotherLess()
    {
        using var dir = new TempDir();
        string data = WriteDataset(dir);
        WriteWeights(dir.File("a.safetensors"), 1);
        WriteWeights(dir.File("b.safetensors"), 2);

        var same = Ttl.Run("svcca", "--a", dir.File("a.safetensors"), "--b", dir.File("a.safetensors"), "--arch", "resnet10",
            "--data", data, "--blocks", "layer1.0,layer2.0", "--positions", "300", "--json", "--threads", "2", "--out", dir.File("out"));
        Assert.True(same.ExitCode == 0, same.Stderr);
        var blocks = JsonDocument.Parse(same.Stdout).RootElement.GetProperty("blocks").EnumerateArray().ToList();
        Assert.Equal(["layer1.0", "layer2.0"], blocks.Select(b => b.GetProperty("block").GetString()));
        // 32³ input: layer1.0 works on 8³ = 512 positions (300 sampled), layer2.0 on 4³ = 64 (all); 3 volumes.
        Assert.Equal(900, blocks[0].GetProperty("n").GetInt64());
        Assert.Equal(192, blocks[1].GetProperty("n").GetInt64());
        foreach (var b in blocks)
        {
            Assert.True(b.GetProperty("mean_cca").GetDouble() > 0.999, b.ToString());
            Assert.True(b.GetProperty("cka").GetDouble() > 0.999, b.ToString());
        }
        Assert.True(File.Exists(Path.Combine(dir.File("out"), "svcca_blocks.csv")));
        Assert.True(File.Exists(Path.Combine(dir.File("out"), "cca_layer2.0.svg")));

        var other = Ttl.Run("svcca", "--a", dir.File("a.safetensors"), "--b", dir.File("b.safetensors"), "--arch", "resnet10",
            "--data", data, "--blocks", "layer1.0", "--positions", "300", "--json", "--threads", "2");
        Assert.True(other.ExitCode == 0, other.Stderr);
        var o = JsonDocument.Parse(other.Stdout).RootElement.GetProperty("blocks")[0];
        Assert.True(o.GetProperty("mean_cca").GetDouble() < 0.99, o.ToString());
        Assert.True(o.GetProperty("mean_cca").GetDouble() > o.GetProperty("baseline_mean_cca").GetDouble(), o.ToString());
    }

    [GpuFact]
    [Trait("Category", "Gpu")]
    public void Cuda_model_comparison_equals_the_cpu()
    {
        // Activations come from the CPU libtorch either way; the accumulation and analysis run on the device.
        using var dir = new TempDir();
        string data = WriteDataset(dir, cases: 2);
        WriteWeights(dir.File("a.safetensors"), 1);
        WriteWeights(dir.File("b.safetensors"), 2);
        JsonElement Run(string device)
        {
            var r = Ttl.Run("svcca", "--a", dir.File("a.safetensors"), "--b", dir.File("b.safetensors"), "--arch", "resnet10", "--data", data,
                "--blocks", "layer1.0,layer2.0", "--positions", "150", "--json", "--threads", "2", "--device", device);
            Assert.True(r.ExitCode == 0, r.Stderr);
            return JsonDocument.Parse(r.Stdout).RootElement;
        }
        var cpu = Run("cpu");
        var gpu = Run("cuda");
        Assert.StartsWith("cuda:0", gpu.GetProperty("device").GetString());
        var cb = cpu.GetProperty("blocks").EnumerateArray().ToList();
        var gb = gpu.GetProperty("blocks").EnumerateArray().ToList();
        Assert.Equal(cb.Count, gb.Count);
        for (int i = 0; i < cb.Count; i++)
        {
            Assert.Equal(cb[i].GetProperty("kept_a").GetInt32(), gb[i].GetProperty("kept_a").GetInt32());
            foreach (var key in new[] { "mean_cca", "pwcca", "cka", "baseline_mean_cca" })
                Assert.True(Math.Abs(cb[i].GetProperty(key).GetDouble() - gb[i].GetProperty(key).GetDouble()) <= 1e-5, $"{key}: {cb[i]} vs {gb[i]}");
        }
    }

    [Fact]
    public void WithinOneModelGivesASymmetricHeatmapWithOnesOnTheDiagonal()
    {
        using var dir = new TempDir();
        string data = WriteDataset(dir);
        WriteWeights(dir.File("a.safetensors"), 1);
        var r = Ttl.Run("svcca", "--a", dir.File("a.safetensors"), "--arch", "resnet10", "--within", "--data", data,
            "--blocks", "layer1.0,layer2.0,layer3.0", "--positions", "200", "--json", "--threads", "2", "--out", dir.File("out"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        var m = JsonDocument.Parse(r.Stdout).RootElement.GetProperty("mean_cca").EnumerateArray()
            .Select(row => row.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        Assert.Equal(3, m.Length);
        for (int i = 0; i < 3; i++)
        {
            Assert.True(m[i][i] > 0.999, $"diagonal {i}: {m[i][i]}");
            for (int j = 0; j < 3; j++) Assert.Equal(m[i][j], m[j][i], 12);
        }
        Assert.True(m[0][2] < 0.99, $"layer1.0 vs layer3.0: {m[0][2]}");
        Assert.True(File.Exists(Path.Combine(dir.File("out"), "heatmap_mean_cca.svg")));
        Assert.True(File.Exists(Path.Combine(dir.File("out"), "heatmap_cka.svg")));
    }

    [Fact]
    public void SearchTrialsAgainstThePretrainedModelGiveBoxPlotsPerCut()
    {
        using var dir = new TempDir();
        string data = WriteDataset(dir, cases: 8);
        WriteWeights(dir.File("a.safetensors"), 1);
        File.WriteAllText(dir.File("exp.yaml"), $$"""
            data:
              dataset: {{data}}
              split: {kind: kfold, folds: 2, fold: 0}
            model: {arch: resnet10, weights: {{dir.File("a.safetensors")}}}
            schedule: {kind: constant}
            train: {epochs: 1, batch_size: 4, workers: 0}
            threads: 2
            """);
        var search = Ttl.Run("search", "--config", dir.File("exp.yaml"), "--out", dir.File("search"), "--stages", "coarse", "--quiet");
        Assert.True(search.ExitCode == 0, search.Stderr);
        var r = Ttl.Run("svcca", "--a", dir.File("a.safetensors"), "--arch", "resnet10", "--search", dir.File("search"), "--data", data,
            "--positions", "100", "--json", "--threads", "2", "--out", dir.File("out"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        var trials = JsonDocument.Parse(r.Stdout).RootElement.GetProperty("trials").EnumerateArray().ToList();
        Assert.Equal([2, 3, 4, 5], trials.Select(t => t.GetProperty("cut").GetInt32()));
        // One epoch from the pretrained weights leaves the bottom block close to them.
        Assert.True(trials[0].GetProperty("mean_cca").GetDouble() > 0.5, trials[0].ToString());
        Assert.True(File.Exists(Path.Combine(dir.File("out"), "boxplot_mean_cca.svg")));
    }

    [Fact]
    public void MixingFilesAndModelsOrMissingArchIsAUsageError()
    {
        using var dir = new TempDir();
        string data = WriteDataset(dir);
        WriteWeights(dir.File("a.safetensors"), 1);
        Assert.Equal(2, Ttl.Run("svcca", "--a", dir.File("a.safetensors"), "--b", dir.File("a.safetensors"), "--data", data).ExitCode);
        Assert.Equal(2, Ttl.Run("svcca", "--a", dir.File("a.safetensors"), "--b", dir.File("a.safetensors"), "--within", "--arch", "resnet10", "--data", data).ExitCode);
        Assert.Equal(2, Ttl.Run("svcca", "--a", dir.File("a.safetensors"), "--acts-b", dir.File("a.safetensors")).ExitCode);
        var missing = Ttl.Run("svcca", "--a", dir.File("nope.pth"), "--b", dir.File("a.safetensors"), "--arch", "resnet10", "--data", data);
        Assert.Equal(3, missing.ExitCode);
        Assert.Contains("nope.pth", missing.Stderr);
    }
}
