using System.Text.Json.Nodes;
using TTL.Torch;
using TTL.Torch.Modules;
using TTL.Torch.Optim;
using TTL.Torch.Serialization;

namespace TTL.Training;

/// <summary>The training state a checkpoint carries besides the tensors.</summary>
public sealed record TrainingState(int Epoch, double Best, int BestEpoch, int BadValidations, IReadOnlyList<double?> Schedule);

/// <summary>
/// Run checkpoints in the toolkit's format (ttl-checkpoint/1): <c>model.*</c> (the network's state
/// dict), <c>optimizer.state.{i}.{key}</c> (its per-parameter state), and in the metadata the
/// architecture, strategy, classes, pipeline, versions, epoch and the training state needed to
/// resume exactly.
/// </summary>
public static class Checkpoints
{
    public static void Save(string path, Experiment x, Optimizer optimizer, Schedule schedule, int epoch, double best, int bestEpoch, int bad)
    {
        var records = new List<TensorRecord>();
        foreach (var (name, t) in x.Model.Network.state_dict())
        {
            records.Add(t.ToRecord("model." + name));
            t.Dispose();
        }
        using (var sd = optimizer.state_dict())
            foreach (var (name, t) in sd.named_tensors()) records.Add(t.ToRecord("optimizer." + name));
        var meta = new ToolkitCheckpointMeta
        {
            Architecture = x.Config.Model.Arch,
            Cut = x.Model.Strategy.Cut,
            Strategy = x.Config.Model.Strategy,
            NumClasses = x.Classes,
            Preprocessing = x.Pipeline?.ToYaml(),
            Versions = new ToolkitVersions(Versions.ToolkitVersion, torch.version),
            Epoch = epoch,
            Extras = new JsonObject
            {
                ["task"] = x.Task.ToString().ToLowerInvariant(),
                ["metric"] = x.Metric,
                ["best"] = double.IsNaN(best) ? null : best,
                ["best_epoch"] = bestEpoch,
                ["bad_validations"] = bad,
                ["schedule_inputs"] = new JsonArray(schedule.State.Select(v => (JsonNode?)(v is double d ? JsonValue.Create(d) : null)).ToArray()),
                ["config"] = x.Config.ToYaml(),
            },
        };
        if (x.Precision.Scaler is { } scaler)
        {
            meta.Extras["amp_scale"] = scaler.Scale;
            meta.Extras["amp_growth_tracker"] = scaler.GrowthTracker;
        }
        ToolkitCheckpoint.Write(path, meta, records);
    }

    /// <summary>
    /// Loads model weights (strictly) and optimizer state, each onto the device of the parameters
    /// they belong to, and the float16 loss scaler's state; returns the training state.
    /// </summary>
    public static TrainingState Restore(string path, Module net, Optimizer? optimizer, torch.amp.GradScaler? scaler = null)
    {
        var ck = ToolkitCheckpoint.Read(path);
        var model = ModelState(ck);
        var device = net.parameters().FirstOrDefault()?.device ?? Device.CPU;
        try { net.load_state_dict(model, strict: true); }
        finally { foreach (var t in model.Values) t.Dispose(); }
        if (optimizer is not null)
        {
            using var sd = optimizer.state_dict();
            foreach (var entries in sd.state.Values) foreach (var t in entries.Values) t.Dispose();
            sd.state.Clear();
            foreach (var r in ck.Section("optimizer"))
            {
                // state.{index}.{key}
                var parts = r.Name.Split('.', 3);
                if (parts.Length != 3 || parts[0] != "state" || !int.TryParse(parts[1], out int index))
                    throw new InvalidDataException($"{Path.GetFileName(path)}: unexpected optimizer tensor '{r.Name}'");
                if (!sd.state.TryGetValue(index, out var entry)) sd.state[index] = entry = new Dictionary<string, Tensor>();
                var t = r.ToTensor();
                if (device.IsCuda && parts[2] != "step")
                {
                    var moved = t.to(device);
                    t.Dispose();
                    t = moved;
                }
                entry[parts[2]] = t.DetachFromDisposeScope();
            }
            optimizer.load_state_dict(sd);
        }
        var e = ck.Meta.Extras ?? new JsonObject();
        if (scaler is not null && e["amp_scale"] is JsonNode scale)
            scaler.load_state(scale.GetValue<double>(), e["amp_growth_tracker"]?.GetValue<int>() ?? 0);
        var schedule = e["schedule_inputs"] is JsonArray a ? a.Select(v => v is null ? (double?)null : v.GetValue<double>()).ToList() : new List<double?>();
        return new TrainingState(ck.Meta.Epoch, e["best"] is JsonNode b ? b.GetValue<double>() : double.NaN,
            e["best_epoch"]?.GetValue<int>() ?? 0, e["bad_validations"]?.GetValue<int>() ?? 0, schedule);
    }

    /// <summary>The model state dict of a checkpoint as tensors (the caller disposes them).</summary>
    public static Dictionary<string, Tensor> ModelState(ToolkitCheckpoint.Contents ck) =>
        ck.Section("model").ToDictionary(r => r.Name, r => r.ToTensor().DetachFromDisposeScope());
}
