using System.CommandLine;
using System.Text.Json;

namespace TTL.Cli;

/// <summary>Options shared by many commands, with the names and defaults of CLI.md.</summary>
public static class CommonOptions
{
    public static Option<bool> Json() => new("--json") { Description = "print one JSON document on stdout and nothing else" };

    public static Option<bool> Quiet() => new("--quiet") { Description = "no progress output" };

    public static Option<int> Threads() => new("--threads")
    {
        Description = "CPU threads (default: all cores)",
        DefaultValueFactory = _ => Environment.ProcessorCount,
    };

    public static Option<string> Device() => new("--device")
    {
        Description = "cpu, cuda, cuda:N or auto",
        DefaultValueFactory = _ => "cpu",
    };

    public static Option<long> Seed() => new("--seed") { Description = "random seed", DefaultValueFactory = _ => 0 };

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    /// <summary>Writes one JSON document to stdout.</summary>
    public static void PrintJson<T>(T value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, JsonOptions));
}
