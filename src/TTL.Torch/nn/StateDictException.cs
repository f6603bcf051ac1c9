namespace TTL.Torch.Modules;

/// <summary>Thrown by a strict load_state_dict that found missing, unexpected or mis-shaped keys.</summary>
public sealed class StateDictException(string moduleName, LoadStateDictResult report)
    : Exception($"Error(s) in loading state_dict for {moduleName}:\n\t" + report.ToString().Replace("\n", "\n\t"))
{
    public LoadStateDictResult Report { get; } = report;
}
