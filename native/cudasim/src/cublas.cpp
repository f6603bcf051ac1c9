// libcublas.so.12 of the simulator: the cuBLAS calls TTL.Cuda makes (GEMM and SYRK in float32 and
// float64, column-major, host-pointer scalars), run by the reference BLAS on the host. Arguments
// are checked as cuBLAS documents (CUBLAS_STATUS_INVALID_VALUE) before BLAS sees them: reference
// BLAS would print and exit on a bad one.
#include <cstring>
#include <set>

#include "library.h"

typedef int cublasStatus_t;
enum : cublasStatus_t
{
    CUBLAS_STATUS_SUCCESS = 0,
    CUBLAS_STATUS_NOT_INITIALIZED = 1,
    CUBLAS_STATUS_ALLOC_FAILED = 3,
    CUBLAS_STATUS_INVALID_VALUE = 7,
    CUBLAS_STATUS_EXECUTION_FAILED = 13,
    CUBLAS_STATUS_NOT_SUPPORTED = 15,
};

namespace {

struct Handle
{
    void* stream = nullptr;
};

std::set<Handle*> handles;

bool live(Handle* h) { return h && handles.count(h); }

// cublasOperation_t: N = 0, T = 1, C = 2 (the conjugate transpose of a real matrix is its transpose).
bool op(int o, char& c)
{
    if (o == 0) { c = 'N'; return true; }
    if (o == 1 || o == 2) { c = 'T'; return true; }
    return false;
}

bool fill(int f, char& c)
{
    if (f == 0) { c = 'L'; return true; }
    if (f == 1) { c = 'U'; return true; }
    return false;
}

int at_least_one(int v) { return v < 1 ? 1 : v; }

template <typename T, typename Blas>
cublasStatus_t gemm(const char* call, Handle* h, int ta, int tb, int m, int n, int k, const T* alpha, const T* a, int lda, const T* b, int ldb,
                    const T* beta, T* c, int ldc, Blas blas)
{
    if (!live(h)) return CUBLAS_STATUS_NOT_INITIALIZED;
    char oa, ob;
    if (!op(ta, oa) || !op(tb, ob) || m < 0 || n < 0 || k < 0 || !alpha || !beta) return CUBLAS_STATUS_INVALID_VALUE;
    const int rows_a = oa == 'N' ? m : k, cols_a = oa == 'N' ? k : m;
    const int rows_b = ob == 'N' ? k : n, cols_b = ob == 'N' ? n : k;
    if (lda < at_least_one(rows_a) || ldb < at_least_one(rows_b) || ldc < at_least_one(m)) return CUBLAS_STATUS_INVALID_VALUE;
    if (m == 0 || n == 0) return CUBLAS_STATUS_SUCCESS;
    if (!ttlsim::enter(call, h->stream, {{a, ttlsim::span(rows_a, cols_a, lda), sizeof(T), "A"}, {b, ttlsim::span(rows_b, cols_b, ldb), sizeof(T), "B"},
                                          {c, ttlsim::span(m, n, ldc), sizeof(T), "C"}}))
        return CUBLAS_STATUS_SUCCESS;   // the fault is the driver's to report, at the next synchronisation
    blas(&oa, &ob, &m, &n, &k, alpha, a, &lda, b, &ldb, beta, c, &ldc, 1, 1);
    ttlsim_library_leave(call);
    return CUBLAS_STATUS_SUCCESS;
}

template <typename T, typename Blas>
cublasStatus_t syrk(const char* call, Handle* h, int uplo, int trans, int n, int k, const T* alpha, const T* a, int lda, const T* beta, T* c, int ldc,
                    Blas blas)
{
    if (!live(h)) return CUBLAS_STATUS_NOT_INITIALIZED;
    char u, t;
    if (!fill(uplo, u) || !op(trans, t) || n < 0 || k < 0 || !alpha || !beta) return CUBLAS_STATUS_INVALID_VALUE;
    const int rows_a = t == 'N' ? n : k, cols_a = t == 'N' ? k : n;
    if (lda < at_least_one(rows_a) || ldc < at_least_one(n)) return CUBLAS_STATUS_INVALID_VALUE;
    if (n == 0) return CUBLAS_STATUS_SUCCESS;
    if (!ttlsim::enter(call, h->stream, {{a, ttlsim::span(rows_a, cols_a, lda), sizeof(T), "A"}, {c, ttlsim::span(n, n, ldc), sizeof(T), "C"}}))
        return CUBLAS_STATUS_SUCCESS;
    blas(&u, &t, &n, &k, alpha, a, &lda, beta, c, &ldc, 1, 1);
    ttlsim_library_leave(call);
    return CUBLAS_STATUS_SUCCESS;
}

}  // namespace

TTLSIM_EXPORT const char* ttlsim_identity()
{
    return "TTL CUDA simulator's cuBLAS: GEMM and SYRK on the host by the system's reference BLAS; not a GPU";
}

TTLSIM_EXPORT cublasStatus_t cublasCreate_v2(Handle** h)
{
    if (!h) return CUBLAS_STATUS_INVALID_VALUE;
    *h = new Handle();
    handles.insert(*h);
    return CUBLAS_STATUS_SUCCESS;
}

TTLSIM_EXPORT cublasStatus_t cublasDestroy_v2(Handle* h)
{
    if (!live(h)) return CUBLAS_STATUS_NOT_INITIALIZED;
    handles.erase(h);
    delete h;
    return CUBLAS_STATUS_SUCCESS;
}

TTLSIM_EXPORT cublasStatus_t cublasSetStream_v2(Handle* h, void* stream)
{
    if (!live(h)) return CUBLAS_STATUS_NOT_INITIALIZED;
    h->stream = stream;
    return CUBLAS_STATUS_SUCCESS;
}

// The simulator is no particular cuBLAS release.
TTLSIM_EXPORT cublasStatus_t cublasGetProperty(int, int*) { return CUBLAS_STATUS_NOT_SUPPORTED; }

TTLSIM_EXPORT const char* cublasGetStatusName(cublasStatus_t s)
{
    switch (s)
    {
        case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
        case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
        case CUBLAS_STATUS_ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED";
        case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
        case CUBLAS_STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
        case CUBLAS_STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
        default: return "CUBLAS_STATUS_UNKNOWN";
    }
}

TTLSIM_EXPORT const char* cublasGetStatusString(cublasStatus_t s)
{
    switch (s)
    {
        case CUBLAS_STATUS_SUCCESS: return "success";
        case CUBLAS_STATUS_NOT_INITIALIZED: return "the handle is not a live cuBLAS handle";
        case CUBLAS_STATUS_INVALID_VALUE: return "an invalid value was passed (a dimension, leading dimension or operation)";
        case CUBLAS_STATUS_NOT_SUPPORTED: return "not supported by the simulator";
        default: return "cuBLAS call failed";
    }
}

TTLSIM_EXPORT cublasStatus_t cublasDgemm_v2(Handle* h, int ta, int tb, int m, int n, int k, const double* alpha, const double* a, int lda, const double* b,
                                            int ldb, const double* beta, double* c, int ldc)
{
    return gemm("cublasDgemm_v2", h, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, dgemm_);
}

TTLSIM_EXPORT cublasStatus_t cublasSgemm_v2(Handle* h, int ta, int tb, int m, int n, int k, const float* alpha, const float* a, int lda, const float* b,
                                            int ldb, const float* beta, float* c, int ldc)
{
    return gemm("cublasSgemm_v2", h, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, sgemm_);
}

TTLSIM_EXPORT cublasStatus_t cublasDsyrk_v2(Handle* h, int uplo, int trans, int n, int k, const double* alpha, const double* a, int lda, const double* beta,
                                            double* c, int ldc)
{
    return syrk("cublasDsyrk_v2", h, uplo, trans, n, k, alpha, a, lda, beta, c, ldc, dsyrk_);
}

TTLSIM_EXPORT cublasStatus_t cublasSsyrk_v2(Handle* h, int uplo, int trans, int n, int k, const float* alpha, const float* a, int lda, const float* beta,
                                            float* c, int ldc)
{
    return syrk("cublasSsyrk_v2", h, uplo, trans, n, k, alpha, a, lda, beta, c, ldc, ssyrk_);
}
