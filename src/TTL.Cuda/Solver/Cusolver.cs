using TTL.Cuda.Blas;
using TTL.Cuda.Driver;
using TTL.Cuda.Native;

namespace TTL.Cuda.Solver;

/// <summary>The cuSOLVER library (probed lazily, after cuBLAS, which it links against).</summary>
public static class CusolverLibrary
{
    private static readonly Lazy<NativeLib> _lib = new(() =>
    {
        _ = CublasLibrary.Lib;
        return LibraryProbe.Load(LibraryProbe.Cusolver);
    });

    public static NativeLib Lib => _lib.Value;

    /// <summary>"11.6.1" from cusolverGetProperty; null when cuSOLVER is absent.</summary>
    public static string? VersionText => LibraryVersion.Of(Lib, "cusolverGetProperty");

    /// <summary>Raises a failed cusolverStatus_t naming the call (cuSOLVER has no status-string function).</summary>
    internal static void Check(int status, string call)
    {
        if (status == 0) return;
        var (name, text) = Status(status);
        throw new CudaException(call, status, name, text);
    }

    /// <summary>cusolverStatus_t name and meaning (cusolver_common.h).</summary>
    internal static (string Name, string Text) Status(int status) => status switch
    {
        1 => ("CUSOLVER_STATUS_NOT_INITIALIZED", "the library was not initialised"),
        2 => ("CUSOLVER_STATUS_ALLOC_FAILED", "resource allocation failed"),
        3 => ("CUSOLVER_STATUS_INVALID_VALUE", "an unsupported value or parameter was passed"),
        4 => ("CUSOLVER_STATUS_ARCH_MISMATCH", "the device does not support the operation"),
        5 => ("CUSOLVER_STATUS_MAPPING_ERROR", "memory mapping failed"),
        6 => ("CUSOLVER_STATUS_EXECUTION_FAILED", "the kernel failed to execute"),
        7 => ("CUSOLVER_STATUS_INTERNAL_ERROR", "an internal operation failed"),
        8 => ("CUSOLVER_STATUS_MATRIX_TYPE_NOT_SUPPORTED", "the matrix type is not supported"),
        9 => ("CUSOLVER_STATUS_NOT_SUPPORTED", "not supported"),
        10 => ("CUSOLVER_STATUS_ZERO_PIVOT", "zero pivot"),
        11 => ("CUSOLVER_STATUS_INVALID_LICENSE", "invalid license"),
        _ => ($"cusolverStatus_t {status}", "cuSOLVER call failed"),
    };
}

/// <summary>cusolverEigMode_t: whether eigen/singular vectors are computed.</summary>
public enum EigMode { NoVector = 0, Vector = 1 }

/// <summary>
/// A cuSOLVER dense handle on one stream, float64. Matrices are column-major; the symmetric ones
/// SVCCA decomposes are the same either way. Each call checks the routine's devInfo and raises a
/// failure to converge or an indefinite matrix as a <see cref="CudaException"/>.
/// </summary>
public sealed unsafe class Cusolver : IDisposable
{
    private readonly PrimaryContext _context;
    private readonly CudaStream _stream;
    private IntPtr _handle;

    public Cusolver(PrimaryContext context, CudaStream? stream = null)
    {
        _context = context;
        _stream = stream ?? CudaStream.Legacy;
        context.MakeCurrent();
        IntPtr h;
        CusolverLibrary.Check(((delegate* unmanaged<IntPtr*, int>)Fn("cusolverDnCreate"))(&h), "cusolverDnCreate");
        _handle = h;
        CusolverLibrary.Check(((delegate* unmanaged<IntPtr, IntPtr, int>)Fn("cusolverDnSetStream"))(_handle, _stream.Handle), "cusolverDnSetStream");
    }

    private static IntPtr Fn(string name) => CusolverLibrary.Lib.Require(name);

    /// <summary>
    /// Eigen-decomposition of the symmetric n × n matrix A (its <paramref name="fill"/> triangle is
    /// read): eigenvalues into <paramref name="w"/> in ascending order, and with
    /// <paramref name="vectors"/> the orthonormal eigenvectors overwrite A's columns.
    /// </summary>
    public void Syevd(DevicePtr a, int n, int lda, DevicePtr w, bool vectors = true, BlasFill fill = BlasFill.Lower)
    {
        _context.MakeCurrent();
        int jobz = (int)(vectors ? EigMode.Vector : EigMode.NoVector), lwork;
        CusolverLibrary.Check(((delegate* unmanaged<IntPtr, int, int, int, ulong, int, ulong, int*, int>)Fn("cusolverDnDsyevd_bufferSize"))(
            _handle, jobz, (int)fill, n, a.Address, lda, w.Address, &lwork), "cusolverDnDsyevd_bufferSize");
        using var work = new DeviceBuffer<double>(_context, Math.Max(1, lwork));
        using var info = new DeviceBuffer<int>(_context, 1);
        CusolverLibrary.Check(((delegate* unmanaged<IntPtr, int, int, int, ulong, int, ulong, ulong, int, ulong, int>)Fn("cusolverDnDsyevd"))(
            _handle, jobz, (int)fill, n, a.Address, lda, w.Address, work.Ptr.Address, lwork, info.Ptr.Address), "cusolverDnDsyevd");
        CheckInfo(info, "cusolverDnDsyevd", i => $"{i} off-diagonal elements of an intermediate tridiagonal form did not converge to zero");
    }

    /// <summary>
    /// SVD A = U·diag(S)·Vᵀ of the m × n matrix A (destroyed) by Jacobi rotations, singular values
    /// descending. With <paramref name="economy"/> U is m × min(m, n) and V is n × min(m, n).
    /// </summary>
    public void Gesvdj(int m, int n, DevicePtr a, int lda, DevicePtr s, DevicePtr u, int ldu, DevicePtr v, int ldv,
        bool economy = true, double tolerance = 0, int maxSweeps = 100)
    {
        _context.MakeCurrent();
        IntPtr p;
        CusolverLibrary.Check(((delegate* unmanaged<IntPtr*, int>)Fn("cusolverDnCreateGesvdjInfo"))(&p), "cusolverDnCreateGesvdjInfo");
        try
        {
            // A tolerance of 0 keeps cuSOLVER's default (machine precision).
            if (tolerance > 0) CusolverLibrary.Check(((delegate* unmanaged<IntPtr, double, int>)Fn("cusolverDnXgesvdjSetTolerance"))(p, tolerance), "cusolverDnXgesvdjSetTolerance");
            CusolverLibrary.Check(((delegate* unmanaged<IntPtr, int, int>)Fn("cusolverDnXgesvdjSetMaxSweeps"))(p, maxSweeps), "cusolverDnXgesvdjSetMaxSweeps");
            int econ = economy ? 1 : 0, lwork;
            CusolverLibrary.Check(((delegate* unmanaged<IntPtr, int, int, int, int, ulong, int, ulong, ulong, int, ulong, int, int*, IntPtr, int>)Fn("cusolverDnDgesvdj_bufferSize"))(
                _handle, (int)EigMode.Vector, econ, m, n, a.Address, lda, s.Address, u.Address, ldu, v.Address, ldv, &lwork, p), "cusolverDnDgesvdj_bufferSize");
            using var work = new DeviceBuffer<double>(_context, Math.Max(1, lwork));
            using var info = new DeviceBuffer<int>(_context, 1);
            CusolverLibrary.Check(((delegate* unmanaged<IntPtr, int, int, int, int, ulong, int, ulong, ulong, int, ulong, int, ulong, int, ulong, IntPtr, int>)Fn("cusolverDnDgesvdj"))(
                _handle, (int)EigMode.Vector, econ, m, n, a.Address, lda, s.Address, u.Address, ldu, v.Address, ldv, work.Ptr.Address, lwork, info.Ptr.Address, p), "cusolverDnDgesvdj");
            CheckInfo(info, "cusolverDnDgesvdj", _ => $"did not converge in {maxSweeps} sweeps");
        }
        finally
        {
            ((delegate* unmanaged<IntPtr, int>)Fn("cusolverDnDestroyGesvdjInfo"))(p);
        }
    }

    /// <summary>Cholesky factorisation in place of the symmetric positive definite n × n A (its <paramref name="fill"/> triangle).</summary>
    public void Potrf(BlasFill fill, int n, DevicePtr a, int lda)
    {
        _context.MakeCurrent();
        int lwork;
        CusolverLibrary.Check(((delegate* unmanaged<IntPtr, int, int, ulong, int, int*, int>)Fn("cusolverDnDpotrf_bufferSize"))(
            _handle, (int)fill, n, a.Address, lda, &lwork), "cusolverDnDpotrf_bufferSize");
        using var work = new DeviceBuffer<double>(_context, Math.Max(1, lwork));
        using var info = new DeviceBuffer<int>(_context, 1);
        CusolverLibrary.Check(((delegate* unmanaged<IntPtr, int, int, ulong, int, ulong, int, ulong, int>)Fn("cusolverDnDpotrf"))(
            _handle, (int)fill, n, a.Address, lda, work.Ptr.Address, lwork, info.Ptr.Address), "cusolverDnDpotrf");
        CheckInfo(info, "cusolverDnDpotrf", i => $"the leading minor of order {i} is not positive definite");
    }

    private void CheckInfo(DeviceBuffer<int> info, string call, Func<int, string> positive)
    {
        var v = new int[1];
        info.Download(v, _stream);
        if (v[0] < 0) throw new CudaException($"{call}: parameter {-v[0]} is invalid");
        if (v[0] > 0) throw new CudaException($"{call}: {positive(v[0])}");
    }

    public void Dispose()
    {
        var h = Interlocked.Exchange(ref _handle, IntPtr.Zero);
        if (h == IntPtr.Zero) return;
        _context.MakeCurrent();
        CusolverLibrary.Check(((delegate* unmanaged<IntPtr, int>)Fn("cusolverDnDestroy"))(h), "cusolverDnDestroy");
    }
}
