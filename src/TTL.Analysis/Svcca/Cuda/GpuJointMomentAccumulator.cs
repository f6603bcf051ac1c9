using System.Runtime.InteropServices;
using TTL.Cuda;
using TTL.Cuda.Blas;
using TTL.Cuda.Driver;
using TTL.Cuda.Kernels;
using TTL.Torch;

namespace TTL.Analysis.Svcca.Cuda;

/// <summary>
/// <see cref="Cpu.CpuJointMomentAccumulator"/> on the GPU, with the same blocks and numerics: rows
/// are staged (joined [A|B], float64) in blocks of <see cref="AccumulatorOptions.BlockRows"/>; each
/// block is centred on its own mean (svcca.cu), its scatter XᵀX formed by cuBLAS DSYRK, and merged
/// into the running total with Chan et al.'s update. Only the block mean (D values) crosses to the
/// host per block, for the running mean; the D × D scatter stays on the device until
/// <see cref="Finish"/>. CUDA tensors are read in place through their data pointer and row stride.
/// </summary>
public sealed class GpuJointMomentAccumulator : IJointMomentAccumulator
{
    private readonly GpuDevice _gpu;
    private readonly AccumulatorOptions _options;
    private readonly int _d, _blockRows;
    private readonly DeviceBuffer<double> _stage, _x, _g, _s, _blockMean, _delta, _zeros;
    private readonly DeviceBuffer<uint> _bad;
    private readonly double[] _mean;
    private double[]? _joint; // host staging block for host rows, allocated on first use
    private int _pending;
    private long _rows;
    private double _hsicAB, _hsicAA, _hsicBB;
    private long _batches;

    public GpuJointMomentAccumulator(GpuDevice gpu, int columnsA, int columnsB, AccumulatorOptions? options = null)
    {
        if (columnsA < 1 || columnsB < 1) throw new ArgumentException("both matrices need at least one column");
        _options = options ?? new AccumulatorOptions();
        if (_options.BlockRows < 4) throw new ArgumentException("BlockRows must be at least 4");
        _gpu = gpu;
        ColumnsA = columnsA;
        ColumnsB = columnsB;
        _d = columnsA + columnsB;
        _blockRows = _options.BlockRows;
        if ((long)_blockRows * _d > int.MaxValue) throw new ArgumentException($"a block of {_blockRows} × {_d} exceeds what the kernels index; use fewer BlockRows");
        _mean = new double[_d];
        try
        {
            _stage = gpu.Alloc<double>((long)_blockRows * _d);
            _x = gpu.Alloc<double>((long)_blockRows * _d);
            _g = gpu.Alloc<double>((long)_d * _d);
            _s = gpu.Alloc<double>((long)_d * _d);
            _s.Clear(gpu.Stream);
            _blockMean = gpu.Alloc<double>(_d);
            _delta = gpu.Alloc<double>(_d);
            _zeros = gpu.Alloc<double>(_d);
            _zeros.Clear(gpu.Stream);
            _bad = gpu.Alloc<uint>(1);
        }
        catch
        {
            Dispose(); // an allocation that fails (out of memory for a large D) frees the ones before it
            throw;
        }
    }

    public int ColumnsA { get; }

    public int ColumnsB { get; }

    public long Rows => _rows + _pending;

    /// <summary>Host tensors are copied up; CUDA tensors on this device (float32 or float64, unit column stride) are read in place.</summary>
    public void Add(Tensor a, Tensor b)
    {
        CheckTensor(a, ColumnsA, "A");
        CheckTensor(b, ColumnsB, "B");
        if (a.size(0) != b.size(0)) throw new ArgumentException($"A has {a.size(0)} rows, B has {b.size(0)}");
        int rows = checked((int)a.size(0));
        if (!a.device.IsCuda && !b.device.IsCuda)
        {
            using var a64 = a.to(DType.Float64).contiguous();
            using var b64 = b.to(DType.Float64).contiguous();
            Add(a64.AsSpan<double>(), b64.AsSpan<double>(), rows);
            return;
        }
        using var scope = torch.NewDisposeScope();
        var da = DeviceView(a, "A");
        var db = DeviceView(b, "B");
        if (da.dtype != db.dtype) db = db.to(da.dtype);
        // The kernels take the row strides as int: a view of a > 2^31-element tensor fails here, not silently.
        AddDeviceRows(da.dtype == DType.Float64, new DevicePtr((ulong)da.data_ptr()), checked((int)da.stride()[0]),
            new DevicePtr((ulong)db.data_ptr()), checked((int)db.stride()[0]), rows);
    }

    /// <summary>
    /// Rows already in device memory, read in place: <paramref name="rows"/> rows of A at
    /// <paramref name="a"/> (ColumnsA values each, rows <paramref name="lda"/> elements apart) and of
    /// B likewise, float32 or float64; a column slice of a wider matrix is such a view.
    /// </summary>
    public void AddDeviceRows(bool float64, DevicePtr a, int lda, DevicePtr b, int ldb, int rows)
    {
        if (lda < ColumnsA || ldb < ColumnsB) throw new ArgumentException($"row strides {lda} and {ldb} are shorter than the rows ({ColumnsA} and {ColumnsB} columns)");
        long esize = float64 ? 8 : 4;
        for (int r = 0; r < rows;)
        {
            int take = Math.Min(rows - r, _blockRows - _pending);
            var pa = new DevicePtr(a.Address + (ulong)((long)r * lda * esize));
            var pb = new DevicePtr(b.Address + (ulong)((long)r * ldb * esize));
            // Joining with a zero "mean" converts and lays the rows out as [A|B] float64 in the stage.
            Join(float64, pa, lda, pb, ldb, take, _zeros.Ptr, _stage.Ptr.Plus<double>((long)_pending * _d), Rows);
            _pending += take;
            r += take;
            if (_pending == _blockRows) FlushBlock();
        }
    }

    public void Add(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int rows) => AddRows(a, b, rows);

    public void Add(ReadOnlySpan<double> a, ReadOnlySpan<double> b, int rows) => AddRows(a, b, rows);

    /// <summary>
    /// Host rows go up one block at a time through a host staging block of BlockRows × D: joining
    /// the whole input first would hold a float64 copy of all of it (8 GB for 10^6 rows of
    /// 512 + 512 columns) only to upload it in blocks anyway.
    /// </summary>
    private void AddRows<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, int rows) where T : unmanaged
    {
        CheckSpans(a.Length, b.Length, rows);
        _joint ??= new double[(long)_blockRows * _d];
        for (int r = 0; r < rows;)
        {
            int take = Math.Min(rows - r, _blockRows - _pending);
            var joint = _joint.AsSpan(0, take * _d);
            for (int i = 0; i < take; i++)
            {
                Widen(a.Slice((r + i) * ColumnsA, ColumnsA), joint.Slice(i * _d, ColumnsA));
                Widen(b.Slice((r + i) * ColumnsB, ColumnsB), joint.Slice(i * _d + ColumnsA, ColumnsB));
            }
            // From pageable memory the driver stages the copy before returning: the block is reusable.
            _stage.Upload(joint, _gpu.Stream, (long)_pending * _d);
            _pending += take;
            r += take;
            if (_pending == _blockRows) FlushBlock();
        }
    }

    private static void Widen<T>(ReadOnlySpan<T> src, Span<double> dst) where T : unmanaged
    {
        if (typeof(T) == typeof(double))
        {
            MemoryMarshal.Cast<T, double>(src).CopyTo(dst);
            return;
        }
        var f = MemoryMarshal.Cast<T, float>(src);
        for (int c = 0; c < f.Length; c++) dst[c] = f[c];
    }

    /// <summary>center_join from (a, b) into x, raising the first non-finite value as the CPU does (row numbers from <paramref name="firstRow"/>).</summary>
    private void Join(bool f64, DevicePtr a, int lda, DevicePtr b, int ldb, int rows, DevicePtr mean, DevicePtr x, long firstRow)
    {
        _bad.Fill32(uint.MaxValue, _gpu.Stream);
        _gpu.Launch(KernelCalls.CenterJoin(f64, a, lda, b, ldb, rows, ColumnsA, ColumnsB, mean, x, _bad.Ptr), (long)rows * _d);
        var bad = _bad.ToArray(_gpu.Stream)[0];
        if (bad == uint.MaxValue) return;
        long row = firstRow + bad / _d;
        int col = (int)(bad % _d);
        var (side, c) = col < ColumnsA ? ("A", col) : ("B", col - ColumnsA);
        throw new ActivationDataException(side, $"row {row}, column {c}: value is not finite");
    }

    private void FlushBlock()
    {
        int m = _pending;
        if (m == 0) return;
        _pending = 0;
        var gpu = _gpu;
        gpu.Launch(KernelCalls.ColumnMeans(true, _stage.Ptr, m, _d, _d, _blockMean.Ptr), new Dim3((uint)((_d + 31) / 32)));
        var blockMean = _blockMean.ToArray(gpu.Stream);
        double n = _rows;
        double weight = n * m / (n + m);
        var delta = new double[_d];
        for (int c = 0; c < _d; c++) delta[c] = blockMean[c] - _mean[c];
        _delta.Upload(delta, gpu.Stream);
        Join(true, _stage.Ptr, _d, _stage.Ptr.Plus<double>(ColumnsA), _d, m, _blockMean.Ptr, _x.Ptr, _rows);

        // Row-major X (m × D) is column-major Xᵀ: SYRK with no transpose gives XᵀX, its column-major
        // lower triangle being the row-major upper one that the merge reads.
        gpu.Blas.Syrk(BlasFill.Lower, BlasOp.N, _d, m, 1.0, _x.Ptr, _d, 0.0, _g.Ptr, _d);
        bool hsic = _options.MinibatchCka && m >= 4;
        var mergeCall = KernelCalls.ScatterMerge(_s.Ptr, _g.Ptr, _delta.Ptr, weight, _d, ColumnsA, DevicePtr.Null);
        uint parts = gpu.GridFor(mergeCall, (long)_d * _d);
        using var squares = hsic ? gpu.Alloc<double>(3L * parts) : null;
        gpu.Launch(KernelCalls.ScatterMerge(_s.Ptr, _g.Ptr, _delta.Ptr, weight, _d, ColumnsA, squares?.Ptr ?? DevicePtr.Null), new Dim3(parts));
        for (int c = 0; c < _d; c++) _mean[c] += delta[c] * m / (n + m);
        _rows += m;
        if (hsic) AddHsic(m, squares!, parts);
    }

    private void AddHsic(int m, DeviceBuffer<double> squares, uint parts)
    {
        var normsCall = KernelCalls.RowNorms(_x.Ptr, m, _d, ColumnsA, DevicePtr.Null);
        uint blocks = _gpu.GridFor(normsCall, (long)m * 32);
        using var partial = _gpu.Alloc<double>(5L * blocks);
        _gpu.Launch(KernelCalls.RowNorms(_x.Ptr, m, _d, ColumnsA, partial.Ptr), new Dim3(blocks));
        var p = partial.ToArray(_gpu.Stream);
        var q = squares.ToArray(_gpu.Stream);
        double kl = 0, kk = 0, ll = 0, tk = 0, tl = 0, aa = 0, ab = 0, bb = 0;
        for (int i = 0; i < blocks; i++) { kl += p[5 * i]; kk += p[5 * i + 1]; ll += p[5 * i + 2]; tk += p[5 * i + 3]; tl += p[5 * i + 4]; }
        for (int i = 0; i < parts; i++) { aa += q[3 * i]; ab += q[3 * i + 1]; bb += q[3 * i + 2]; }
        var (hab, haa, hbb) = MinibatchHsic.Estimates(m, kl, kk, ll, tk, tl, aa, ab, bb);
        _hsicAB += hab;
        _hsicAA += haa;
        _hsicBB += hbb;
        _batches++;
    }

    public JointMoments Finish()
    {
        FlushBlock();
        var upper = _s.ToArray(_gpu.Stream);
        var s = new double[(long)_d * _d];
        for (int i = 0; i < _d; i++)
            for (int j = i; j < _d; j++)
            {
                double v = upper[(long)i * _d + j];
                s[(long)i * _d + j] = v;
                s[(long)j * _d + i] = v;
            }
        var minibatch = _options.MinibatchCka ? new MinibatchHsic(_blockRows, _batches, _hsicAB, _hsicAA, _hsicBB) : null;
        return new JointMoments(_rows, ColumnsA, ColumnsB, (double[])_mean.Clone(), s, minibatch);
    }

    public void Dispose()
    {
        // Null-tolerant: also called by the constructor when an allocation fails part-way.
        _stage?.Dispose(); _x?.Dispose(); _g?.Dispose(); _s?.Dispose();
        _blockMean?.Dispose(); _delta?.Dispose(); _zeros?.Dispose(); _bad?.Dispose();
    }

    private void CheckSpans(int a, int b, int rows)
    {
        if (a != (long)rows * ColumnsA || b != (long)rows * ColumnsB)
            throw new ArgumentException($"expected {rows} rows of {ColumnsA} and {ColumnsB} columns, got {a} and {b} values");
    }

    private static void CheckTensor(Tensor t, int columns, string side)
    {
        if (t.dim() != 2 || t.size(1) != columns)
            throw new ArgumentException($"{side} must be [n, {columns}], got [{string.Join(", ", t.shape)}]");
        if (!t.dtype.IsFloatingPoint()) throw new ArgumentException($"{side} has dtype {t.dtype.Name()}, expected a floating type");
    }

    /// <summary>The tensor as the kernels read it: on this device, float32/float64, unit column stride (a copy only when it is not).</summary>
    private Tensor DeviceView(Tensor t, string side)
    {
        if (!t.device.IsCuda || (t.device.Index >= 0 && t.device.Index != _gpu.Device.Ordinal))
            throw new ArgumentException($"{side} is on {t.device}; this accumulator runs on cuda:{_gpu.Device.Ordinal}");
        if (t.dtype != DType.Float32 && t.dtype != DType.Float64) t = t.to(DType.Float32);
        if (t.stride()[1] != 1 || t.stride()[0] < t.size(1)) t = t.contiguous();
        return t;
    }
}
