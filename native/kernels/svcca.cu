// The device side of SVCCA (TTL.Analysis.Svcca): rows of two activation matrices are centred on
// their block mean and joined into one float64 block X = [A|B] − μ_b; cuBLAS SYRK forms XᵀX;
// the block is merged into the running scatter with Chan et al.'s update (as
// CpuJointMomentAccumulator). Then the CCA is assembled from cuSOLVER's eigh/SVD with the small
// helpers at the end. All sums are float64 and deterministic (no atomics on values).
#include "ttl_common.cuh"

// mean[c] = mean over `rows` of column c of the row-major matrix x (row stride ld). A 32 × 32
// block covers 32 columns: lanes run along a row (coalesced), the 32 rows of the block stride
// down the matrix, and the 32 partial sums of a column meet in shared memory (33 wide: no bank
// conflicts on the transposed read). The grid is only columns/32 blocks, but this pass is O(n·D)
// next to SYRK's O(n·D²).
template <typename T>
__device__ __forceinline__ void column_means(const T* __restrict__ x, int rows, int cols, int ld, double* __restrict__ mean)
{
    __shared__ double part[32][33];
    const int c = blockIdx.x * 32 + threadIdx.x;
    double s = 0.0;
    if (c < cols)
        for (int r = threadIdx.y; r < rows; r += 32) s += (double)x[(u64)r * ld + c];
    part[threadIdx.y][threadIdx.x] = s;
    __syncthreads();
    if (threadIdx.y == 0)
    {
        double t = 0.0;
        for (int r = 0; r < 32; r++) t += part[r][threadIdx.x];
        if (c < cols) mean[c] = t / (double)rows;
    }
}

extern "C" __global__ void __launch_bounds__(1024)
ttl_column_means_f32(const float* __restrict__ x, int rows, int cols, int ld, double* __restrict__ mean)
{
    column_means(x, rows, cols, ld, mean);
}

extern "C" __global__ void __launch_bounds__(1024)
ttl_column_means_f64(const double* __restrict__ x, int rows, int cols, int ld, double* __restrict__ mean)
{
    column_means(x, rows, cols, ld, mean);
}

// X[r][c] = [A|B][r][c] − mean[c], row-major rows × (ca + cb) float64, read from A (row stride
// lda) and B (ldb), which may be row slices of larger tensors. A non-finite value records its
// flat index in *bad (the smallest one wins), so the host can name row and column as the CPU does.
template <typename T>
__device__ __forceinline__ void center_join(const T* __restrict__ a, int lda, const T* __restrict__ b, int ldb, int rows,
                                            int ca, int cb, const double* __restrict__ mean, double* __restrict__ x, u32* bad)
{
    const u32 d = (u32)(ca + cb), count = (u32)rows * d;
    for (u32 idx = grid_thread(); idx < count; idx += grid_threads())
    {
        const u32 r = idx / d, c = idx - r * d;
        const double v = c < (u32)ca ? (double)a[(u64)r * lda + c] : (double)b[(u64)r * ldb + (c - (u32)ca)];
        if (!isfinite(v)) atomicMin(bad, idx);
        x[idx] = v - mean[c];
    }
}

extern "C" __global__ void __launch_bounds__(TTL_THREADS)
ttl_center_join_f32(const float* __restrict__ a, int lda, const float* __restrict__ b, int ldb, int rows, int ca, int cb,
                    const double* __restrict__ mean, double* __restrict__ x, u32* bad)
{
    center_join(a, lda, b, ldb, rows, ca, cb, mean, x, bad);
}

extern "C" __global__ void __launch_bounds__(TTL_THREADS)
ttl_center_join_f64(const double* __restrict__ a, int lda, const double* __restrict__ b, int ldb, int rows, int ca, int cb,
                    const double* __restrict__ mean, double* __restrict__ x, u32* bad)
{
    center_join(a, lda, b, ldb, rows, ca, cb, mean, x, bad);
}

// S += G + weight·δδᵀ on the row-major upper triangle (i ≤ j) of the d × d scatter: Chan et al.'s
// merge of a block (G = its XᵀX from SYRK, whose column-major lower triangle is this row-major
// upper one) into the running total. With `squares`, each block also writes the sums of squares
// of G's AA, AB and BB parts (off-diagonal entries of the symmetric AA and BB counted twice),
// which the unbiased minibatch HSIC needs.
extern "C" __global__ void __launch_bounds__(TTL_THREADS)
ttl_scatter_merge(double* __restrict__ s, const double* __restrict__ g, const double* __restrict__ delta, double weight,
                  int d, int ca, double* __restrict__ squares)
{
    double aa = 0.0, ab = 0.0, bb = 0.0;
    const u32 count = (u32)d * (u32)d;
    for (u32 idx = grid_thread(); idx < count; idx += grid_threads())
    {
        const int i = (int)(idx / (u32)d), j = (int)(idx - (u32)i * (u32)d);
        if (j < i) continue;
        const double v = g[idx];
        s[idx] += v + weight * delta[i] * delta[j];
        const double q = v * v;
        if (j < ca) aa += i == j ? q : 2.0 * q;
        else if (i < ca) ab += q;
        else bb += i == j ? q : 2.0 * q;
    }
    if (squares == 0) return;
    __shared__ double part[3][TTL_THREADS / 32];
    aa = warp_sum(aa); ab = warp_sum(ab); bb = warp_sum(bb);
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    if (lane == 0) { part[0][warp] = aa; part[1][warp] = ab; part[2][warp] = bb; }
    __syncthreads();
    if (threadIdx.x < 3)
    {
        double t = 0.0;
        for (int w = 0; w < (int)(blockDim.x >> 5); w++) t += part[threadIdx.x][w];
        squares[3 * (u64)blockIdx.x + threadIdx.x] = t;
    }
}

// The row terms of the unbiased HSIC estimator over one block of centred rows: with
// k_r = ‖x_r,A‖² and l_r = ‖x_r,B‖², each block writes (Σ k·l, Σ k², Σ l², Σ k, Σ l) of its rows.
// One warp per row, lanes along the row (coalesced).
extern "C" __global__ void __launch_bounds__(TTL_THREADS)
ttl_row_norms(const double* __restrict__ x, int rows, int d, int ca, double* __restrict__ partial)
{
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    double kl = 0.0, kk = 0.0, ll = 0.0, tk = 0.0, tl = 0.0;
    for (int r = blockIdx.x * warps + warp; r < rows; r += gridDim.x * warps)
    {
        double k = 0.0, l = 0.0;
        for (int c = lane; c < d; c += 32)
        {
            const double v = x[(u64)r * d + c];
            if (c < ca) k += v * v; else l += v * v;
        }
        k = warp_sum(k);
        l = warp_sum(l);
        if (lane == 0) { kl += k * l; kk += k * k; ll += l * l; tk += k; tl += l; }
    }
    __shared__ double part[5][TTL_THREADS / 32];
    if (lane == 0) { part[0][warp] = kl; part[1][warp] = kk; part[2][warp] = ll; part[3][warp] = tk; part[4][warp] = tl; }
    __syncthreads();
    if (threadIdx.x < 5)
    {
        double t = 0.0;
        for (int w = 0; w < warps; w++) t += part[threadIdx.x][w];
        partial[5 * (u64)blockIdx.x + threadIdx.x] = t;
    }
}

// dst = the rows × cols block of src, both column-major (leading dimensions lds, ldd): the
// diagonal blocks S_aa and S_bb handed to cuSOLVER, which overwrites its input.
extern "C" __global__ void __launch_bounds__(TTL_THREADS)
ttl_copy_block(const double* __restrict__ src, int lds, double* __restrict__ dst, int ldd, int rows, int cols)
{
    const u32 count = (u32)rows * (u32)cols;
    for (u32 idx = grid_thread(); idx < count; idx += grid_threads())
    {
        const u32 c = idx / (u32)rows, r = idx - c * (u32)rows;
        dst[(u64)c * ldd + r] = src[(u64)c * lds + r];
    }
}

// out[:, t] = v[:, n − 1 − t] for t < k (column-major, n rows): the top-k eigenvectors in
// descending order, since syevd returns them ascending.
extern "C" __global__ void __launch_bounds__(TTL_THREADS)
ttl_gather_columns_desc(const double* __restrict__ v, int n, int k, double* __restrict__ out)
{
    const u32 count = (u32)n * (u32)k;
    for (u32 idx = grid_thread(); idx < count; idx += grid_threads())
    {
        const u32 t = idx / (u32)n, r = idx - t * (u32)n;
        out[idx] = v[(u64)(n - 1 - (int)t) * n + r];
    }
}

// t[r, c] ← (t[r, c]·row[r])·col[c] (column-major, leading dimension ld); a null side is skipped.
// The CCA matrix diag(wa)·U_aᵀS_abU_b·diag(wb) and the PWCCA projection use it, in the CPU's order.
extern "C" __global__ void __launch_bounds__(TTL_THREADS)
ttl_scale_rows_cols(double* __restrict__ t, int rows, int cols, int ld, const double* __restrict__ row, const double* __restrict__ col)
{
    const u32 count = (u32)rows * (u32)cols;
    for (u32 idx = grid_thread(); idx < count; idx += grid_threads())
    {
        const u32 c = idx / (u32)rows, r = idx - c * (u32)rows;
        double v = t[(u64)c * ld + r];
        if (row != 0) v *= row[r];
        if (col != 0) v *= col[c];
        t[(u64)c * ld + r] = v;
    }
}

// out[c] = Σ_r |h[r, c]| (column-major, rows × cols): PWCCA's weight of each canonical variate.
// One warp per column, lanes down the column (contiguous in column-major).
extern "C" __global__ void __launch_bounds__(TTL_THREADS)
ttl_column_abs_sums(const double* __restrict__ h, int rows, int cols, int ld, double* __restrict__ out)
{
    const int lane = threadIdx.x & 31, warps = blockDim.x >> 5;
    for (int c = blockIdx.x * warps + (threadIdx.x >> 5); c < cols; c += gridDim.x * warps)
    {
        double s = 0.0;
        for (int r = lane; r < rows; r += 32) s += fabs(h[(u64)c * ld + r]);
        s = warp_sum(s);
        if (lane == 0) out[c] = s;
    }
}
