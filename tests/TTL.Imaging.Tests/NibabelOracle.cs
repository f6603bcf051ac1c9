using System.Runtime.InteropServices;
using System.Text.Json;
using TTL.TestSupport;
using TTL.Torch;
using TTL.Torch.Serialization;

namespace TTL.Imaging.Tests;

/// <summary>What nibabel made of one file (tests/oracles/nifti_load.py): header facts plus its arrays.</summary>
public sealed record NibabelResult(string Path, string? Error, long[] Shape, string DType, int QFormCode, int SFormCode,
    string AxisCodes, double[] Data, double[] RawFloat, long[] RawInt, bool RawIsFloat, double[,] Affine);

/// <summary>Runs the nibabel oracle once for many files (one Python process) and loads its output.</summary>
public static class NibabelOracle
{
    public static IReadOnlyList<NibabelResult> Load(IReadOnlyList<string> files, params string[] mode)
    {
        using var tmp = new TempDir();
        string json = Python.RunOracle("nifti_load.py", [tmp.Path, .. files, .. mode]);
        using var doc = JsonDocument.Parse(json);
        var results = new List<NibabelResult>();
        int n = 0;
        foreach (var e in doc.RootElement.EnumerateArray())
        {
            string path = e.GetProperty("path").GetString()!;
            if (e.TryGetProperty("error", out var err))
            {
                results.Add(new NibabelResult(path, err.GetString(), [], "", 0, 0, "", [], [], [], false, new double[4, 4]));
                n++;
                continue;
            }
            var st = Safetensors.Read(System.IO.Path.Combine(tmp.Path, $"{n}.safetensors"));
            var byName = st.Tensors.ToDictionary(t => t.Name);
            var aff = MemoryMarshal.Cast<byte, double>(byName["affine"].Data.Span);
            var affine = new double[4, 4];
            for (int i = 0; i < 16; i++) affine[i / 4, i % 4] = aff[i];
            var raw = byName["raw"];
            bool rawFloat = raw.DType == DType.Float64;
            results.Add(new NibabelResult(
                path, null,
                e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()).ToArray(),
                e.GetProperty("dtype").GetString()!,
                e.GetProperty("qform_code").GetInt32(),
                e.GetProperty("sform_code").GetInt32(),
                e.GetProperty("axcodes").GetString()!,
                MemoryMarshal.Cast<byte, double>(byName["data"].Data.Span).ToArray(),
                rawFloat ? MemoryMarshal.Cast<byte, double>(raw.Data.Span).ToArray() : [],
                rawFloat ? [] : MemoryMarshal.Cast<byte, long>(raw.Data.Span).ToArray(),
                rawFloat, affine));
            n++;
        }
        return results;
    }

    /// <summary>Stored values of our raw image in file order, widened like the oracle's "raw" array.</summary>
    public static (double[] Floats, long[] Ints) Widen(NiftiImage img)
    {
        var d = img.Data.AsSpan();
        switch (img.Header.DataType)
        {
            case NiftiDataType.Float32: return (MemoryMarshal.Cast<byte, float>(d).ToArray().Select(x => (double)x).ToArray(), []);
            case NiftiDataType.Float64: return (MemoryMarshal.Cast<byte, double>(d).ToArray(), []);
            case NiftiDataType.UInt8 or NiftiDataType.Rgb24: return ([], d.ToArray().Select(x => (long)x).ToArray());
            case NiftiDataType.Int8: return ([], MemoryMarshal.Cast<byte, sbyte>(d).ToArray().Select(x => (long)x).ToArray());
            case NiftiDataType.Int16: return ([], MemoryMarshal.Cast<byte, short>(d).ToArray().Select(x => (long)x).ToArray());
            case NiftiDataType.UInt16: return ([], MemoryMarshal.Cast<byte, ushort>(d).ToArray().Select(x => (long)x).ToArray());
            case NiftiDataType.Int32: return ([], MemoryMarshal.Cast<byte, int>(d).ToArray().Select(x => (long)x).ToArray());
            case NiftiDataType.UInt32: return ([], MemoryMarshal.Cast<byte, uint>(d).ToArray().Select(x => (long)x).ToArray());
            case NiftiDataType.Int64: return ([], MemoryMarshal.Cast<byte, long>(d).ToArray());
            case NiftiDataType.UInt64: return ([], MemoryMarshal.Cast<byte, ulong>(d).ToArray().Select(x => unchecked((long)x)).ToArray());
            default: throw new NotSupportedException(img.Header.DataType.ToString());
        }
    }

    public static void AssertAffineEqual(double[,] expected, double[,] actual, double tol = 1e-5, string what = "affine")
    {
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
                Assert.True(Math.Abs(expected[i, j] - actual[i, j]) <= tol,
                    $"{what}[{i},{j}]: expected {expected[i, j]}, got {actual[i, j]}");
    }

    /// <summary>Float32 voxels against nibabel's float64: exact when every value is an integer, else 1e-6 relative.</summary>
    public static void AssertVoxelsEqual(double[] expected, float[] actual, bool exact, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            if (double.IsNaN(e)) { Assert.True(double.IsNaN(a), $"{what}: voxel {i} expected NaN, got {a}"); continue; }
            bool ok = exact ? e == a : Math.Abs(e - a) <= 1e-6 * Math.Max(1.0, Math.Abs(e));
            if (!ok) Assert.Fail($"{what}: voxel {i} expected {e}, got {a}");
        }
    }
}
