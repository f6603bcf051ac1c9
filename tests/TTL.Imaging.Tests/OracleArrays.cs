using System.Runtime.InteropServices;
using TTL.Torch;
using TTL.Torch.Serialization;

namespace TTL.Imaging.Tests;

/// <summary>
/// Arrays exchanged with the Python oracles through safetensors files (tests/oracles/st.py reads
/// and writes the same format): collect named arrays, write them, run the oracle, read its answers.
/// </summary>
public sealed class OracleArrays
{
    private readonly List<TensorRecord> _records = [];
    private readonly Dictionary<string, string> _metadata = [];

    public OracleArrays Add(string name, float[] data, params int[] shape)
    {
        _records.Add(new TensorRecord(name, DType.Float32, shape.Select(s => (long)s).ToArray(), MemoryMarshal.AsBytes(data.AsSpan()).ToArray()));
        return this;
    }

    public OracleArrays Add(string name, double[] data, params int[] shape)
    {
        _records.Add(new TensorRecord(name, DType.Float64, shape.Select(s => (long)s).ToArray(), MemoryMarshal.AsBytes(data.AsSpan()).ToArray()));
        return this;
    }

    public OracleArrays Meta(string key, string value)
    {
        _metadata[key] = value;
        return this;
    }

    public void Write(string path) => Safetensors.Write(path, _records, _metadata);

    /// <summary>Writes the inputs, runs the oracle script as `script IN OUT extra…`, returns OUT's arrays as float64.</summary>
    public Dictionary<string, double[]> Run(string script, params string[] extra)
    {
        using var dir = new TTL.TestSupport.TempDir();
        string input = dir.File("in.safetensors"), output = dir.File("out.safetensors");
        Write(input);
        TTL.TestSupport.Python.RunOracle(script, [input, output, .. extra]);
        return Read(output);
    }

    public static Dictionary<string, double[]> Read(string path)
    {
        var result = new Dictionary<string, double[]>();
        foreach (var t in Safetensors.Read(path).Tensors)
            result[t.Name] = t.DType switch
            {
                DType.Float64 => t.AsSpan<double>().ToArray(),
                DType.Float32 => t.AsSpan<float>().ToArray().Select(v => (double)v).ToArray(),
                DType.Int64 => t.AsSpan<long>().ToArray().Select(v => (double)v).ToArray(),
                _ => throw new InvalidOperationException($"{t.Name}: dtype {t.DType} not expected from an oracle"),
            };
        return result;
    }
}
