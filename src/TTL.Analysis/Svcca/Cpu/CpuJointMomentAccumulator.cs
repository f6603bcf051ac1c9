using System.Runtime.InteropServices;
using TTL.Torch;

namespace TTL.Analysis.Svcca.Cpu;

/// <summary>
/// Accumulates the joint moments of [A|B] in float64 on the CPU, one block of rows at a time,
/// so memory is O(D²) (plus one block) however many rows stream through.
///
/// Numerics: each block is centred on its own mean before its scatter is formed, and blocks are
/// merged with the pairwise update of Chan, Golub and LeVeque (1979):
///   S ← S + S_block + δδᵀ · n·m / (n + m),  δ = μ_block − μ,  μ ← μ + δ·m / (n + m).
/// Forming Σ xxᵀ − N μμᵀ instead would cancel catastrophically when |μ| ≫ σ (ReLU activations
/// have large positive means). The block products run in float64 in <see cref="ScatterKernel"/>:
/// libtorch's mm on this host goes through the generic reference BLAS (≈3 GFLOP/s in float64,
/// ≈6 in float32, measured) and oneDNN covers float32 only; the blocked AVX2 kernel keeps full
/// float64 accuracy and is faster than both.
/// </summary>
public sealed class CpuJointMomentAccumulator : IJointMomentAccumulator
{
    private readonly AccumulatorOptions _options;
    private readonly int _d;
    private readonly ScatterKernel _kernel;
    private readonly double[] _stage;      // pending rows, row-major BlockRows × D
    private int _pending;
    private readonly double[] _mean;       // running mean (length D)
    private long _rows;
    private double _hsicAB, _hsicAA, _hsicBB;
    private long _batches;

    public CpuJointMomentAccumulator(int columnsA, int columnsB, AccumulatorOptions? options = null)
    {
        if (columnsA < 1 || columnsB < 1) throw new ArgumentException("both matrices need at least one column");
        _options = options ?? new AccumulatorOptions();
        if (_options.BlockRows < 4) throw new ArgumentException("BlockRows must be at least 4");
        ColumnsA = columnsA;
        ColumnsB = columnsB;
        _d = columnsA + columnsB;
        _kernel = new ScatterKernel(_d, columnsA, _options.BlockRows, Math.Max(1, _options.Threads));
        _stage = new double[(long)_options.BlockRows * _d];
        _mean = new double[_d];
    }

    public int ColumnsA { get; }

    public int ColumnsB { get; }

    public long Rows => _rows + _pending;

    public void Add(Tensor a, Tensor b)
    {
        CheckTensor(a, ColumnsA, "A");
        CheckTensor(b, ColumnsB, "B");
        if (a.size(0) != b.size(0)) throw new ArgumentException($"A has {a.size(0)} rows, B has {b.size(0)}");
        int rows = checked((int)a.size(0));
        if (a.dtype == DType.Float32 && b.dtype == DType.Float32 && a.is_contiguous() && b.is_contiguous())
            Add(a.AsSpan<float>(), b.AsSpan<float>(), rows);
        else
        {
            using var a64 = a.to(DType.Float64).contiguous();
            using var b64 = b.to(DType.Float64).contiguous();
            Add(a64.AsSpan<double>(), b64.AsSpan<double>(), rows);
        }
    }

    public void Add(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int rows) => AddRows(a, b, rows);

    public void Add(ReadOnlySpan<double> a, ReadOnlySpan<double> b, int rows) => AddRows(a, b, rows);

    private void AddRows<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, int rows) where T : unmanaged
    {
        if (a.Length != (long)rows * ColumnsA || b.Length != (long)rows * ColumnsB)
            throw new ArgumentException($"expected {rows} rows of {ColumnsA} and {ColumnsB} columns, got {a.Length} and {b.Length} values");
        for (int r = 0; r < rows; r++)
        {
            var dst = _stage.AsSpan(_pending * _d, _d);
            long row = Rows;
            CopyFinite(a.Slice(r * ColumnsA, ColumnsA), dst[..ColumnsA], row, "A");
            CopyFinite(b.Slice(r * ColumnsB, ColumnsB), dst[ColumnsA..], row, "B");
            if (++_pending == _options.BlockRows) FlushBlock();
        }
    }

    private static void CopyFinite<T>(ReadOnlySpan<T> src, Span<double> dst, long row, string side) where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            var s = MemoryMarshal.Cast<T, float>(src);
            for (int c = 0; c < s.Length; c++) dst[c] = s[c];
        }
        else MemoryMarshal.Cast<T, double>(src).CopyTo(dst);
        // A NaN or infinity anywhere makes the sum non-finite; find it only then.
        double sum = 0;
        for (int c = 0; c < dst.Length; c++) sum += dst[c] * 0;
        if (!double.IsFinite(sum))
            for (int c = 0; c < dst.Length; c++)
                if (!double.IsFinite(dst[c]))
                    throw new ActivationDataException(side, $"row {row}, column {c}: value {dst[c]} is not finite");
    }

    private void FlushBlock()
    {
        int m = _pending;
        if (m == 0) return;
        _pending = 0;
        // Block mean, then δ and the merge weight of Chan et al.'s update.
        var blockMean = new double[_d];
        for (int r = 0; r < m; r++)
        {
            var row = _stage.AsSpan(r * _d, _d);
            for (int c = 0; c < _d; c++) blockMean[c] += row[c];
        }
        for (int c = 0; c < _d; c++) blockMean[c] /= m;
        double n = _rows;
        double weight = n * m / (n + m);
        var delta = new double[_d];
        for (int c = 0; c < _d; c++) delta[c] = blockMean[c] - _mean[c];

        var norms = _kernel.Pack(_stage, m, blockMean);
        var squares = _kernel.Accumulate(m, delta, weight);
        for (int c = 0; c < _d; c++) _mean[c] += delta[c] * m / (n + m);
        _rows += m;

        // Unbiased HSIC needs n ≥ 4; a short last minibatch is left out of the average.
        if (_options.MinibatchCka && m >= 4) AddHsic(m, norms, squares);
    }

    private void AddHsic(int n, (double[] A, double[] B) norms, ScatterKernel.BlockSquares sq)
    {
        double kl = 0, kk = 0, ll = 0, tk = 0, tl = 0;
        for (int i = 0; i < n; i++)
        {
            double k = norms.A[i], l = norms.B[i];
            kl += k * l;
            kk += k * k;
            ll += l * l;
            tk += k;
            tl += l;
        }
        var (ab, aa, bb) = MinibatchHsic.Estimates(n, kl, kk, ll, tk, tl, sq.AA, sq.AB, sq.BB);
        _hsicAB += ab;
        _hsicAA += aa;
        _hsicBB += bb;
        _batches++;
    }

    public JointMoments Finish()
    {
        FlushBlock();
        var minibatch = _options.MinibatchCka ? new MinibatchHsic(_options.BlockRows, _batches, _hsicAB, _hsicAA, _hsicBB) : null;
        return new JointMoments(_rows, ColumnsA, ColumnsB, (double[])_mean.Clone(), _kernel.SymmetricScatter(), minibatch);
    }

    public void Dispose() { }

    private static void CheckTensor(Tensor t, int columns, string side)
    {
        if (t.dim() != 2 || t.size(1) != columns)
            throw new ArgumentException($"{side} must be [n, {columns}], got [{string.Join(", ", t.shape)}]");
        if (!t.dtype.IsFloatingPoint()) throw new ArgumentException($"{side} has dtype {t.dtype.Name()}, expected a floating type");
        if (t.device.IsCuda) throw new ArgumentException($"{side} is on {t.device}; the CPU accumulator takes CPU tensors");
    }
}
