using System.Diagnostics;
using System.Text.Json.Nodes;
using TTL.Imaging.Datasets;
using TTL.Imaging.Pipelines;
using TTL.Models;
using TTL.Models.Strategies;
using TTL.Torch;
using TTL.Torch.Modules;
using TTL.Torch.Optim;
using TTL.Torch.Serialization;
using TTL.Training.Config;
using TTL.Training.Data;
using TTL.Training.Distributed;
using TTL.Training.Runs;

namespace TTL.Training;

/// <summary>The outcome of a training run.</summary>
public sealed record TrainResult(string RunDirectory, int EpochsRun, int BestEpoch, string Metric, double BestValue,
    bool StoppedEarly, long Parameters, double SecondsPerEpoch, double DataWaitFraction);

/// <summary>Raised when the loss stops being a finite number; the last good checkpoint stays.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);

/// <summary>
/// Trains one model with one strategy as an experiment describes it, into a run directory.
/// Determinism: the seed fixes initialisation, and each epoch reseeds libtorch and the data order
/// from (seed, epoch), with each item's augmentation seeded from (seed, epoch, position); so a run
/// resumed from the checkpoint of epoch e repeats epoch e + 1 exactly as an uninterrupted run
/// does, whatever the number of loader workers.
/// <para>
/// Data-parallel over the ranks of a <see cref="DistributedContext"/>: every rank builds the same
/// model and starts from rank 0's weights; each global batch of the epoch's order is cut into one
/// contiguous share per rank (a final batch with fewer items than ranks is dropped); each rank
/// scales its loss by its share of the global batch, so the gradients summed over ranks are those
/// of the global batch's mean loss, exactly as one process would compute them (with synchronised
/// batch norm also for networks with batch norm); batch-norm buffers are rank 0's after every step otherwise.
/// Validation is sharded by case and the predictions summed into every rank. Only rank 0 writes.
/// </para>
/// </summary>
public sealed class Trainer
{
    private readonly ExperimentConfig _cfg;
    private readonly RunFiles _run;
    private readonly TextWriter _log;
    private readonly DistributedContext _dist;

    public Trainer(ExperimentConfig config, string runDirectory, TextWriter? log = null, DistributedContext? distributed = null)
    {
        _cfg = config;
        _run = new RunFiles(runDirectory);
        _dist = distributed ?? DistributedContext.Single;
        _log = _dist.IsMain ? log ?? TextWriter.Null : TextWriter.Null;
    }

    /// <summary>Trains; with <paramref name="resume"/> continues from last.ckpt of the run directory.</summary>
    public TrainResult Run(bool resume = false, int? stopAfterEpochs = null)
    {
        // Ranks sharing a machine share its cores unless the config says otherwise.
        torch.set_num_threads(_cfg.Threads > 0 ? _cfg.Threads : Math.Max(1, Environment.ProcessorCount / _dist.Launch.LocalWorldSize));
        using var experiment = Experiment.Open(_cfg, _run.Directory);
        if (_cfg.Train.BatchSize < _dist.WorldSize)
            throw new InvalidDataException($"train.batch_size {_cfg.Train.BatchSize} is the global batch and must give each of the {_dist.WorldSize} ranks at least one item");
        if (experiment.TrainItems < _dist.WorldSize)
            throw new InvalidDataException($"{Path.GetFileName(experiment.Dataset.Source)}: {experiment.TrainItems} training item(s) per epoch cannot feed {_dist.WorldSize} ranks");
        var testCases = _cfg.Train.EvaluateTest ? LabelledTestCases(experiment) : null;
        PrepareDirectory(resume);

        var net = experiment.Model.Network;
        if (_cfg.Distributed.SyncBn && _dist.WorldSize > 1) torch.nn.SyncBatchNorm.convert_sync_batchnorm(net, _dist.Group);
        // A two-phase run resumed after its switch continues with the second phase's parameters and optimizer.
        if (resume && experiment.Model.SecondPhase is { } phase && ToolkitCheckpoint.Read(_run.Last).Meta.Epoch > phase.AfterEpochs)
            experiment.Model.BeginSecondPhase();
        var optimizer = CreateOptimizer(experiment.Model);
        var schedule = new Schedule(_cfg.Schedule, optimizer, _cfg.Train.Epochs, _cfg.Optimizer.Lr);
        var history = new List<JsonObject>();
        int startEpoch = 0, bestEpoch = 0, badValidations = 0;
        double best = double.NaN;
        if (resume)
        {
            var state = Checkpoints.Restore(_run.Last, net, optimizer, experiment.Precision.Scaler);
            startEpoch = state.Epoch;
            best = state.Best;
            bestEpoch = state.BestEpoch;
            badValidations = state.BadValidations;
            schedule.Restore(state.Schedule);
            history.AddRange(_run.ReadMetrics().Where(m => (int)m["epoch"]! <= startEpoch));
            _log.WriteLine($"resuming {_run.Directory} after epoch {startEpoch}");
        }
        if (experiment.Precision.Mode != "none" || experiment.Device.IsCuda || experiment.Runner.Gpu is not null)
            _log.WriteLine($"device {experiment.Device}, amp {experiment.Precision.Mode}, data pipeline on {PipelineDevice(experiment)}");
        _dist.BroadcastState(net);
        var trainable = experiment.Model.Groups.SelectMany(g => g.Parameters.Select(p => p.Parameter)).ToList();
        var reducer = Reducer(trainable);
        if (_dist.WorldSize > 1)
            _log.WriteLine($"data-parallel over {_dist.WorldSize} ranks ({_dist.Launch.Source}): global batch {_cfg.Train.BatchSize}, " +
                $"{reducer!.BucketCount} gradient bucket(s), batch norm {(_cfg.Distributed.SyncBn ? "synchronised" : "per rank, buffers from rank 0")}");

        var loader = new DataLoader<PreparedSample>(_cfg.Train.Workers, _cfg.Train.Prefetch);
        double trainSeconds = 0, waitSeconds = 0;
        int epochsRun = 0;
        bool stoppedEarly = false;
        int lastEpoch = stopAfterEpochs is int s ? Math.Min(_cfg.Train.Epochs, startEpoch + s) : _cfg.Train.Epochs;
        for (int epoch = startEpoch + 1; epoch <= lastEpoch; epoch++)
        {
            if (experiment.Model.SecondPhase is { } second && epoch == second.AfterEpochs + 1 && !experiment.Model.InSecondPhase)
            {
                experiment.Model.BeginSecondPhase();
                optimizer.Dispose();
                optimizer = CreateOptimizer(experiment.Model);
                var replayed = new Schedule(_cfg.Schedule, optimizer, _cfg.Train.Epochs, _cfg.Optimizer.Lr);
                replayed.Restore(schedule.State);
                schedule = replayed;
                trainable = experiment.Model.Groups.SelectMany(g => g.Parameters.Select(p => p.Parameter)).ToList();
                reducer = Reducer(trainable);
                _log.WriteLine($"epoch {epoch}: second phase, {second.Thaw.Parameters.Count} parameter tensors thawed, SGD at {second.LrFactor:G3} x the learning rate");
            }
            var t0 = Stopwatch.GetTimestamp();
            var waitBefore = loader.WaitTime;
            double lr = schedule.LearningRate;
            double loss = TrainEpoch(experiment, optimizer, loader, epoch, trainable, reducer);
            double seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            trainSeconds += seconds;
            waitSeconds += (loader.WaitTime - waitBefore).TotalSeconds;
            epochsRun++;

            var line = new JsonObject { ["epoch"] = epoch, ["train_loss"] = loss, ["lr"] = lr, ["seconds"] = Math.Round(seconds, 3) };
            double? value = null;
            if (epoch % _cfg.Train.ValEvery == 0 || epoch == _cfg.Train.Epochs)
            {
                var metrics = Evaluation.Evaluate(experiment, experiment.Split.Validation, _cfg.Train.Overlap, _dist);
                line["val"] = metrics.ToJson();
                value = metrics.Get(experiment.Metric);
                if (double.IsNaN(best) || value > best)
                {
                    best = value.Value;
                    bestEpoch = epoch;
                    badValidations = 0;
                    if (_dist.IsMain) Checkpoints.Save(_run.Best, experiment, optimizer, schedule, epoch, best, bestEpoch, badValidations);
                }
                else badValidations++;
            }
            schedule.Step(value);
            if (_dist.WorldSize > 1)
            {
                line["world_size"] = _dist.WorldSize;
                double spread = _dist.StateSpread(net);
                line["rank_state_spread"] = spread;
                if (spread != 0) _log.WriteLine($"warning: after epoch {epoch} the ranks' weights differ (fingerprint spread {spread:G3})");
            }
            history.Add(line);
            if (_dist.IsMain)
            {
                Checkpoints.Save(_run.Last, experiment, optimizer, schedule, epoch, best, bestEpoch, badValidations);
                _run.WriteMetrics(history);
            }
            // Iterations per second and the time left at this pace, like a progress bar's tail.
            double itPerSecond = Math.Ceiling(experiment.TrainItems / (double)_cfg.Train.BatchSize) / Math.Max(seconds, 1e-9);
            var eta = TimeSpan.FromSeconds(Math.Round(trainSeconds / epochsRun * (lastEpoch - epoch)));
            _log.WriteLine($"epoch {epoch}/{_cfg.Train.Epochs}  loss {loss:F4}  lr {lr:G3}" +
                (value is double v ? $"  {experiment.Metric} {v:F4}{(bestEpoch == epoch ? " *" : "")}" : "") +
                $"  {seconds:F1}s  {itPerSecond:F1} it/s  ETA {eta:g}");
            if (_cfg.Train.EarlyStopping is int patience && badValidations >= patience)
            {
                stoppedEarly = true;
                _log.WriteLine($"early stop: {experiment.Metric} did not improve for {patience} validations");
                break;
            }
        }

        var test = testCases is null ? null : TestBest(experiment, testCases);
        var result = new TrainResult(_run.Directory, epochsRun, bestEpoch, experiment.Metric, best, stoppedEarly,
            net.parameters().Sum(p => p.numel()), epochsRun == 0 ? 0 : trainSeconds / epochsRun,
            trainSeconds == 0 ? 0 : waitSeconds / trainSeconds);
        if (!_dist.IsMain)
        {
            optimizer.Dispose();
            return result;
        }
        WriteCurve(history, experiment.Metric);
        var cost = ModelCost.Measure(experiment);
        RunFiles.WriteJson(_run.Summary, new
        {
            run = _run.Directory,
            architecture = _cfg.Model.Arch,
            strategy = _cfg.Model.Strategy,
            task = experiment.Task.ToString().ToLowerInvariant(),
            epochs = history.Count == 0 ? 0 : (int)history[^1]["epoch"]!,
            best_epoch = bestEpoch,
            metric = experiment.Metric,
            best_value = double.IsNaN(best) ? (double?)null : best,
            stopped_early = stoppedEarly,
            parameters = result.Parameters,
            seconds_per_epoch = Math.Round(result.SecondsPerEpoch, 3),
            data_wait_fraction = Math.Round(result.DataWaitFraction, 4),
            input_shape = cost.InputShape,
            macs = cost.Macs,
            latency_ms = Math.Round(cost.LatencyMs, 3),
            world_size = _dist.WorldSize,
            test = test?.ToJson(),
        });
        optimizer.Dispose();
        return result;
    }

    private double TrainEpoch(Experiment x, Optimizer optimizer, DataLoader<PreparedSample> loader, int epoch,
        IReadOnlyList<Tensor> trainable, GradientReducer? reducer)
    {
        // Libtorch's generator (dropout) and the data order restart from (seed, epoch).
        torch.manual_seed(Seeds.Mix(_cfg.Seed, epoch, 0x51ED + _dist.Rank));
        var order = Seeds.Permutation(x.TrainItems, Seeds.Mix(_cfg.Seed, epoch, 0x0D3E));
        x.Model.SetTraining(true);
        var net = x.Model.Network;
        var clip = _cfg.Train.GradClip;
        int casesPerEpoch = x.Split.Train.Count;
        var steps = Shares(order.Length, _cfg.Train.BatchSize);
        var positions = steps.SelectMany(st => Enumerable.Range(st.Start, st.Count)).ToArray();
        bool followRank0Buffers = _dist.WorldSize > 1 && !_cfg.Distributed.SyncBn && net.buffers().Any();
        double sum = 0;
        int step = 0;
        var pending = new List<PreparedSample>(_cfg.Train.BatchSize);
        foreach (var sample in loader.Run(positions.Length, k =>
                     x.Train.Prepare(order[positions[k]] % casesPerEpoch, Seeds.Mix(_cfg.Seed, epoch, positions[k] + 1), train: true)))
        {
            pending.Add(sample);
            if (pending.Count < steps[step].Count) continue;
            sum += Step(steps[step++].Global);
        }
        return sum / Math.Max(1, steps.Count);

        double Step(int globalCount)
        {
            using var scope = torch.NewDisposeScope();
            using var batch = Batch.Collate(pending, x.Device);
            int localCount = pending.Count;
            pending.Clear();
            var amp = x.Precision;
            Tensor logits;
            using (amp.Forward()) logits = net.call(batch.Images);
            var loss = x.Loss(logits.to(DType.Float32), batch.Targets);
            double value = loss.item<double>();
            if (reducer is null)
            {
                if (!double.IsFinite(value)) throw Diverged(value);
                amp.Backward(loss);
            }
            else
            {
                // This rank's share of the global batch's mean loss; the ranks' gradients then sum to its gradient.
                double share = localCount / (double)globalCount;
                amp.Backward(loss * share);
                reducer.AllReduce();
                value = _dist.Sum([value * share])[0];
                if (!double.IsFinite(value)) throw Diverged(value);
            }
            if (clip is double c)
            {
                amp.Unscale(optimizer);
                torch.nn.utils.clip_grad_norm_(trainable, c);
            }
            amp.Step(optimizer);
            optimizer.zero_grad();
            // Each rank's forward moved its running statistics by its own share; rank 0's count, so
            // validation and checkpoints see one model on every rank.
            if (followRank0Buffers) _dist.BroadcastBuffers(net);
            return value;
        }

        TrainingDivergedException Diverged(double value) =>
            new($"training diverged at epoch {epoch}: the loss is {value}; last.ckpt keeps the last good epoch ({epoch - 1})");
    }

    /// <summary>Where the pipeline runs, saying so when the GPU is the CUDA simulator and which steps stay on the CPU.</summary>
    private static string PipelineDevice(Experiment x)
    {
        if (x.Runner.Gpu is not { } gpu) return "cpu";
        var cpu = x.Pipeline is null ? [] : x.Runner.CpuSteps(x.Pipeline);
        return gpu.Device + (gpu.Device.Driver.IsSimulator ? " (the CUDA simulator, not a GPU)" : "")
            + (cpu.Count > 0 ? $", {string.Join(", ", cpu)} on the CPU" : "");
    }

    /// <summary>One training step's items: this rank's contiguous share of a global batch.</summary>
    private readonly record struct StepShare(int Start, int Count, int Global);

    /// <summary>
    /// Global batches of <paramref name="batchSize"/> over <paramref name="items"/> positions (the
    /// last one shorter), each cut into world-size contiguous shares; with several ranks a final
    /// batch too small to give every rank an item is dropped.
    /// </summary>
    private List<StepShare> Shares(int items, int batchSize)
    {
        var steps = new List<StepShare>();
        int world = _dist.WorldSize, rank = _dist.Rank;
        for (int start = 0; start < items; start += batchSize)
        {
            int size = Math.Min(batchSize, items - start);
            if (size < world) break;
            int lo = start + (int)((long)size * rank / world), hi = start + (int)((long)size * (rank + 1) / world);
            steps.Add(new StepShare(lo, hi - lo, size));
        }
        return steps;
    }

    private static List<TTL.Imaging.Datasets.DatasetCase> LabelledTestCases(Experiment x)
    {
        var cases = x.Dataset.Test.Where(c => c.ClassLabel is not null || c.LabelFile is not null).ToList();
        if (cases.Count == 0)
            throw new InvalidDataException($"{Path.GetFileName(x.Dataset.Source)}: train.evaluate_test is set but the dataset lists no labelled test case");
        return cases;
    }

    /// <summary>The best checkpoint (the last weights when no validation ran) scored on the test cases; rank 0 writes test.json and test_cases.csv.</summary>
    private EvaluationMetrics TestBest(Experiment x, IReadOnlyList<TTL.Imaging.Datasets.DatasetCase> cases)
    {
        if (File.Exists(_run.Best)) Checkpoints.Restore(_run.Best, x.Model.Network, null);
        var metrics = Evaluation.Evaluate(x, cases, _cfg.Train.Overlap, _dist);
        if (_dist.IsMain)
        {
            RunFiles.WriteText(_run.TestCases, metrics.Cases!.ToCsv());
            RunFiles.WriteText(_run.Test, metrics.ToJson().ToJsonString(RunFiles.Json) + "\n");
        }
        _log.WriteLine($"test ({metrics.N} cases, best checkpoint): " + string.Join("  ", metrics.Values.Select(kv => $"{kv.Key} {kv.Value:F4}")));
        return metrics;
    }

    private GradientReducer? Reducer(IReadOnlyList<Tensor> trainable) =>
        _dist.Group is { } group ? new GradientReducer(group, trainable, (long)(_cfg.Distributed.BucketMb * 1024 * 1024)) : null;

    private Optimizer CreateOptimizer(TransferModel model)
    {
        var o = _cfg.Optimizer;
        if (model.InSecondPhase)
        {
            // The recipe's second phase: plain SGD (the config's momentum) at a fraction of the learning rate.
            double lr = o.Lr * model.SecondPhase!.LrFactor;
            return torch.optim.SGD(model.ParamGroups(lr), lr, momentum: o.Momentum, nesterov: o.Nesterov && o.Momentum > 0, weight_decay: o.WeightDecay);
        }
        var groups = model.ParamGroups(o.Lr);
        if (groups.Count == 0) throw new InvalidDataException($"strategy {_cfg.Model.Strategy} leaves no trainable parameter");
        return o.Kind switch
        {
            "sgd" => torch.optim.SGD(groups, o.Lr, momentum: o.Momentum, nesterov: o.Nesterov && o.Momentum > 0, weight_decay: o.WeightDecay),
            "adam" => torch.optim.Adam(groups, o.Lr, weight_decay: o.WeightDecay),
            _ => torch.optim.AdamW(groups, o.Lr, weight_decay: o.WeightDecay),
        };
    }

    private void PrepareDirectory(bool resume)
    {
        string yaml = _cfg.ToYaml();
        if (resume)
        {
            if (!File.Exists(_run.Last)) throw new InvalidDataException($"{_run.Last}: nothing to resume (no last.ckpt)");
            if (File.Exists(_run.Config) && File.ReadAllText(_run.Config) != yaml)
                throw new InvalidDataException($"{_run.Config}: the run was made with another configuration; resume with the same config and --set values");
            return;
        }
        if (File.Exists(_run.Last)) throw new InvalidDataException($"{_run.Directory}: already holds a run (last.ckpt); use --resume or another --out");
        if (!_dist.IsMain) return;
        Directory.CreateDirectory(_run.Directory);
        RunFiles.WriteText(_run.Config, yaml);
        if (_cfg.Data.Pipeline is not null) RunFiles.WriteText(_run.Pipeline, Pipeline.Load(_cfg.Data.Pipeline).ToYaml());
        RunFiles.WriteJson(_run.Versions, Versions.Current());
    }

    private void WriteCurve(List<JsonObject> history, string metric)
    {
        var loss = history.Select(h => ((int)h["epoch"]!, (double)h["train_loss"]!)).ToList();
        var values = history.Where(h => h["val"]?[metric] is not null).Select(h => ((int)h["epoch"]!, (double)h["val"]![metric]!)).ToList();
        RunFiles.WriteText(_run.Curve, LearningCurvePlot.Svg(loss, values, metric));
    }
}
