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

    [Fact]
    public void Bf16AutocastTrainsAndResumesExactly()
    {
        using var dir = new TempDir();
        string data = SyntheticData.Classification(dir.File("data"), 8);
        var fp32 = Config(data) with { Train = Config(data).Train with { Epochs = 2 } };
        var cfg = fp32 with { Train = fp32.Train with { Amp = "bf16" } };
        new Trainer(cfg, dir.File("straight")).Run();
        new Trainer(cfg, dir.File("resumed")).Run(stopAfterEpochs: 1);
        new Trainer(cfg, dir.File("resumed")).Run(resume: true);
        new Trainer(fp32 with { Train = fp32.Train with { Epochs = 1 } }, dir.File("fp32")).Run();

        var a = ToolkitCheckpoint.Read(Path.Combine(dir.File("straight"), "last.ckpt")).Section("model");
        var b = ToolkitCheckpoint.Read(Path.Combine(dir.File("resumed"), "last.ckpt")).Section("model");
        for (int k = 0; k < a.Count; k++) Assert.True(a[k].Data.Span.SequenceEqual(b[k].Data.Span), $"{a[k].Name} differs");
        var straight = File.ReadAllLines(Path.Combine(dir.File("straight"), "metrics.jsonl"));
        Assert.Equal(straight.Select(StripSeconds), File.ReadAllLines(Path.Combine(dir.File("resumed"), "metrics.jsonl")).Select(StripSeconds));
        // The forward passes ran in bfloat16: the first epoch's loss is not the float32 run's.
        static double Loss(string line) => System.Text.Json.JsonDocument.Parse(line).RootElement.GetProperty("train_loss").GetDouble();
        double bf16Loss = Loss(straight[0]), fp32Loss = Loss(File.ReadAllLines(Path.Combine(dir.File("fp32"), "metrics.jsonl"))[0]);
        Assert.NotEqual(fp32Loss, bf16Loss);
        Assert.True(Math.Abs(bf16Loss - fp32Loss) < 0.05 * fp32Loss, $"bf16 {bf16Loss} vs fp32 {fp32Loss}");
        Assert.Contains("amp: \"bf16\"", File.ReadAllText(Path.Combine(dir.File("straight"), "config.yaml")));
    }

    [Fact]
    public void Fp16NeedsCudaAndUnknownAmpModesAreRefused()
    {
        var e = Assert.Throws<InvalidDataException>(() => MixedPrecision.For("fp16", Device.CPU));
        Assert.Contains("needs device cuda", e.Message);
        using var dir = new TempDir();
        string data = SyntheticData.Classification(dir.File("data"), 4);
        var bad = Assert.Throws<InvalidDataException>(() => ExperimentConfig.Parse($"data: {{dataset: {data}}}\ntrain: {{amp: fp8}}\n", dir.Path));
        Assert.Contains("train.amp 'fp8'", bad.Message);
    }

    [GpuFact]
    [Trait("Category", "Gpu")]
    public void A_data_pipeline_on_cuda_gives_the_cpu_samples_and_trains_the_same()
    {
        // The pipeline on a GPU (the CUDA simulator in build/test), the model on the CPU libtorch.
        using var dir = new TempDir();
        string data = SyntheticData.Classification(dir.File("data"), 8);
        File.WriteAllText(dir.File("pipeline.yaml"), """
            transforms:
            - name: zscore
            - name: pad_to_multiple
              multiple: [8, 8, 8]
            - name: random_flip
              axes: [0, 1, 2]
            - name: random_affine
              prob: 0.8
              rotate: [8, 8, 8]
              scale: [0.1, 0.1, 0.1]
            - name: gaussian_noise
              prob: 0.5
              std: 0.05
            - name: scale_shift
              prob: 0.5
            """);
        var cfg = Config(data);
        var cpu = cfg with { Data = cfg.Data with { Pipeline = dir.File("pipeline.yaml") }, Train = cfg.Train with { Epochs = 1 } };
        var gpu = cpu with { Data = cpu.Data with { Device = "cuda" } };
        using (var xc = Experiment.Open(cpu, dir.File("c")))
        using (var xg = Experiment.Open(gpu, dir.File("g")))
        {
            Assert.NotNull(xg.Runner.Gpu);
            for (int i = 0; i < xc.Train.Count; i++)
            {
                var a = xc.Train.Prepare(i, 1000 + i, train: true);
                var b = xg.Train.Prepare(i, 1000 + i, train: true);
                Assert.Equal(a.Shape, b.Shape);
                for (int v = 0; v < a.Image.Length; v++)
                    Assert.True(Math.Abs(a.Image[v] - b.Image[v]) <= 1e-5 * Math.Max(1, Math.Abs(a.Image[v])), $"case {i} voxel {v}: {a.Image[v]} vs {b.Image[v]}");
            }
        }
        new Trainer(cpu, dir.File("cpu")).Run();
        new Trainer(gpu, dir.File("gpu")).Run();
        static double Loss(string run) => System.Text.Json.JsonDocument.Parse(File.ReadAllLines(Path.Combine(run, "metrics.jsonl"))[0]).RootElement.GetProperty("train_loss").GetDouble();
        Assert.Equal(Loss(dir.File("cpu")), Loss(dir.File("gpu")), 1e-4);
    }

    private static string StripSeconds(string line) => System.Text.RegularExpressions.Regex.Replace(line, "\"seconds\":[0-9.eE+-]+", "");
}

[CollectionDefinition("training", DisableParallelization = true)]
public sealed class TrainingCollection;
