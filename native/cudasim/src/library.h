// What the simulated cuBLAS and cuSOLVER share: the driver's checks around a call (current
// context, live stream, every matrix inside device memory; a matrix outside is a fault of the
// call's work, reported at the next synchronisation as a GPU would) and the reference LAPACK/BLAS
// routines they run on the host (Fortran calling convention: arguments by pointer, character
// lengths appended).
#pragma once

#include <stddef.h>

#include <initializer_list>
#include <vector>

#define TTLSIM_EXPORT extern "C" __attribute__((visibility("default")))

extern "C" bool ttlsim_library_enter(const char* call, void* stream, int n, const unsigned long long* starts, const size_t* sizes, const char* const* what);
extern "C" void ttlsim_library_leave(const char* call);

namespace ttlsim {

// One matrix (or vector) a call reads or writes: `elements` values of `element_bytes` from `p`.
struct Range
{
    const void* p;
    size_t elements;
    size_t element_bytes;
    const char* what;
};

// Elements a column-major rows × cols matrix with leading dimension ld spans.
inline size_t span(long rows, long cols, long ld) { return rows <= 0 || cols <= 0 ? 0 : (size_t)(ld * (cols - 1) + rows); }

inline bool enter(const char* call, void* stream, std::initializer_list<Range> ranges)
{
    std::vector<unsigned long long> starts;
    std::vector<size_t> sizes;
    std::vector<const char*> what;
    for (const Range& r : ranges)
    {
        if (r.elements == 0) continue;
        starts.push_back((unsigned long long)r.p);
        sizes.push_back(r.elements * r.element_bytes);
        what.push_back(r.what);
    }
    return ttlsim_library_enter(call, stream, (int)starts.size(), starts.data(), sizes.data(), what.data());
}

}  // namespace ttlsim

extern "C" {
void dgemm_(const char* ta, const char* tb, const int* m, const int* n, const int* k, const double* alpha, const double* a, const int* lda,
            const double* b, const int* ldb, const double* beta, double* c, const int* ldc, size_t, size_t);
void sgemm_(const char* ta, const char* tb, const int* m, const int* n, const int* k, const float* alpha, const float* a, const int* lda,
            const float* b, const int* ldb, const float* beta, float* c, const int* ldc, size_t, size_t);
void dsyrk_(const char* uplo, const char* trans, const int* n, const int* k, const double* alpha, const double* a, const int* lda,
            const double* beta, double* c, const int* ldc, size_t, size_t);
void ssyrk_(const char* uplo, const char* trans, const int* n, const int* k, const float* alpha, const float* a, const int* lda,
            const float* beta, float* c, const int* ldc, size_t, size_t);
void dsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda, double* w, double* work, const int* lwork,
             int* iwork, const int* liwork, int* info, size_t, size_t);
void dgesvd_(const char* jobu, const char* jobvt, const int* m, const int* n, double* a, const int* lda, double* s, double* u, const int* ldu,
             double* vt, const int* ldvt, double* work, const int* lwork, int* info, size_t, size_t);
void dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info, size_t);
}
