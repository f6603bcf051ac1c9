// Additive Gaussian noise from a counter-based generator, so any voxel's noise is a pure function
// of (seed, stream, voxel index): no state, any launch shape, reproducible on any GPU.
//
// Generator: Philox4x32-10 (Salmon, Moraes, Dror and Shaw, "Parallel random numbers: as easy as
// 1, 2, 3", SC 2011): a 128-bit counter and a 64-bit key, ten rounds of two 32×32→64-bit
// multiplies (constants 0xD2511F53, 0xCD9E8D57) with the key bumped by the Weyl constants
// (0x9E3779B9, 0xBB67AE85) between rounds; it passes BigCrush. Layout used here: key = (seed low,
// seed high), counter = (g, 0, stream, 0) for the group g of voxels 4g..4g+3. The four 32-bit words
// become two Box–Muller pairs: u = (w0 >> 8 + 1)·2^-24 in (0, 1], v = (w1 >> 8)·2^-24 in [0, 1),
// z0 = √(−2 ln u)·cos 2πv, z1 = √(−2 ln u)·sin 2πv, and likewise (w2, w3) → z2, z3. Voxel 4g + l
// gets x + (mean + std·z_l). TTL.Cuda.Random.Philox4x32 is the same generator and mapping on the CPU.
#include "ttl_common.cuh"

__device__ __forceinline__ uint4 philox4x32_10(uint4 c, uint2 k)
{
#pragma unroll
    for (int r = 0; r < 10; r++)
    {
        if (r > 0) { k.x += 0x9E3779B9u; k.y += 0xBB67AE85u; }
        const u32 hi0 = __umulhi(0xD2511F53u, c.x), lo0 = 0xD2511F53u * c.x;
        const u32 hi1 = __umulhi(0xCD9E8D57u, c.z), lo1 = 0xCD9E8D57u * c.z;
        c = make_uint4(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
    }
    return c;
}

__device__ __forceinline__ void box_muller(u32 a, u32 b, float& z0, float& z1)
{
    const float u = __fmul_rn((float)((a >> 8) + 1u), 5.9604644775390625e-8f); // 2^-24
    const float v = __fmul_rn((float)(b >> 8), 5.9604644775390625e-8f);
    const float r = sqrtf(__fmul_rn(-2.0f, logf(u)));
    float s, c;
    sincospif(__fmul_rn(2.0f, v), &s, &c);
    z0 = __fmul_rn(r, c);
    z1 = __fmul_rn(r, s);
}

__device__ __forceinline__ float add_noise(float x, float z, float mean, float std)
{
    return __fadd_rn(x, __fadd_rn(mean, __fmul_rn(std, z)));
}

// One thread per group of four voxels: one generator call, one 16-byte load and store.
extern "C" __global__ void __launch_bounds__(TTL_THREADS)
ttl_gaussian_noise(float* __restrict__ x, u32 n, u32 seed_lo, u32 seed_hi, u32 stream, float mean, float std)
{
    const u32 groups = (n + 3) / 4;
    const bool vec = (((u64)x) & 15) == 0;
    for (u32 g = grid_thread(); g < groups; g += grid_threads())
    {
        const uint4 w = philox4x32_10(make_uint4(g, 0u, stream, 0u), make_uint2(seed_lo, seed_hi));
        float z[4];
        box_muller(w.x, w.y, z[0], z[1]);
        box_muller(w.z, w.w, z[2], z[3]);
        const u32 at = 4 * g;
        if (vec && at + 3 < n)
        {
            float4* p = reinterpret_cast<float4*>(x + at);
            float4 v = *p;
            v.x = add_noise(v.x, z[0], mean, std);
            v.y = add_noise(v.y, z[1], mean, std);
            v.z = add_noise(v.z, z[2], mean, std);
            v.w = add_noise(v.w, z[3], mean, std);
            *p = v;
        }
        else
        {
            for (int l = 0; l < 4 && at + l < n; l++) x[at + l] = add_noise(x[at + l], z[l], mean, std);
        }
    }
}
