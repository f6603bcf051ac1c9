using System.Globalization;
using System.Text.Json.Nodes;
using TTL.Models;
using TTL.TestSupport;
using TTL.Torch.Serialization;
using TTL.Training.Config;
using TTL.Training.Metrics;

namespace TTL.Training.Tests;

/// <summary>
/// The two-phase recipe through the trainer (head alone on the frozen body, then the blocks above K
/// with SGD at a fraction of the learning rate), its exact resume on both sides of the switch, the
/// search over its K, and the held-out test scoring at the end of a run.
/// </summary>
[Collection("training")]
public sealed class TwoPhaseTrainingTests
{
    private static ExperimentConfig Config(string dataset, string strategy, string? weights, int epochs = 4) => ExperimentConfig.Parse($$"""
        data:
          dataset: {{dataset}}
          split: {kind: kfold, folds: 4, fold: 0}
        model: {arch: resnet10, width: 8, strategy: "{{strategy}}"{{(weights is null ? "" : $", weights: {weights}")}}}
        optimizer: {kind: adamw, lr: 0.003, weight_decay: 0.0, momentum: 0.9}
        schedule: {kind: constant}
        train: {epochs: {{epochs}}, batch_size: 4, workers: 1}
        seed: 5
        threads: 1
        """, Path.GetDirectoryName(dataset)!);

    /// <summary>A dataset and weights pretrained on it for one epoch.</summary>
    private static (string Data, string Weights) Pretrained(TempDir dir)
    {
        string data = SyntheticData.Classification(dir.File("data"), 16);
        new Trainer(Config(data, "scratch", null, epochs: 1), dir.File("pretrain")).Run();
        return (data, Path.Combine(dir.File("pretrain"), "best.ckpt"));
    }

    private static Dictionary<string, byte[]> Model(string checkpoint) =>
        ToolkitCheckpoint.Read(checkpoint).Section("model").ToDictionary(r => r.Name, r => r.Data.ToArray());

    [Fact]
    public void The_body_is_frozen_for_the_head_epochs_then_only_the_blocks_above_K_move_at_the_lower_learning_rate()
    {
        using var dir = new TempDir();
        var (data, weights) = Pretrained(dir);
        var pretrained = Model(weights);
        // resnet10: cut 1 = stem, 2..5 = layer1..layer4; K = layer2 (cut 3) thaws layer3 and layer4.
        var cfg = Config(data, "twophase:layer2,head_epochs=2,lr_factor=0.1", weights);
        new Trainer(cfg, dir.File("run")).Run(stopAfterEpochs: 2);
        var afterHead = Model(Path.Combine(dir.File("run"), "last.ckpt"));
        new Trainer(cfg, dir.File("run")).Run(resume: true);
        var afterAll = Model(Path.Combine(dir.File("run"), "last.ckpt"));

        using var net = Architectures.Create("resnet10", Experiment.Options(cfg.Model));
        int thawedMoved = 0;
        foreach (var (name, bytes) in pretrained)
        {
            if (name.StartsWith("head.") || name.EndsWith("num_batches_tracked")) continue;
            Assert.True(bytes.AsSpan().SequenceEqual(afterHead[name]), $"{name} changed during the head epochs");
            bool thawed = net.OwnerOf(name)!.Index > 3;
            if (!thawed) Assert.True(bytes.AsSpan().SequenceEqual(afterAll[name]), $"{name} (at or below K) changed");
            else if (!bytes.AsSpan().SequenceEqual(afterAll[name])) thawedMoved++;
        }
        Assert.True(thawedMoved > 5, $"only {thawedMoved} tensors above K moved in the second phase");

        var lrs = File.ReadAllLines(Path.Combine(dir.File("run"), "metrics.jsonl")).Select(l => JsonNode.Parse(l)!["lr"]!.GetValue<double>()).ToList();
        Assert.Equal([0.003, 0.003, 0.0003, 0.0003], lrs.Select(v => Math.Round(v, 9)));
        // The second phase's optimizer is SGD with momentum: its state holds momentum buffers, not Adam's moments.
        var optimizerState = ToolkitCheckpoint.Read(Path.Combine(dir.File("run"), "last.ckpt")).Section("optimizer").Select(r => r.Name).ToList();
        Assert.Contains(optimizerState, n => n.EndsWith("momentum_buffer"));
        Assert.DoesNotContain(optimizerState, n => n.EndsWith("exp_avg"));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void A_run_resumed_at_or_after_the_switch_ends_as_an_uninterrupted_one(int stopAfter)
    {
        using var dir = new TempDir();
        var (data, weights) = Pretrained(dir);
        var cfg = Config(data, "twophase:layer3,head_epochs=2,lr_factor=0.5", weights);
        new Trainer(cfg, dir.File("straight")).Run();
        new Trainer(cfg, dir.File("resumed")).Run(stopAfterEpochs: stopAfter);
        new Trainer(cfg, dir.File("resumed")).Run(resume: true);
        var a = Model(Path.Combine(dir.File("straight"), "last.ckpt"));
        var b = Model(Path.Combine(dir.File("resumed"), "last.ckpt"));
        foreach (var (name, bytes) in a) Assert.True(bytes.AsSpan().SequenceEqual(b[name]), $"{name} differs after resuming at epoch {stopAfter}");
    }

    [Fact]
    public void A_search_over_a_two_phase_config_varies_its_cut_and_keeps_its_options()
    {
        using var dir = new TempDir();
        string data = SyntheticData.Classification(dir.File("data"), 8);
        var search = new TruncationSearch(Config(data, "twophase:1,head_epochs=3", null), dir.File("search"));
        Assert.Equal("twophase:4,head_epochs=3", search.TrialStrategy(4));
        Assert.Equal("truncate:2", new TruncationSearch(Config(data, "full", null), dir.File("s2")).TrialStrategy(2));
    }

    [Fact]
    public void Evaluate_test_scores_the_best_checkpoint_on_the_labelled_test_cases_only_once()
    {
        using var dir = new TempDir();
        string data = SyntheticData.Classification(dir.File("data"), 24);
        // The last 8 cases become labelled test entries.
        var doc = JsonNode.Parse(File.ReadAllText(data))!.AsObject();
        var training = doc["training"]!.AsArray();
        var test = new JsonArray();
        while (training.Count > 16) { var e = training[^1]!; training.RemoveAt(training.Count - 1); test.Insert(0, e); }
        doc["test"] = test;
        File.WriteAllText(data, doc.ToJsonString());

        var cfg = Config(data, "scratch", null, epochs: 2) with { Train = Config(data, "scratch", null, epochs: 2).Train with { EvaluateTest = true } };
        new Trainer(cfg, dir.File("run")).Run();
        var lines = File.ReadAllLines(Path.Combine(dir.File("run"), "test_cases.csv"));
        Assert.Equal("id,label,p_0,p_1", lines[0]);
        Assert.Equal(8, lines.Length - 1);
        var cells = lines.Skip(1).Select(l => l.Split(',')).ToList();
        var scores = cells.Select(c => double.Parse(c[3], CultureInfo.InvariantCulture)).ToArray();
        var positive = cells.Select(c => c[1] == "1").ToArray();
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir.File("run"), "test.json")))!;
        Assert.Equal(8, json["n"]!.GetValue<int>());
        Assert.Equal(ClassificationMetrics.Auroc(scores, positive), json["auroc"]!.GetValue<double>(), 12);
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(dir.File("run"), "summary.json")))!;
        Assert.Equal(json["auroc"]!.GetValue<double>(), summary["test"]!["auroc"]!.GetValue<double>(), 12);
        // The test cases are neither training nor validation cases.
        using (var x = Experiment.Open(cfg, dir.File("run")))
        {
            var seen = x.Split.Train.Concat(x.Split.Validation).Select(c => c.Id).ToHashSet();
            Assert.Equal(24, seen.Count + 8);
            Assert.DoesNotContain(cells.Select(c => c[0]), seen.Contains);
        }

        var noTest = SyntheticData.Classification(dir.File("plain"), 8);
        var bad = Config(noTest, "scratch", null, epochs: 1) with { Train = Config(noTest, "scratch", null, epochs: 1).Train with { EvaluateTest = true } };
        var e2 = Assert.Throws<InvalidDataException>(() => new Trainer(bad, dir.File("bad")).Run());
        Assert.Contains("no labelled test case", e2.Message);
        Assert.False(Directory.Exists(dir.File("bad")), "the run folder was created before the config was refused");
    }
}
