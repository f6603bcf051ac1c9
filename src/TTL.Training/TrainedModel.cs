using System.Text.Json.Nodes;
using TTL.Imaging.Pipelines;
using TTL.Models.Strategies;
using TTL.Torch;
using TTL.Torch.Serialization;
using TTL.Training.Config;
using TTL.Training.Runs;

namespace TTL.Training;

/// <summary>
/// A trained network loaded from a run directory for inference, without its dataset: the
/// architecture, strategy, task and classes come from the checkpoint, the preprocessing from the
/// run's pipeline, the patch size from its config.
/// </summary>
public sealed class TrainedModel : IDisposable
{
    public required ExperimentConfig Config { get; init; }
    public required TransferModel Model { get; init; }
    public required TaskKind Task { get; init; }
    public required int Classes { get; init; }
    public required Pipeline? Pipeline { get; init; }

    public static TrainedModel Load(string runDirectory, string which = "best")
    {
        var files = new RunFiles(runDirectory);
        if (!File.Exists(files.Config)) throw new InvalidDataException($"{files.Config}: not a run directory (no config.yaml)");
        string path = which switch
        {
            "best" => files.Best,
            "last" => files.Last,
            _ => throw new ArgumentException($"checkpoint '{which}': expected best or last"),
        };
        if (!File.Exists(path)) throw new InvalidDataException($"{path}: the run has no such checkpoint");
        var cfg = ExperimentConfig.Load(files.Config);
        var ck = ToolkitCheckpoint.Read(path);
        var task = (ck.Meta.Extras?["task"] as JsonValue)?.GetValue<string>() == "segmentation" ? TaskKind.Segmentation : TaskKind.Classification;
        var state = Checkpoints.ModelState(ck);
        try
        {
            var model = Experiment.BuildModel(cfg, task, ck.Meta.NumClasses, state);
            model.SetTraining(false);
            var pipeline = File.Exists(files.Pipeline) ? Pipeline.Load(files.Pipeline) : null;
            return new TrainedModel { Config = cfg, Model = model, Task = task, Classes = ck.Meta.NumClasses, Pipeline = pipeline };
        }
        finally
        {
            foreach (var t in state.Values) t.Dispose();
        }
    }

    public void Dispose() => Model.Dispose();
}
