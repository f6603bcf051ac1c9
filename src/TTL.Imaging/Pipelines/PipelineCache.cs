using System.Security.Cryptography;

namespace TTL.Imaging.Pipelines;

/// <summary>
/// Disk cache of deterministic pipeline results. The key is SHA-256 over the input files' contents
/// (image, then label) together with the pipeline's <see cref="Pipeline.DeterministicHash"/>: a
/// changed file or a changed step gives a new key, while renaming or touching a file does not.
/// </summary>
public sealed class PipelineCache(string directory)
{
    public string Directory { get; } = directory;

    public int Hits => _hits;
    public int Misses => _misses;
    private int _hits, _misses;

    public static string Key(string pipelineHash, params string?[] files)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        foreach (var file in files)
        {
            if (file is null) continue;
            using var f = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            int read;
            while ((read = f.Read(buffer, 0, buffer.Length)) > 0) sha.AppendData(buffer, 0, read);
            // Separator so (a, bc) and (ab, c) differ.
            sha.AppendData([0xFF, (byte)'|']);
        }
        sha.AppendData(System.Text.Encoding.UTF8.GetBytes(pipelineHash));
        return Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
    }

    /// <summary>The cached result for a dataset case (keyed by its image and label files), or the computed one.</summary>
    public (Sample Sample, bool Hit) GetOrCompute(Pipeline pipeline, Datasets.DatasetCase c, Func<Sample> load, PipelineRunner? runner = null) =>
        GetOrCompute(pipeline, Datasets.CaseLoader.Files(c), c.Id, load, runner);

    /// <summary>
    /// The cached result for the files, or the computed one (then stored), computed by
    /// <paramref name="runner"/> (default: the CPU). The key does not name the device: the GPU's
    /// result is the CPU's within the kernels' tolerances, so either may serve the other.
    /// </summary>
    public (Sample Sample, bool Hit) GetOrCompute(Pipeline pipeline, string?[] files, string id, Func<Sample> load, PipelineRunner? runner = null)
    {
        System.IO.Directory.CreateDirectory(Directory);
        string key = Key(pipeline.DeterministicHash(), files);
        string path = Path.Combine(Directory, key + ".ttlvol");
        if (VolumeCacheFile.TryRead(path, id) is Sample cached)
        {
            Interlocked.Increment(ref _hits);
            return (cached, true);
        }
        var result = (runner ?? PipelineRunner.Cpu).ApplyDeterministic(pipeline, load());
        VolumeCacheFile.Write(path, result);
        Interlocked.Increment(ref _misses);
        return (result, false);
    }
}
