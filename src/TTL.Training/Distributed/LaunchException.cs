namespace TTL.Training.Distributed;

/// <summary>The launcher's variables are inconsistent or malformed (a usage error, exit code 2).</summary>
public sealed class LaunchException(string message) : Exception(message);
