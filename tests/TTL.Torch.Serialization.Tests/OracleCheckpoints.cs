using TTL.TestSupport;

namespace TTL.Torch.Serialization.Tests;

/// <summary>
/// The checkpoints tests/oracles/make_checkpoints.py writes with python3-torch, made once for the
/// whole collection: good files with their expected tensors, and hostile files whose payload would
/// create <see cref="Marker"/>.
/// </summary>
public sealed class OracleCheckpoints : IDisposable
{
    private readonly TempDir _dir = new();

    public OracleCheckpoints()
    {
        Python.RunOracle("make_checkpoints.py", "good", _dir.Path);
        Python.RunOracle("make_checkpoints.py", "hostile", _dir.Path, Marker);
    }

    public string Marker => _dir.File("pwned");

    public string File(string name) => _dir.File(name);

    public void Dispose() => _dir.Dispose();
}

[CollectionDefinition("oracle checkpoints")]
public sealed class OracleCheckpointsCollection : ICollectionFixture<OracleCheckpoints>;
