using System.Runtime.InteropServices;
using TTL.Cuda.Driver;
using TTL.Cuda.Native;

namespace TTL.Cuda.Blas;

/// <summary>cublasOperation_t.</summary>
public enum BlasOp { N = 0, T = 1 }

/// <summary>cublasFillMode_t: which triangle (in cuBLAS's column-major view) is read or written.</summary>
public enum BlasFill { Lower = 0, Upper = 1 }

/// <summary>The cuBLAS library (probed lazily), for version queries before any handle exists.</summary>
public static unsafe class CublasLibrary
{
    private static readonly Lazy<NativeLib> _lib = new(() => LibraryProbe.Load(LibraryProbe.Cublas));

    public static NativeLib Lib => _lib.Value;

    /// <summary>"12.4.5" from cublasGetProperty; null when cuBLAS is absent.</summary>
    public static string? VersionText => LibraryVersion.Of(Lib, "cublasGetProperty");

    /// <summary>Raises a failed cublasStatus_t naming the call.</summary>
    internal static void Check(int status, string call)
    {
        if (status == 0) return;
        string name = Lookup("cublasGetStatusName", status) ?? StatusName(status);
        throw new CudaException(call, status, name, Lookup("cublasGetStatusString", status) ?? "cuBLAS call failed");
    }

    /// <summary>cublasStatus_t names (cublas_api.h), for libraries older than cublasGetStatusName.</summary>
    internal static string StatusName(int status) => status switch
    {
        1 => "CUBLAS_STATUS_NOT_INITIALIZED",
        3 => "CUBLAS_STATUS_ALLOC_FAILED",
        7 => "CUBLAS_STATUS_INVALID_VALUE",
        8 => "CUBLAS_STATUS_ARCH_MISMATCH",
        11 => "CUBLAS_STATUS_MAPPING_ERROR",
        13 => "CUBLAS_STATUS_EXECUTION_FAILED",
        14 => "CUBLAS_STATUS_INTERNAL_ERROR",
        15 => "CUBLAS_STATUS_NOT_SUPPORTED",
        16 => "CUBLAS_STATUS_LICENSE_ERROR",
        _ => $"cublasStatus_t {status}",
    };

    // Present since cuBLAS 11.4.2; older libraries fall back to the table above.
    private static string? Lookup(string fn, int status)
    {
        var f = Lib.Export(fn);
        return f == IntPtr.Zero ? null : Marshal.PtrToStringUTF8((IntPtr)((delegate* unmanaged<int, byte*>)f)(status));
    }
}

/// <summary>
/// A cuBLAS handle bound to one stream. Matrices are column-major, as cuBLAS takes them; a
/// row-major m × n matrix is the column-major n × m matrix of its transpose, which is how the
/// callers avoid transposing activations before SYRK.
/// </summary>
public sealed unsafe class Cublas : IDisposable
{
    private readonly PrimaryContext _context;
    private IntPtr _handle;

    public Cublas(PrimaryContext context, CudaStream? stream = null)
    {
        _context = context;
        context.MakeCurrent();
        IntPtr h;
        CublasLibrary.Check(((delegate* unmanaged<IntPtr*, int>)Fn("cublasCreate_v2"))(&h), "cublasCreate_v2");
        _handle = h;
        SetStream(stream ?? CudaStream.Legacy);
    }

    private static IntPtr Fn(string name) => CublasLibrary.Lib.Require(name);

    public void SetStream(CudaStream stream) =>
        CublasLibrary.Check(((delegate* unmanaged<IntPtr, IntPtr, int>)Fn("cublasSetStream_v2"))(_handle, stream.Handle), "cublasSetStream_v2");

    /// <summary>C ← α·op(A)·op(B) + β·C, float64; op(A) is m × k, op(B) k × n, C m × n.</summary>
    public void Gemm(BlasOp opA, BlasOp opB, int m, int n, int k, double alpha, DevicePtr a, int lda, DevicePtr b, int ldb, double beta, DevicePtr c, int ldc)
    {
        _context.MakeCurrent();
        CublasLibrary.Check(((delegate* unmanaged<IntPtr, int, int, int, int, int, double*, ulong, int, ulong, int, double*, ulong, int, int>)Fn("cublasDgemm_v2"))(
            _handle, (int)opA, (int)opB, m, n, k, &alpha, a.Address, lda, b.Address, ldb, &beta, c.Address, ldc), "cublasDgemm_v2");
    }

    /// <inheritdoc cref="Gemm(BlasOp, BlasOp, int, int, int, double, DevicePtr, int, DevicePtr, int, double, DevicePtr, int)"/>
    public void Gemm(BlasOp opA, BlasOp opB, int m, int n, int k, float alpha, DevicePtr a, int lda, DevicePtr b, int ldb, float beta, DevicePtr c, int ldc)
    {
        _context.MakeCurrent();
        CublasLibrary.Check(((delegate* unmanaged<IntPtr, int, int, int, int, int, float*, ulong, int, ulong, int, float*, ulong, int, int>)Fn("cublasSgemm_v2"))(
            _handle, (int)opA, (int)opB, m, n, k, &alpha, a.Address, lda, b.Address, ldb, &beta, c.Address, ldc), "cublasSgemm_v2");
    }

    /// <summary>C ← α·op(A)·op(A)ᵀ + β·C on the <paramref name="fill"/> triangle of the n × n C, float64; op(A) is n × k.</summary>
    public void Syrk(BlasFill fill, BlasOp op, int n, int k, double alpha, DevicePtr a, int lda, double beta, DevicePtr c, int ldc)
    {
        _context.MakeCurrent();
        CublasLibrary.Check(((delegate* unmanaged<IntPtr, int, int, int, int, double*, ulong, int, double*, ulong, int, int>)Fn("cublasDsyrk_v2"))(
            _handle, (int)fill, (int)op, n, k, &alpha, a.Address, lda, &beta, c.Address, ldc), "cublasDsyrk_v2");
    }

    /// <inheritdoc cref="Syrk(BlasFill, BlasOp, int, int, double, DevicePtr, int, double, DevicePtr, int)"/>
    public void Syrk(BlasFill fill, BlasOp op, int n, int k, float alpha, DevicePtr a, int lda, float beta, DevicePtr c, int ldc)
    {
        _context.MakeCurrent();
        CublasLibrary.Check(((delegate* unmanaged<IntPtr, int, int, int, int, float*, ulong, int, float*, ulong, int, int>)Fn("cublasSsyrk_v2"))(
            _handle, (int)fill, (int)op, n, k, &alpha, a.Address, lda, &beta, c.Address, ldc), "cublasSsyrk_v2");
    }

    public void Dispose()
    {
        var h = Interlocked.Exchange(ref _handle, IntPtr.Zero);
        if (h == IntPtr.Zero) return;
        _context.MakeCurrent();
        CublasLibrary.Check(((delegate* unmanaged<IntPtr, int>)Fn("cublasDestroy_v2"))(h), "cublasDestroy_v2");
    }
}
