using System.CommandLine;
using TTL.Cli.Commands;

namespace TTL.Cli;

/// <summary>
/// Builds the `ttl` command tree and maps failures to the exit codes of CLI.md:
/// 0 success, 1 runtime failure, 2 usage error, 3 bad input data.
/// </summary>
public static class CliApp
{
    public const int Ok = 0, RuntimeFailure = 1, UsageError = 2, BadInput = 3;

    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("TTL.Volumetric: truncated transfer learning for 3D medical volumes");
        // One line per command group; each group lives in Commands/<Group>Commands.cs.
        root.Subcommands.Add(InfoCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(KernelsCommands.Create());
        root.Subcommands.Add(NiftiCommands.Create());
        root.Subcommands.Add(CheckpointCommands.Create());
        root.Subcommands.Add(PreprocessCommand.Create());
        root.Subcommands.Add(SvccaCommand.Create());
        root.Subcommands.Add(ModelCommands.Create());
        root.Subcommands.Add(FeaturesCommand.Create());
        root.Subcommands.Add(DemoDataCommand.Create());
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(PredictCommand.Create());
        root.Subcommands.Add(SearchCommand.Create());
        root.Subcommands.Add(DemoCommand.Create());
        return root;
    }

    public static int Run(string[] args)
    {
        var root = BuildRoot();
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors) Console.Error.WriteLine("error: " + e.Message);
            Console.Error.WriteLine("Try 'ttl --help'.");
            return UsageError;
        }
        try
        {
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception ex)
        {
            var (code, message) = Classify(ex);
            Console.Error.WriteLine("error: " + message);
            if (Environment.GetEnvironmentVariable("TTL_DEBUG") == "1") Console.Error.WriteLine(ex);
            return code;
        }
    }

    /// <summary>Which exit code a failure maps to. Layers signal bad input data with InvalidDataException.</summary>
    public static (int Code, string Message) Classify(Exception ex)
    {
        if (ex is AggregateException { InnerExceptions.Count: 1 } agg) ex = agg.InnerExceptions[0];
        return ex switch
        {
            UsageException => (UsageError, ex.Message),
            InvalidDataException => (BadInput, ex.Message),
            TTL.Training.TrainingDivergedException => (RuntimeFailure, ex.Message),
            TTL.Training.Distributed.LaunchException => (UsageError, ex.Message),
            TTL.Torch.Distributed.DistributedException => (RuntimeFailure, ex.Message),
            FileNotFoundException f => (BadInput, $"{f.FileName ?? ""}: file not found".TrimStart(':', ' ')),
            DirectoryNotFoundException => (BadInput, ex.Message),
            _ => (RuntimeFailure, ex.Message),
        };
    }
}

/// <summary>A command line that parsed but makes no sense (conflicting or out-of-range flags): exit 2.</summary>
public sealed class UsageException(string message) : Exception(message);
