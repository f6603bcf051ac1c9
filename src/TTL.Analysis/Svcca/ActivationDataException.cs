namespace TTL.Analysis.Svcca;

/// <summary>
/// Activation data that cannot be analysed (non-finite values, no variance). <see cref="Side"/>
/// says which matrix ("A" or "B"); <see cref="SvccaAnalysis"/> turns it into an InvalidDataException
/// naming the file the matrix came from.
/// </summary>
public sealed class ActivationDataException(string side, string problem) : Exception($"{side}: {problem}")
{
    public string Side { get; } = side;

    public string Problem { get; } = problem;
}
