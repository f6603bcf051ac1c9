// Voxel-wise intensity transforms and z-score normalisation (TTL.Imaging.Intensity.IntensityOps).
// Statistics are float64 throughout: each thread keeps a (count, mean, M2) summary, folds in
// four voxels at a time (one division per four), and summaries merge with Chan et al.'s formula
// through warp shuffles, shared memory and a final pass, so the result does not cancel however
// large the mean is against the spread, and does not depend on atomics' ordering.
#include "ttl_common.cuh"

// x ← clamp(x·scale + shift) in place (IntensityOps.Affine / Clip / ScaleRange / Window and the
// clip of a percentile clip). Four voxels per load when the pointer allows it.
extern "C" __global__ void __launch_bounds__(TTL_THREADS)
ttl_intensity_map(float* __restrict__ x, u32 n, IntensityMap m)
{
    const bool vec = (((u64)x) & 15) == 0;
    const u32 n4 = vec ? n / 4 : 0;
    float4* x4 = reinterpret_cast<float4*>(x);
    for (u32 i = grid_thread(); i < n4; i += grid_threads())
    {
        float4 v = x4[i];
        v.x = apply_intensity(v.x, m);
        v.y = apply_intensity(v.y, m);
        v.z = apply_intensity(v.z, m);
        v.w = apply_intensity(v.w, m);
        x4[i] = v;
    }
    for (u32 i = n4 * 4 + grid_thread(); i < n; i += grid_threads()) x[i] = apply_intensity(x[i], m);
}

// Folds up to four values (the ones that count) into a summary: their own mean and M2 first,
// then one merge.
__device__ __forceinline__ void fold4(Moments& acc, float a, float b, float c, float d, int nonzero)
{
    float v[4] = {a, b, c, d};
    double sum = 0.0;
    int k = 0;
#pragma unroll
    for (int t = 0; t < 4; t++)
        if (!nonzero || v[t] != 0.0f) { sum += (double)v[t]; k++; }
    if (k == 0) return;
    Moments chunk;
    chunk.n = (double)k;
    chunk.mean = sum / (double)k;
    chunk.m2 = 0.0;
#pragma unroll
    for (int t = 0; t < 4; t++)
        if (!nonzero || v[t] != 0.0f) { const double e = (double)v[t] - chunk.mean; chunk.m2 += e * e; }
    acc = merge(acc, chunk);
}

__device__ __forceinline__ void fold1(Moments& acc, float a, int nonzero)
{
    if (nonzero && a == 0.0f) return;
    Moments one;
    one.n = 1.0; one.mean = (double)a; one.m2 = 0.0;
    acc = merge(acc, one);
}

// Block-wide merge; thread 0 returns the block's summary. blockDim.x is a multiple of 32.
__device__ Moments block_merge(Moments m)
{
    __shared__ double sn[32], smean[32], sm2[32];
    for (int o = 16; o > 0; o >>= 1) m = merge(m, shfl_down(m, o));
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    if (lane == 0) { sn[warp] = m.n; smean[warp] = m.mean; sm2[warp] = m.m2; }
    __syncthreads();
    if (warp == 0)
    {
        const int warps = blockDim.x >> 5;
        Moments w;
        w.n = lane < warps ? sn[lane] : 0.0;
        w.mean = lane < warps ? smean[lane] : 0.0;
        w.m2 = lane < warps ? sm2[lane] : 0.0;
        for (int o = 16; o > 0; o >>= 1) w = merge(w, shfl_down(w, o));
        m = w;
    }
    return m;
}

// Pass 1: segment blockIdx.y (a channel, or the whole volume) of length `length` starting at
// x + y·length; every block of the x-dimension writes its summary to partial[y][blockIdx.x].
extern "C" __global__ void __launch_bounds__(TTL_THREADS)
ttl_moments_partial(const float* __restrict__ x, u32 length, int nonzero, Moments* __restrict__ partial)
{
    const float* s = x + (u64)blockIdx.y * length;
    Moments acc;
    acc.n = 0.0; acc.mean = 0.0; acc.m2 = 0.0;
    const bool vec = (((u64)s) & 15) == 0;
    const u32 n4 = vec ? length / 4 : 0;
    const float4* s4 = reinterpret_cast<const float4*>(s);
    for (u32 i = grid_thread(); i < n4; i += grid_threads())
    {
        const float4 v = __ldg(s4 + i);
        fold4(acc, v.x, v.y, v.z, v.w, nonzero);
    }
    for (u32 i = n4 * 4 + grid_thread(); i < length; i += grid_threads()) fold1(acc, __ldg(s + i), nonzero);
    acc = block_merge(acc);
    if (threadIdx.x == 0) partial[(u64)blockIdx.y * gridDim.x + blockIdx.x] = acc;
}

// Pass 2: one block per segment merges that segment's `parts` summaries into
// stats[segment] = (count, mean, population std), as Moments.Of / Moments.OfNonzero return them.
extern "C" __global__ void __launch_bounds__(TTL_THREADS)
ttl_moments_finish(const Moments* __restrict__ partial, u32 parts, double* __restrict__ stats)
{
    Moments acc;
    acc.n = 0.0; acc.mean = 0.0; acc.m2 = 0.0;
    for (u32 i = threadIdx.x; i < parts; i += blockDim.x) acc = merge(acc, partial[(u64)blockIdx.x * parts + i]);
    acc = block_merge(acc);
    if (threadIdx.x == 0)
    {
        double* out = stats + 3 * (u64)blockIdx.x;
        out[0] = acc.n;
        out[1] = acc.n > 0 ? acc.mean : __longlong_as_double(0x7ff8000000000000ll);
        out[2] = acc.n > 0 ? sqrt(fmax(acc.m2 / acc.n, 0.0)) : __longlong_as_double(0x7ff8000000000000ll);
    }
}

// Pass 3: x ← (x − mean)/std per segment with the statistics left on the device by pass 2 (no
// host round trip). As IntensityOps.ZScore: mean and std rounded to float, subtract then divide,
// a std of 0 taken as 1, an empty segment untouched, and with `nonzero` zeros stay zero.
extern "C" __global__ void __launch_bounds__(TTL_THREADS)
ttl_zscore_apply(float* __restrict__ x, u32 length, const double* __restrict__ stats, int nonzero)
{
    const double* st = stats + 3 * (u64)blockIdx.y;
    if (st[0] == 0.0) return;
    const float mean = __double2float_rn(st[1]);
    const float std = st[2] == 0.0 ? 1.0f : __double2float_rn(st[2]);
    float* s = x + (u64)blockIdx.y * length;
    for (u32 i = grid_thread(); i < length; i += grid_threads())
    {
        const float v = s[i];
        if (!nonzero || v != 0.0f) s[i] = __fdiv_rn(__fsub_rn(v, mean), std);
    }
}
