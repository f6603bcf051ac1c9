using TTL.Imaging.Datasets;
using TTL.TestSupport;
using TTL.Torch;
using TTL.Torch.Serialization;
using TTL.Training.Config;

namespace TTL.Training.Tests;

[Collection("training")]
public class TrainerTests
{
    private static ExperimentConfig Config(string dataset, string extra = "") => ExperimentConfig.Parse($$"""
        data:
          dataset: {{dataset}}
          split: {kind: kfold, folds: 4, fold: 0}
        model: {arch: resnet10, strategy: scratch}
        optimizer: {kind: adamw, lr: 0.003, weight_decay: 0.0}
        schedule: {kind: constant}
        train: {epochs: 6, batch_size: 4, workers: 2, prefetch: 4}
        seed: 3
        threads: 2
        {{extra}}
        """, Path.GetDirectoryName(dataset)!);

    [Fact]
    public void TinyModelLearnsTheCubeTaskWithinSixEpochs()
    {
        using var dir = new TempDir();
        var cfg = Config(SyntheticData.Classification(dir.File("data"), 40));
        var result = new Trainer(cfg, dir.File("run")).Run();
        // Stated target: validation AUPRC ≥ 0.9 on 10 held-out cases after at most 6 epochs (seed 3).
        Assert.Equal("auprc", result.Metric);
        Assert.True(result.BestValue >= 0.9, $"best AUPRC {result.BestValue:F3} after {result.EpochsRun} epochs");
        foreach (var f in new[] { "config.yaml", "versions.json", "metrics.jsonl", "best.ckpt", "last.ckpt", "summary.json", "learning_curve.svg" })
            Assert.True(File.Exists(Path.Combine(dir.File("run"), f)), f + " missing");
        Assert.Equal(6, File.ReadAllLines(Path.Combine(dir.File("run"), "metrics.jsonl")).Length);
    }

    [Fact]
    public void ResumedRunEndsWithTheSameWeightsAsAnUninterruptedOne()
    {
        using var dir = new TempDir();
        string data = SyntheticData.Classification(dir.File("data"), 16);
        var cfg = Config(data) with { Train = Config(data).Train with { Epochs = 4, Workers = 2 } };
        new Trainer(cfg, dir.File("straight")).Run();
        // Stop after 2 epochs (as a killed run leaves last.ckpt), then resume with another worker count.
        new Trainer(cfg, dir.File("resumed")).Run(stopAfterEpochs: 2);
        var cfgOtherWorkers = cfg with { Train = cfg.Train with { Workers = 0 } };
        Assert.Throws<InvalidDataException>(() => new Trainer(cfgOtherWorkers, dir.File("resumed")).Run(resume: true));
        new Trainer(cfg, dir.File("resumed")).Run(resume: true);

        var a = ToolkitCheckpoint.Read(Path.Combine(dir.File("straight"), "last.ckpt")).Section("model");
        var b = ToolkitCheckpoint.Read(Path.Combine(dir.File("resumed"), "last.ckpt")).Section("model");
        Assert.Equal(a.Select(r => r.Name), b.Select(r => r.Name));
        for (int k = 0; k < a.Count; k++) Assert.True(a[k].Data.Span.SequenceEqual(b[k].Data.Span), $"{a[k].Name} differs");
        Assert.Equal(File.ReadAllLines(Path.Combine(dir.File("straight"), "metrics.jsonl")).Select(StripSeconds),
            File.ReadAllLines(Path.Combine(dir.File("resumed"), "metrics.jsonl")).Select(StripSeconds));
    }

    [Fact]
    public void LoaderWorkerCountDoesNotChangeTheResult()
    {
        using var dir = new TempDir();
        string data = SyntheticData.Classification(dir.File("data"), 12);
        var cfg = Config(data) with { Train = Config(data).Train with { Epochs = 2 } };
        new Trainer(cfg with { Train = cfg.Train with { Workers = 0 } }, dir.File("w0")).Run();
        new Trainer(cfg with { Train = cfg.Train with { Workers = 2 } }, dir.File("w2")).Run();
        var a = ToolkitCheckpoint.Read(Path.Combine(dir.File("w0"), "last.ckpt")).Section("model");
        var b = ToolkitCheckpoint.Read(Path.Combine(dir.File("w2"), "last.ckpt")).Section("model");
        for (int k = 0; k < a.Count; k++) Assert.True(a[k].Data.Span.SequenceEqual(b[k].Data.Span), $"{a[k].Name} differs");
    }

    [Fact]
    public void SegmentationTrainsOnPatchesAndValidatesWithSlidingWindow()
    {
        using var dir = new TempDir();
        string data = SyntheticData.Segmentation(dir.File("seg"), 8);
        var cfg = ExperimentConfig.Parse($$"""
            data:
              dataset: {{data}}
              split: {kind: kfold, folds: 4, fold: 0}
            model: {arch: unet, strategy: scratch}
            optimizer: {kind: adam, lr: 0.01, weight_decay: 0.0}
            schedule: {kind: constant}
            train: {epochs: 2, batch_size: 2, patch_size: [16, 16, 16], patches_per_case: 2, workers: 1}
            threads: 2
            """, dir.Path);
        var result = new Trainer(cfg, dir.File("run")).Run();
        Assert.Equal("dice", result.Metric);
        Assert.InRange(result.BestValue, 0, 1);
        var metrics = File.ReadAllLines(Path.Combine(dir.File("run"), "metrics.jsonl"));
        Assert.Contains("hd95", metrics[^1]);
    }

    private static string StripSeconds(string line) => System.Text.RegularExpressions.Regex.Replace(line, "\"seconds\":[0-9.eE+-]+", "");
}

[CollectionDefinition("training", DisableParallelization = true)]
public sealed class TrainingCollection;
