using TTL.Cuda;
using TTL.Imaging.Datasets;
using TTL.Imaging.Pipelines;
using TTL.Models;
using TTL.Models.ResNets;
using TTL.Models.Strategies;
using TTL.Torch;
using TTL.Torch.Modules;
using TTL.Training.Config;
using TTL.Training.Data;

namespace TTL.Training;

/// <summary>
/// Everything a run needs, resolved from its configuration before any training step: the dataset
/// (checked: a bad file fails here, naming it), the split, the task and number of classes, the
/// model built by its strategy and placed on the run's device, the loss, the model-selection
/// metric, the mixed-precision setting and the sample sources with the device their pipeline runs on.
/// </summary>
public sealed class Experiment : IDisposable
{
    public required ExperimentConfig Config { get; init; }
    public required Dataset Dataset { get; init; }
    public required Split Split { get; init; }
    public required TaskKind Task { get; init; }
    public required int Classes { get; init; }
    public required TransferModel Model { get; init; }
    public required Pipeline? Pipeline { get; init; }
    public required SampleSource Train { get; init; }
    public required SampleSource Validation { get; init; }
    public required string Metric { get; init; }
    public Tensor? ClassWeights { get; init; }

    /// <summary>Where the model, batches, losses and metrics live: the config's <c>device</c> (auto: cuda when libtorch has it).</summary>
    public required Device Device { get; init; }

    /// <summary><c>train.amp</c> on <see cref="Device"/>.</summary>
    public required MixedPrecision Precision { get; init; }

    /// <summary>Where the preprocessing pipeline runs (<c>data.device</c>), for every sample source of the run.</summary>
    public required PipelineRunner Runner { get; init; }

    /// <summary>Items per training epoch: cases, or cases × patches per case for segmentation.</summary>
    public int TrainItems => Task == TaskKind.Segmentation ? Split.Train.Count * Config.Train.PatchesPerCase : Split.Train.Count;

    public Tensor Loss(Tensor logits, Tensor target) =>
        Task == TaskKind.Segmentation || Config.Loss.Kind == "dice_ce"
            ? Losses.DiceCrossEntropy(logits, target, ClassWeights)
            : Losses.CrossEntropy(logits, target, ClassWeights, Config.Loss.LabelSmoothing);

    /// <summary>
    /// Opens the experiment's data and builds its model. With <paramref name="modelState"/> the
    /// network is rebuilt for a trained run (its weights then come from the checkpoint, not from
    /// the pretrained file).
    /// </summary>
    public static Experiment Open(ExperimentConfig cfg, string runDirectory, IReadOnlyDictionary<string, Tensor>? modelState = null)
    {
        var dataset = DatasetReader.Open(cfg.Data.Dataset);
        if (dataset.Task == DatasetTask.ImagesOnly)
            throw new InvalidDataException($"{Path.GetFileName(dataset.Source)}: the training cases have no labels");
        DatasetValidator.Validate(dataset, readLabelValues: dataset.Task == DatasetTask.Segmentation, cfg.Threads);
        var split = cfg.Data.Split.Kind switch
        {
            "column" => DatasetSplits.ByColumn(dataset),
            "lists" => DatasetSplits.Explicit(dataset, cfg.Data.Split.Train ?? [], cfg.Data.Split.Val ?? []),
            _ => DatasetSplits.KFold(dataset, cfg.Data.Split.Folds, cfg.Data.Split.Fold, cfg.Seed),
        };
        var task = dataset.Task == DatasetTask.Segmentation ? TaskKind.Segmentation : TaskKind.Classification;
        int classes = cfg.Model.Classes ?? dataset.ClassCount;
        if (classes < 2) throw new InvalidDataException($"{Path.GetFileName(dataset.Source)}: {classes} class(es); training needs at least 2");
        if (task == TaskKind.Segmentation && cfg.Train.PatchSize is null)
            throw new InvalidDataException("segmentation needs train.patch_size (the sliding-window size as well)");
        var pipeline = cfg.Data.Pipeline is null ? null : Pipeline.Load(cfg.Data.Pipeline);
        string cacheDir = cfg.Data.Cache ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(runDirectory))!, ".ttl-cache");
        var device = TrainingDevice(cfg.Device);
        var precision = MixedPrecision.For(cfg.Train.Amp, device);
        var runner = PipelineDevice(cfg.Data.Device);
        try
        {
            var train = new SampleSource(split.Train, pipeline, cacheDir, task == TaskKind.Segmentation, cfg.Train.PatchSize, cfg.Data.ForegroundRatio, runner: runner);
            var validation = new SampleSource(split.Validation, pipeline, cacheDir, task == TaskKind.Segmentation, null, 0, runner: runner);

            var model = BuildModel(cfg, task, classes, modelState);
            if (device.IsCuda) model.Network.to(device);

            string metric = cfg.Train.Metric != "auto" ? cfg.Train.Metric
                : task == TaskKind.Segmentation ? "dice" : classes == 2 ? "auprc" : "auroc";
            return new Experiment
            {
                Config = cfg, Dataset = dataset, Split = split, Task = task, Classes = classes, Model = model, Pipeline = pipeline,
                Train = train, Validation = validation, Metric = metric, ClassWeights = OnDevice(Weights(cfg, split, classes, task), device),
                Device = device, Precision = precision, Runner = runner,
            };
        }
        catch
        {
            runner.Gpu?.Dispose();
            throw;
        }
    }

    /// <summary>The config's <c>device</c> as a libtorch device; CUDA needs a libtorch built with it.</summary>
    public static Device TrainingDevice(string text)
    {
        if (text == "auto") return torch.cuda.is_available() ? Device.CUDA(0) : Device.CPU;
        var d = Device.Parse(text);
        if (d.IsCuda && !torch.cuda.is_available())
            throw new InvalidOperationException($"device {text}: libtorch {torch.version} here is a CPU build; training needs a CUDA libtorch (data.device cuda runs the pipeline on the GPU without one)");
        return d.IsCuda && d.Index < 0 ? Device.CUDA(0) : d;
    }

    /// <summary>The runner of <c>data.device</c>: the CPU, or a GPU opened through TTL.Cuda.</summary>
    public static PipelineRunner PipelineDevice(string text)
    {
        var d = Device.Parse(text);
        return d.IsCuda ? PipelineRunner.On(GpuDevice.Open(Math.Max(0, d.Index))) : PipelineRunner.Cpu;
    }

    private static Tensor? OnDevice(Tensor? t, Device device)
    {
        if (t is null || !device.IsCuda) return t;
        using (t) return t.to(device).DetachFromDisposeScope();
    }

    /// <summary>
    /// The experiment's model, built by its strategy from the pretrained weights; or, given a
    /// trained run's <paramref name="modelState"/>, rebuilt with that state loaded strictly.
    /// </summary>
    public static TransferModel BuildModel(ExperimentConfig cfg, TaskKind task, int classes, IReadOnlyDictionary<string, Tensor>? modelState)
    {
        torch.manual_seed(cfg.Seed);
        var builder = new StrategyBuilder(cfg.Model.Arch, task, classes, Options(cfg.Model), cfg.Model.Dropout);
        if (modelState is null) return builder.Build(cfg.Model.Strategy, cfg.Model.Weights);
        var model = builder.Build(Strategy.Parse(cfg.Model.Strategy), modelState);
        try { model.Network.load_state_dict(modelState, strict: true); }
        catch { model.Dispose(); throw; }
        return model;
    }

    public static ArchitectureOptions Options(ModelConfig m) => new(
        InChannels: m.InChannels,
        Shortcut: m.Shortcut switch
        {
            null => null,
            "A" or "a" => Shortcut.A,
            "B" or "b" => Shortcut.B,
            _ => throw new InvalidDataException($"model.shortcut '{m.Shortcut}' is not A or B"),
        },
        Conv1Stride: m.Conv1Stride is [var d, var h, var w] ? new Size3(d, h, w) : null,
        Width: m.Width);

    private static Tensor? Weights(ExperimentConfig cfg, Split split, int classes, TaskKind task)
    {
        var w = cfg.Loss.ClassWeights;
        if (w is null || (w is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<string>(out var s) && s == "none")) return null;
        if (w is System.Text.Json.Nodes.JsonArray a)
        {
            if (a.Count != classes) throw new InvalidDataException($"loss.class_weights lists {a.Count} weights for {classes} classes");
            return torch.tensor(a.Select(x => (float)x!.GetValue<double>()).ToArray(), classes).DetachFromDisposeScope();
        }
        if (task == TaskKind.Segmentation) throw new InvalidDataException("loss.class_weights: 'balanced' is for classification; give a list for segmentation");
        // n / (K · n_k) over the training split, as scikit-learn's 'balanced'.
        var counts = new double[classes];
        foreach (var c in split.Train) counts[c.ClassLabel!.Value]++;
        var weights = counts.Select(n => n == 0 ? 0f : (float)(split.Train.Count / (classes * n))).ToArray();
        return torch.tensor(weights, classes).DetachFromDisposeScope();
    }

    public void Dispose()
    {
        Model.Dispose();
        ClassWeights?.Dispose();
        Runner.Gpu?.Dispose();
    }
}
