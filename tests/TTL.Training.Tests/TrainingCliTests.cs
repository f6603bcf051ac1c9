using System.Text.Json;
using TTL.TestSupport;
using TTL.Imaging;
using CliProcess = TTL.TestSupport.Cli;

namespace TTL.Training.Tests;

/// <summary>`ttl train`, `eval`, `predict` and `search` as scripts call them.</summary>
[Collection("training")]
public class TrainingCliTests
{
    private static string WriteConfig(TempDir dir, string dataset, string split = "kind: kfold, folds: 4, fold: 0")
    {
        string path = dir.File("exp.yaml");
        File.WriteAllText(path, $"""
            data:
              dataset: {dataset}
              split: {"{"}{split}{"}"}
            model: {"{"}arch: resnet10, strategy: scratch{"}"}
            optimizer: {"{"}kind: adamw, lr: 0.003{"}"}
            schedule: {"{"}kind: constant{"}"}
            train: {"{"}epochs: 2, batch_size: 4, workers: 1{"}"}
            seed: 1
            threads: 2
            """);
        return path;
    }

    [Fact]
    public void TrainingOnCudaWithACpuLibtorchIsAUsageErrorThatSaysWhy()
    {
        if (TTL.Torch.torch.cuda.is_available()) return; // a CUDA libtorch trains on the device
        using var dir = new TempDir();
        string cfg = WriteConfig(dir, SyntheticData.Classification(dir.File("data"), 4));
        var r = CliProcess.Run("train", "--config", cfg, "--out", dir.File("run"), "--device", "cuda");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("needs libtorch built with CUDA", r.Stderr);
        Assert.Contains("is a CPU build", r.Stderr);
        Assert.False(Directory.Exists(dir.File("run")));
    }

    [Fact]
    public void TrainEvalPredictAndSearchWorkTogether()
    {
        using var dir = new TempDir();
        string data = SyntheticData.Classification(dir.File("data"), 16);
        string cfg = WriteConfig(dir, data);

        var train = CliProcess.Run("train", "--config", cfg, "--out", dir.File("run"), "--json");
        Assert.True(train.ExitCode == 0, train.Stderr);
        var t = JsonDocument.Parse(train.Stdout).RootElement;
        Assert.Equal("auprc", t.GetProperty("metric").GetString());
        Assert.Equal(2, t.GetProperty("epochs_run").GetInt32());

        // The same run directory again is refused; --resume of a finished run trains nothing more.
        Assert.Equal(3, CliProcess.Run("train", "--config", cfg, "--out", dir.File("run")).ExitCode);

        var eval = CliProcess.Run("eval", "--run", dir.File("run"), "--json");
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        var e = JsonDocument.Parse(eval.Stdout).RootElement;
        Assert.Equal(4, e.GetProperty("n").GetInt32());
        foreach (var key in new[] { "accuracy", "balanced_accuracy", "auroc", "auprc", "f1" }) Assert.True(e.TryGetProperty(key, out _), key);

        var predict = CliProcess.Run("predict", "--run", dir.File("run"), "--in", Path.Combine(dir.File("data"), "imagesTr"), "--out", dir.File("pred.csv"));
        Assert.True(predict.ExitCode == 0, predict.Stderr);
        var lines = File.ReadAllLines(dir.File("pred.csv"));
        Assert.Equal("image,prob_0,prob_1,predicted", lines[0]);
        Assert.Equal(17, lines.Length);
        foreach (var line in lines.Skip(1))
        {
            var f = line.Split(',');
            Assert.Equal(1.0, double.Parse(f[1]) + double.Parse(f[2]), 6);
        }

        // The search truncates pretrained weights: the run just trained serves as the pretrained model.
        string weights = "model.weights=" + Path.Combine(dir.File("run"), "best.ckpt");
        var search = CliProcess.Run("search", "--config", cfg, "--out", dir.File("search"), "--json", "--set", "train.epochs=1", "--set", weights);
        Assert.True(search.ExitCode == 0, search.Stderr);
        var s = JsonDocument.Parse(search.Stdout).RootElement;
        // ResNet-10: one block per stage, so the coarse stage is the whole search (4 trials).
        Assert.Equal(4, s.GetProperty("rows").GetArrayLength());
        Assert.True(File.Exists(Path.Combine(dir.File("search"), "search.md")));
        // Re-running skips finished trials and merges the same table.
        var again = CliProcess.Run("search", "--config", cfg, "--out", dir.File("search"), "--json", "--set", "train.epochs=1", "--set", weights);
        Assert.Equal(s.GetProperty("chosen").GetRawText(), JsonDocument.Parse(again.Stdout).RootElement.GetProperty("chosen").GetRawText());
    }

    [Fact]
    public void ShardedSearchMergesToTheSameTableAsOneProcess()
    {
        using var dir = new TempDir();
        string data = SyntheticData.Classification(dir.File("data"), 12);
        string cfg = WriteConfig(dir, data);
        Assert.Equal(0, CliProcess.Run("train", "--config", cfg, "--out", dir.File("pre"), "--quiet", "--set", "train.epochs=1").ExitCode);
        string weights = "model.weights=" + Path.Combine(dir.File("pre"), "best.ckpt");
        var one = CliProcess.Run("search", "--config", cfg, "--out", dir.File("one"), "--json", "--set", "train.epochs=1", "--set", weights);
        Assert.True(one.ExitCode == 0, one.Stderr);
        foreach (var shard in new[] { "0/2", "1/2" })
            Assert.Equal(0, CliProcess.Run("search", "--config", cfg, "--out", dir.File("two"), "--shard", shard, "--set", "train.epochs=1", "--set", weights, "--quiet").ExitCode);
        var merged = CliProcess.Run("search", "--config", cfg, "--out", dir.File("two"), "--merge", "--json", "--set", "train.epochs=1", "--set", weights);
        Assert.True(merged.ExitCode == 0, merged.Stderr);
        string Table(string json) => string.Join(";", JsonDocument.Parse(json).RootElement.GetProperty("rows").EnumerateArray()
            .Select(r => $"{r.GetProperty("cut")}:{r.GetProperty("mean").GetDouble():R}:{r.GetProperty("parameters")}"));
        Assert.Equal(Table(one.Stdout), Table(merged.Stdout));
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("shape")]
    [InlineData("value")]
    [InlineData("empty")]
    public void BadDatasetsExitThreeNamingTheFileBeforeTraining(string problem)
    {
        using var dir = new TempDir();
        string data = SyntheticData.Segmentation(dir.File("seg"), 4, size: 12);
        string named;
        string split = "kind: kfold, folds: 2, fold: 0";
        switch (problem)
        {
            case "missing":
                File.Delete(Path.Combine(dir.File("seg"), "imagesTr", "s002.nii.gz"));
                named = "s002.nii.gz";
                break;
            case "shape":
                NiftiWriter.Write(new Volume(new float[12 * 12 * 11], 1, [12, 12, 11], SyntheticData.Affine), Path.Combine(dir.File("seg"), "labelsTr", "s001.nii.gz"));
                named = "s001.nii.gz";
                break;
            case "value":
                var label = new float[12 * 12 * 12];
                label[5] = 7;
                NiftiWriter.Write(new Volume(label, 1, [12, 12, 12], SyntheticData.Affine), Path.Combine(dir.File("seg"), "labelsTr", "s003.nii.gz"));
                named = "s003.nii.gz";
                break;
            default:
                split = "kind: lists, train: [s000, s001], val: []";
                named = "dataset.json";
                break;
        }
        string cfg = WriteConfig(dir, data, split);
        var r = CliProcess.Run("train", "--config", cfg, "--out", dir.File("run"), "--set", "train.patch_size=[8, 8, 8]", "--set", "model.arch=unet");
        Assert.Equal(3, r.ExitCode);
        Assert.StartsWith("error: ", r.Stderr);
        Assert.Contains(named, r.Stderr);
        Assert.False(File.Exists(Path.Combine(dir.File("run"), "last.ckpt")));
    }
}
