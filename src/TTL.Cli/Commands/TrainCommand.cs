using System.CommandLine;
using TTL.Training;
using TTL.Training.Config;
using TTL.Training.Distributed;

namespace TTL.Cli.Commands;

/// <summary>`ttl train`: one model, one strategy, from an experiment config into a run directory.</summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = "experiment YAML (data, model, strategy, loss, optimizer, schedule, train)", Required = true };
        var set = new Option<string[]>("--set") { Description = "override a config value: key.path=value (repeatable), e.g. --set model.strategy=truncate:8", AllowMultipleArgumentsPerToken = false };
        var output = new Option<string>("--out") { Description = "run directory (config.yaml, metrics.jsonl, best.ckpt, last.ckpt, summary.json, learning_curve.svg)", Required = true };
        var resume = new Option<bool>("--resume") { Description = "continue the run in --out from its last.ckpt, exactly as if it had not stopped" };
        var threads = new Option<int?>("--threads") { Description = "CPU threads (default: the config's, else all cores)" };
        var seed = new Option<long?>("--seed") { Description = "random seed (default: the config's)" };
        var device = new Option<string?>("--device") { Description = "cpu, cuda, cuda:N or auto (default: the config's); cuda needs a libtorch built with CUDA" };
        var nproc = NprocOption("train");
        var json = CommonOptions.Json();
        var quiet = CommonOptions.Quiet();
        var cmd = new Command("train", "train one model with one transfer strategy (data-parallel under --nproc, torchrun-style variables or srun)")
            { config, set, output, resume, threads, seed, device, nproc, json, quiet };
        cmd.SetAction(pr =>
        {
            var overrides = (pr.GetValue(set) ?? []).ToList();
            if (pr.GetValue(threads) is int t) overrides.Add($"threads={t}");
            if (pr.GetValue(seed) is long s) overrides.Add($"seed={s}");
            if (pr.GetValue(device) is string d) overrides.Add($"device={d}");
            var cfg = Load(pr.GetValue(config)!, overrides);
            CheckDevice(cfg.Device, distributed: pr.GetValue(nproc) is > 1 || LaunchEnvironment.FromProcess().IsDistributed);
            if (Launch(pr.GetValue(nproc)) is int code) return code;
            bool quietRun = pr.GetValue(quiet) || pr.GetValue(json);
            using var dist = DistributedContext.Join(LaunchEnvironment.FromProcess(), TimeSpan.FromSeconds(cfg.Distributed.TimeoutS));
            var result = RunInputs(pr.GetValue(config)!, () =>
                new Trainer(cfg, pr.GetValue(output)!, quietRun ? null : Console.Error, dist).Run(pr.GetValue(resume)));
            if (!dist.IsMain) return CliApp.Ok;
            if (pr.GetValue(json))
                CommonOptions.PrintJson(new
                {
                    run = result.RunDirectory,
                    epochs_run = result.EpochsRun,
                    best_epoch = result.BestEpoch,
                    metric = result.Metric,
                    best_value = double.IsNaN(result.BestValue) ? (double?)null : result.BestValue,
                    stopped_early = result.StoppedEarly,
                    parameters = result.Parameters,
                    seconds_per_epoch = result.SecondsPerEpoch,
                    data_wait_fraction = result.DataWaitFraction,
                });
            else if (!pr.GetValue(quiet))
                Console.WriteLine($"{result.RunDirectory}: best {result.Metric} {result.BestValue:F4} at epoch {result.BestEpoch}; {result.Parameters:N0} parameters");
            return CliApp.Ok;
        });
        return cmd;
    }

    public static Option<int?> NprocOption(string what) => new("--nproc")
    {
        Description = $"start N local processes that {what} together (c10d Gloo over loopback), like torchrun --nproc-per-node N",
    };

    /// <summary>
    /// With --nproc N (and no launcher around us) starts the N ranks and returns their exit code;
    /// null when this process should do the work itself.
    /// </summary>
    public static int? Launch(int? nproc)
    {
        if (nproc is not int n) return null;
        if (n < 1) throw new UsageException($"--nproc {n}: expected at least 1");
        if (LaunchEnvironment.FromProcess().IsDistributed)
            throw new UsageException("--nproc cannot be used inside a launched job (RANK/WORLD_SIZE or Slurm variables are set)");
        if (n == 1) return null;
        return LocalLauncher.Run(n, LocalLauncher.ChildArguments(), Console.Out, Console.Error);
    }

    /// <summary>Reads a config; problems in it are bad input naming the file.</summary>
    public static ExperimentConfig Load(string path, IEnumerable<string> overrides)
    {
        try { return ExperimentConfig.Load(path, overrides); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
    }

    /// <summary>
    /// Runs work whose inputs come from a config: a malformed strategy, architecture or option in
    /// it is bad input data naming the config file.
    /// </summary>
    public static T RunInputs<T>(string configPath, Func<T> work)
    {
        try { return work(); }
        catch (Exception e) when (e is FormatException or ArgumentException and not ArgumentNullException)
        {
            throw new InvalidDataException($"{Path.GetFileName(configPath)}: {e.Message}");
        }
    }

    /// <summary>
    /// Refuses a training device this build cannot use: CUDA needs the shim built against a CUDA
    /// libtorch (Debian's is a CPU build), and data-parallel training runs over Gloo on the CPU only
    /// (NCCL process groups are not built).
    /// </summary>
    public static void CheckDevice(string device, bool distributed = false)
    {
        TTL.Torch.Device d;
        try { d = device == "auto" ? TTL.Torch.Device.CPU : TTL.Torch.Device.Parse(device); }
        catch (ArgumentException) { throw new UsageException($"--device {device}: expected cpu, auto, cuda or cuda:N"); }
        bool cuda = TTL.Torch.torch.cuda.is_available();
        if (!d.IsCuda && !(device == "auto" && cuda)) return;
        if (!cuda)
            throw new UsageException($"--device {device}: training on CUDA needs libtorch built with CUDA, and this one ({TTL.Torch.torch.version}) is a CPU build; " +
                "use cpu (data.device: cuda still runs the preprocessing pipeline on a GPU)");
        if (distributed)
            throw new UsageException($"--device {device}: data-parallel training on CUDA needs NCCL process groups, which this build does not have; use one process or cpu");
    }
}
