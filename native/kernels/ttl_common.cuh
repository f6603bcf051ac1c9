// Shared by every kernel of TTL.Cuda. NVRTC compiles these at run time without the CUDA headers,
// so fixed-width types are spelled out here.
//
// Volumes are float32, channel-first [C, I, J, K], K fastest (TTL.Imaging's Volume). Element
// counts fit in 32 bits: the CPU path stores a volume in one .NET array (< 2^31 elements), and
// the host wrappers check it, so index arithmetic stays in cheap 32-bit integers.
#pragma once

typedef unsigned int u32;
typedef unsigned long long u64;

// Threads per block of the elementwise kernels: 8 warps, enough to hide latency at full
// occupancy without limiting registers (65536 / (256 · 8 blocks) = 32 per thread).
#define TTL_THREADS 256

// Index of this thread in the grid, and the grid's size, for grid-stride loops.
__device__ __forceinline__ u32 grid_thread() { return blockIdx.x * blockDim.x + threadIdx.x; }
__device__ __forceinline__ u32 grid_threads() { return gridDim.x * blockDim.x; }

// Arithmetic that rounds exactly like the C# CPU path: .NET never contracts a*b+c into a fused
// multiply-add, NVCC does by default. The _rn intrinsics are never contracted.
__device__ __forceinline__ float lerp_host(float a, float b, float w) { return __fadd_rn(a, __fmul_rn(w, __fsub_rn(b, a))); }

// TensorPrimitives.Max / Min semantics (IEEE 754-2019 maximum/minimum): NaN propagates and
// +0 > -0. fmaxf would drop the NaN.
__device__ __forceinline__ float max_host(float x, float lo)
{
    if (x != x) return x;
    if (x == lo) return (__float_as_uint(x) >> 31) ? lo : x;
    return x < lo ? lo : x;
}
__device__ __forceinline__ float min_host(float x, float hi)
{
    if (x != x) return x;
    if (x == hi) return (__float_as_uint(x) >> 31) ? x : hi;
    return x > hi ? hi : x;
}

// Post-processing of an intensity: y = x·scale + shift (MONAI ScaleIntensityRange's affine
// part, in float as IntensityOps.Affine), then clamped to [lo, hi] (IntensityOps.Clip).
struct IntensityMap
{
    float scale, shift, lo, hi;
    int affine, clip; // 0 or 1
};

__device__ __forceinline__ float apply_intensity(float x, const IntensityMap& m)
{
    if (m.affine) x = __fadd_rn(__fmul_rn(x, m.scale), m.shift);
    if (m.clip) x = min_host(max_host(x, m.lo), m.hi);
    return x;
}

// Chan, Golub and LeVeque's merge of two (count, mean, M2) summaries: exact in exact arithmetic,
// and stable where sum-of-squares formulas cancel.
struct Moments
{
    double n, mean, m2;
};

__device__ __forceinline__ Moments merge(Moments a, Moments b)
{
    if (b.n == 0) return a;
    if (a.n == 0) return b;
    double n = a.n + b.n;
    double d = b.mean - a.mean;
    Moments r;
    r.n = n;
    r.mean = a.mean + d * (b.n / n);
    r.m2 = a.m2 + b.m2 + d * d * (a.n * b.n / n);
    return r;
}

__device__ __forceinline__ Moments shfl_down(Moments m, int offset)
{
    Moments r;
    r.n = __shfl_down_sync(0xffffffffu, m.n, offset);
    r.mean = __shfl_down_sync(0xffffffffu, m.mean, offset);
    r.m2 = __shfl_down_sync(0xffffffffu, m.m2, offset);
    return r;
}

// Sum over a warp; lane 0 holds the result.
__device__ __forceinline__ double warp_sum(double v)
{
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
    return v;
}
