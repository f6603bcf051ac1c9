using System.Runtime.InteropServices;
using TTL.Analysis.Svcca;
using TTL.Torch;
using TTL.Torch.Serialization;

namespace TTL.Analysis.Activations;

/// <summary>How a block's activations (batch, C, D, H, W) become samples × C.</summary>
public enum SpatialFold
{
    /// <summary>Every spatial position of every volume is a sample: N = batch·D·H·W.</summary>
    Positions,

    /// <summary>Average-pool over space: one sample per volume, N = batch.</summary>
    AveragePool,
}

/// <summary>
/// An activation matrix held in memory, seen as N rows (samples) × C columns (neurons) without
/// copying: a [N, C] tensor as is, or a [batch, C, spatial…] tensor with its spatial positions folded
/// into samples (row = batch·S + s, column c at offset (batch·C + c)·S + s). Float32 or float64.
/// Rows can be restricted to a seeded random subset.
/// </summary>
public sealed class ActivationMatrix
{
    private readonly ReadOnlyMemory<byte> _data;
    private readonly bool _float32;
    private readonly long _spatial;        // S: positions per volume (1 for [N, C])
    private readonly long[]? _rows;        // selected source rows, ascending; null: all

    private ActivationMatrix(string source, ReadOnlyMemory<byte> data, bool float32, long rows, int columns, long spatial, long[]? selected)
    {
        Source = source;
        _data = data;
        _float32 = float32;
        SourceRows = rows;
        Columns = columns;
        _spatial = spatial;
        _rows = selected;
    }

    /// <summary>Where the data came from (a file name), for error messages.</summary>
    public string Source { get; }

    public long Rows => _rows?.LongLength ?? SourceRows;

    /// <summary>Rows before subsampling.</summary>
    public long SourceRows { get; }

    public int Columns { get; }

    /// <summary>
    /// Reads one tensor from a safetensors file (<paramref name="tensor"/>, or the only tensor
    /// there). Bad content throws InvalidDataException("FILE: problem").
    /// </summary>
    public static ActivationMatrix Read(string path, string? tensor = null, SpatialFold fold = SpatialFold.Positions)
    {
        string name = Path.GetFileName(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        var contents = Safetensors.Read(path);
        TensorRecord record;
        if (tensor is not null)
            record = contents.Tensors.FirstOrDefault(t => t.Name == tensor)
                ?? throw new InvalidDataException($"{name}: no tensor named '{tensor}' (has: {string.Join(", ", contents.Tensors.Select(t => t.Name))})");
        else if (contents.Tensors.Count == 1) record = contents.Tensors[0];
        else
            throw new InvalidDataException(contents.Tensors.Count == 0
                ? $"{name}: holds no tensors"
                : $"{name}: holds {contents.Tensors.Count} tensors ({string.Join(", ", contents.Tensors.Select(t => t.Name))}); choose one with --tensor");
        return FromRecord(name, record, fold);
    }

    /// <summary>Wraps a tensor record: [N, C] or [batch, C, spatial…] (rank ≥ 3), float32 or float64.</summary>
    public static ActivationMatrix FromRecord(string source, TensorRecord record, SpatialFold fold = SpatialFold.Positions)
    {
        string what = $"{source}: tensor '{record.Name}'";
        if (record.DType is not (DType.Float32 or DType.Float64))
            throw new InvalidDataException($"{what} has dtype {record.DType.Name()}, expected float32 or float64");
        var shape = record.Shape;
        if (shape.Length < 2)
            throw new InvalidDataException($"{what} has shape [{string.Join(", ", shape)}], expected [N, C] or [batch, C, D, H, W]");
        if (shape[1] < 1 || shape[1] > int.MaxValue)
            throw new InvalidDataException($"{what} has {shape[1]} channels");
        long spatial = 1;
        for (int k = 2; k < shape.Length; k++) spatial *= shape[k];
        long rows = shape[0] * spatial;
        var m = new ActivationMatrix(source, record.Data, record.DType == DType.Float32, rows, (int)shape[1], spatial, null);
        return fold == SpatialFold.AveragePool && shape.Length > 2 ? m.AveragePooled(shape[0]) : m;
    }

    /// <summary>A row-major [rows, columns] array as a matrix (tests, benchmarks, generated data).</summary>
    public static ActivationMatrix FromArray<T>(string source, T[] data, long rows, int columns) where T : unmanaged
    {
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double)) throw new ArgumentException("float or double data only");
        if (data.LongLength != rows * columns) throw new ArgumentException($"{data.Length} values do not make [{rows}, {columns}]");
        var bytes = MemoryMarshal.AsBytes(data.AsSpan()).ToArray();
        return new ActivationMatrix(source, bytes, typeof(T) == typeof(float), rows, columns, 1, null);
    }

    /// <summary>One row per volume: the mean over its spatial positions, in float64.</summary>
    private ActivationMatrix AveragePooled(long batch)
    {
        var pooled = new double[batch * Columns];
        var row = new double[Columns];
        for (long r = 0; r < SourceRows; r++)
        {
            CopySourceRow(r, row);
            long b = r / _spatial;
            for (int c = 0; c < Columns; c++) pooled[b * Columns + c] += row[c];
        }
        for (int k = 0; k < pooled.Length; k++) pooled[k] /= _spatial;
        return new ActivationMatrix(Source, MemoryMarshal.AsBytes(pooled.AsSpan()).ToArray(), false, batch, Columns, 1, null);
    }

    /// <summary>
    /// At most <paramref name="count"/> rows drawn uniformly without replacement with a seed
    /// (Floyd's algorithm; kept in ascending order so reads stay sequential). Two matrices of the
    /// same row count subsampled with the same seed keep the same rows, so A and B stay paired.
    /// </summary>
    public ActivationMatrix Subsample(long count, long seed)
    {
        if (count >= SourceRows) return this;
        if (count < 1) throw new ArgumentException("subsample size must be at least 1");
        var rng = new Xoshiro256(unchecked((ulong)seed));
        var chosen = new HashSet<long>();
        for (long j = SourceRows - count; j < SourceRows; j++)
        {
            long t = (long)rng.NextBelow((ulong)j + 1);
            if (!chosen.Add(t)) chosen.Add(j);
        }
        var rows = chosen.ToArray();
        Array.Sort(rows);
        return new ActivationMatrix(Source, _data, _float32, SourceRows, Columns, _spatial, rows);
    }

    /// <summary>Copies rows [start, start+count) as float64 into a row-major buffer, rejecting NaN and infinity.</summary>
    public void CopyRows(long start, int count, Span<double> destination)
    {
        for (int r = 0; r < count; r++)
        {
            long source = _rows?[start + r] ?? start + r;
            var dst = destination.Slice(r * Columns, Columns);
            CopySourceRow(source, dst);
            foreach (var v in dst)
                if (!double.IsFinite(v))
                    throw new InvalidDataException($"{Source}: row {start + r} holds {v}; activations must be finite");
        }
    }

    private void CopySourceRow(long row, Span<double> dst)
    {
        long b = row / _spatial, s = row % _spatial;
        long first = b * Columns * _spatial + s;   // element index of column 0
        if (_float32)
        {
            var all = MemoryMarshal.Cast<byte, float>(_data.Span);
            if (_spatial == 1) for (int c = 0; c < Columns; c++) dst[c] = all[(int)(first + c)];
            else for (int c = 0; c < Columns; c++) dst[c] = all[(int)(first + c * _spatial)];
        }
        else
        {
            var all = MemoryMarshal.Cast<byte, double>(_data.Span);
            if (_spatial == 1) all.Slice((int)first, Columns).CopyTo(dst);
            else for (int c = 0; c < Columns; c++) dst[c] = all[(int)(first + c * _spatial)];
        }
    }
}
