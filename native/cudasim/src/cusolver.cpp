// libcusolver.so.11 of the simulator: the dense cuSOLVER routines TTL.Cuda calls, float64,
// column-major, run by the reference LAPACK on the host with cuSOLVER's contracts:
//   syevd  - LAPACK DSYEVD: eigenvalues ascending, eigenvectors over A;
//   gesvdj - an SVD with gesvdj's outputs (singular values descending, U and V, not Vᵀ), computed
//            by LAPACK DGESVD, which is not a Jacobi method: tolerance and sweep limit are
//            accepted and have no effect, and the singular vectors may differ in sign;
//   potrf  - LAPACK DPOTRF (no workspace needed: bufferSize is 0).
// devInfo is written to device memory as cuSOLVER does (0, -i for a bad parameter i, or the
// routine's positive failure code).
#include <algorithm>
#include <cstring>
#include <set>
#include <vector>

#include "library.h"

typedef int cusolverStatus_t;
enum : cusolverStatus_t
{
    CUSOLVER_STATUS_SUCCESS = 0,
    CUSOLVER_STATUS_NOT_INITIALIZED = 1,
    CUSOLVER_STATUS_INVALID_VALUE = 3,
    CUSOLVER_STATUS_NOT_SUPPORTED = 9,
};

namespace {

struct Handle
{
    void* stream = nullptr;
};

struct GesvdjInfo
{
    double tolerance = 0;
    int max_sweeps = 100;
};

std::set<Handle*> handles;
std::set<GesvdjInfo*> infos;

bool live(Handle* h) { return h && handles.count(h); }

bool fill(int f, char& c)
{
    if (f == 0) { c = 'L'; return true; }
    if (f == 1) { c = 'U'; return true; }
    return false;
}

int at_least_one(int v) { return v < 1 ? 1 : v; }

// LAPACK's workspace query for DSYEVD: optimal work and iwork sizes.
void syevd_sizes(char jobz, char uplo, int n, int& lwork, int& liwork)
{
    double w = 0;
    int iw = 0, info = 0, query = -1;
    const int lda = at_least_one(n);
    dsyevd_(&jobz, &uplo, &n, nullptr, &lda, nullptr, &w, &query, &iw, &query, &info, 1, 1);
    lwork = std::max(1, (int)w);
    liwork = std::max(1, iw);
}

int gesvd_lwork(char job, int m, int n)
{
    double w = 0;
    int info = 0, query = -1;
    const int ld = at_least_one(m), ldvt = at_least_one(n);
    dgesvd_(&job, &job, &m, &n, nullptr, &ld, nullptr, nullptr, &ld, nullptr, &ldvt, &w, &query, &info, 1, 1);
    return std::max(1, (int)w);
}

}  // namespace

TTLSIM_EXPORT const char* ttlsim_identity()
{
    return "TTL CUDA simulator's cuSOLVER: SYEVD, an SVD for GESVDJ, and POTRF on the host by the system's reference LAPACK; not a GPU";
}

TTLSIM_EXPORT cusolverStatus_t cusolverGetProperty(int, int*) { return CUSOLVER_STATUS_NOT_SUPPORTED; }

TTLSIM_EXPORT cusolverStatus_t cusolverDnCreate(Handle** h)
{
    if (!h) return CUSOLVER_STATUS_INVALID_VALUE;
    *h = new Handle();
    handles.insert(*h);
    return CUSOLVER_STATUS_SUCCESS;
}

TTLSIM_EXPORT cusolverStatus_t cusolverDnDestroy(Handle* h)
{
    if (!live(h)) return CUSOLVER_STATUS_NOT_INITIALIZED;
    handles.erase(h);
    delete h;
    return CUSOLVER_STATUS_SUCCESS;
}

TTLSIM_EXPORT cusolverStatus_t cusolverDnSetStream(Handle* h, void* stream)
{
    if (!live(h)) return CUSOLVER_STATUS_NOT_INITIALIZED;
    h->stream = stream;
    return CUSOLVER_STATUS_SUCCESS;
}

// ---- syevd ----------------------------------------------------------------------------------------

TTLSIM_EXPORT cusolverStatus_t cusolverDnDsyevd_bufferSize(Handle* h, int jobz, int uplo, int n, const double*, int lda, const double*, int* lwork)
{
    if (!live(h)) return CUSOLVER_STATUS_NOT_INITIALIZED;
    char u;
    if ((jobz != 0 && jobz != 1) || !fill(uplo, u) || n < 0 || lda < at_least_one(n) || !lwork) return CUSOLVER_STATUS_INVALID_VALUE;
    int liwork;
    syevd_sizes(jobz ? 'V' : 'N', u, n, *lwork, liwork);
    return CUSOLVER_STATUS_SUCCESS;
}

TTLSIM_EXPORT cusolverStatus_t cusolverDnDsyevd(Handle* h, int jobz, int uplo, int n, double* a, int lda, double* w, double* work, int lwork, int* dev_info)
{
    if (!live(h)) return CUSOLVER_STATUS_NOT_INITIALIZED;
    char u;
    if ((jobz != 0 && jobz != 1) || !fill(uplo, u) || n < 0 || lda < at_least_one(n)) return CUSOLVER_STATUS_INVALID_VALUE;
    const char j = jobz ? 'V' : 'N';
    int need, liwork;
    syevd_sizes(j, u, n, need, liwork);
    if (lwork < need) return CUSOLVER_STATUS_INVALID_VALUE;
    const char* call = "cusolverDnDsyevd";
    if (!ttlsim::enter(call, h->stream, {{a, ttlsim::span(n, n, lda), 8, "A"}, {w, (size_t)n, 8, "W"}, {work, (size_t)lwork, 8, "work"}, {dev_info, 1, 4, "devInfo"}}))
        return CUSOLVER_STATUS_SUCCESS;
    std::vector<int> iwork(liwork);
    int info = 0;
    if (n > 0) dsyevd_(&j, &u, &n, a, &lda, w, work, &lwork, iwork.data(), &liwork, &info, 1, 1);
    *dev_info = info;
    ttlsim_library_leave(call);
    return CUSOLVER_STATUS_SUCCESS;
}

// ---- gesvdj -----------------------------------------------------------------------------------------

TTLSIM_EXPORT cusolverStatus_t cusolverDnCreateGesvdjInfo(GesvdjInfo** info)
{
    if (!info) return CUSOLVER_STATUS_INVALID_VALUE;
    *info = new GesvdjInfo();
    infos.insert(*info);
    return CUSOLVER_STATUS_SUCCESS;
}

TTLSIM_EXPORT cusolverStatus_t cusolverDnDestroyGesvdjInfo(GesvdjInfo* info)
{
    if (!infos.erase(info)) return CUSOLVER_STATUS_INVALID_VALUE;
    delete info;
    return CUSOLVER_STATUS_SUCCESS;
}

TTLSIM_EXPORT cusolverStatus_t cusolverDnXgesvdjSetTolerance(GesvdjInfo* info, double tolerance)
{
    if (!infos.count(info)) return CUSOLVER_STATUS_INVALID_VALUE;
    info->tolerance = tolerance;
    return CUSOLVER_STATUS_SUCCESS;
}

TTLSIM_EXPORT cusolverStatus_t cusolverDnXgesvdjSetMaxSweeps(GesvdjInfo* info, int sweeps)
{
    if (!infos.count(info)) return CUSOLVER_STATUS_INVALID_VALUE;
    info->max_sweeps = sweeps;
    return CUSOLVER_STATUS_SUCCESS;
}

namespace {

bool gesvdj_arguments(int jobz, int econ, int m, int n, int lda, int ldu, int ldv)
{
    return (jobz == 0 || jobz == 1) && (econ == 0 || econ == 1) && m >= 0 && n >= 0 && lda >= at_least_one(m) &&
           (jobz == 0 || (ldu >= at_least_one(m) && ldv >= at_least_one(n)));
}

}  // namespace

TTLSIM_EXPORT cusolverStatus_t cusolverDnDgesvdj_bufferSize(Handle* h, int jobz, int econ, int m, int n, const double*, int lda, const double*, const double*,
                                                            int ldu, const double*, int ldv, int* lwork, GesvdjInfo* params)
{
    if (!live(h)) return CUSOLVER_STATUS_NOT_INITIALIZED;
    if (!lwork || !infos.count(params) || !gesvdj_arguments(jobz, econ, m, n, lda, ldu, ldv)) return CUSOLVER_STATUS_INVALID_VALUE;
    *lwork = gesvd_lwork(jobz == 0 ? 'N' : econ ? 'S' : 'A', m, n);
    return CUSOLVER_STATUS_SUCCESS;
}

TTLSIM_EXPORT cusolverStatus_t cusolverDnDgesvdj(Handle* h, int jobz, int econ, int m, int n, double* a, int lda, double* s, double* u, int ldu, double* v,
                                                 int ldv, double* work, int lwork, int* dev_info, GesvdjInfo* params)
{
    if (!live(h)) return CUSOLVER_STATUS_NOT_INITIALIZED;
    if (!infos.count(params) || !gesvdj_arguments(jobz, econ, m, n, lda, ldu, ldv)) return CUSOLVER_STATUS_INVALID_VALUE;
    const char job = jobz == 0 ? 'N' : econ ? 'S' : 'A';
    if (lwork < gesvd_lwork(job, m, n)) return CUSOLVER_STATUS_INVALID_VALUE;
    const int p = std::min(m, n);
    const int ucols = jobz == 0 ? 0 : econ ? p : m, vcols = jobz == 0 ? 0 : econ ? p : n;
    const char* call = "cusolverDnDgesvdj";
    if (!ttlsim::enter(call, h->stream, {{a, ttlsim::span(m, n, lda), 8, "A"}, {s, (size_t)p, 8, "S"}, {u, ttlsim::span(m, ucols, ldu), 8, "U"},
                                          {v, ttlsim::span(n, vcols, ldv), 8, "V"}, {work, (size_t)lwork, 8, "work"}, {dev_info, 1, 4, "devInfo"}}))
        return CUSOLVER_STATUS_SUCCESS;
    int info = 0;
    if (p > 0)
    {
        // DGESVD gives Vᵀ (vcols × n); gesvdj hands back V itself (n × vcols, leading dimension ldv).
        const int ldvt = std::max(1, vcols);
        std::vector<double> vt((size_t)ldvt * n);
        const int ldu_lapack = jobz == 0 ? 1 : ldu;
        dgesvd_(&job, &job, &m, &n, a, &lda, s, jobz ? u : nullptr, &ldu_lapack, jobz ? vt.data() : nullptr, &ldvt, work, &lwork, &info, 1, 1);
        if (jobz)
            for (int c = 0; c < vcols; c++)
                for (int r = 0; r < n; r++) v[(size_t)c * ldv + r] = vt[(size_t)r * ldvt + c];
    }
    *dev_info = info;
    ttlsim_library_leave(call);
    return CUSOLVER_STATUS_SUCCESS;
}

// ---- potrf ---------------------------------------------------------------------------------------------

TTLSIM_EXPORT cusolverStatus_t cusolverDnDpotrf_bufferSize(Handle* h, int uplo, int n, double*, int lda, int* lwork)
{
    if (!live(h)) return CUSOLVER_STATUS_NOT_INITIALIZED;
    char u;
    if (!fill(uplo, u) || n < 0 || lda < at_least_one(n) || !lwork) return CUSOLVER_STATUS_INVALID_VALUE;
    *lwork = 0;
    return CUSOLVER_STATUS_SUCCESS;
}

TTLSIM_EXPORT cusolverStatus_t cusolverDnDpotrf(Handle* h, int uplo, int n, double* a, int lda, double* work, int lwork, int* dev_info)
{
    if (!live(h)) return CUSOLVER_STATUS_NOT_INITIALIZED;
    char u;
    if (!fill(uplo, u) || n < 0 || lda < at_least_one(n) || lwork < 0) return CUSOLVER_STATUS_INVALID_VALUE;
    const char* call = "cusolverDnDpotrf";
    if (!ttlsim::enter(call, h->stream, {{a, ttlsim::span(n, n, lda), 8, "A"}, {work, (size_t)lwork, 8, "work"}, {dev_info, 1, 4, "devInfo"}}))
        return CUSOLVER_STATUS_SUCCESS;
    int info = 0;
    if (n > 0) dpotrf_(&u, &n, a, &lda, &info, 1);
    *dev_info = info;
    ttlsim_library_leave(call);
    return CUSOLVER_STATUS_SUCCESS;
}
