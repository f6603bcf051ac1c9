// Percentiles by radix selection: the k-th smallest float is found exactly from three histograms
// of its order-preserving 32-bit key (11 + 11 + 10 bits), each pass counting only the values whose
// higher bits match the prefix chosen so far. The host (TTL.Cuda.Statistics.RadixSelect) picks the
// bins and combines order statistics with NumPy's linear rule, so the result equals
// TTL.Imaging's Percentile (and numpy.percentile) exactly, for the price of three reads.
#include "ttl_common.cuh"

#define RADIX_MAX_QUERIES 4
#define RADIX_MAX_BINS 2048

// Up to four order statistics are searched at once; each has its own prefix.
struct RadixPass
{
    u32 prefix[RADIX_MAX_QUERIES];
    u32 mask[RADIX_MAX_QUERIES];
    int queries;
    int shift;   // bit position of the digit this pass counts
    int bits;    // digit width (≤ 11)
};

// Float bits → unsigned key with the same order: negative values have all bits flipped (so
// larger magnitudes sort lower), positive values the sign bit set. -0 sorts just below +0.
__device__ __forceinline__ u32 radix_key(float f)
{
    const u32 u = __float_as_uint(f);
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

// hist[q][bin] += count of values whose key matches query q's prefix, by digit; NaNs (which
// make NumPy's percentile NaN) are counted into *nans and nowhere else. Each block counts into
// shared memory first. Equal values (a CT's air, a mask's zeros) send a whole warp to one bin,
// so lanes with the same bin are combined with __match_any_sync and only their leader adds.
extern "C" __global__ void __launch_bounds__(512)
ttl_radix_histogram(const float* __restrict__ x, u32 n, RadixPass p, u32* __restrict__ hist, u32* __restrict__ nans)
{
    __shared__ u32 local[RADIX_MAX_QUERIES * RADIX_MAX_BINS];
    const int bins = 1 << p.bits;
    for (int i = threadIdx.x; i < p.queries * bins; i += blockDim.x) local[i] = 0;
    __syncthreads();
    const u32 lane = threadIdx.x & 31;
    const u32 digitMask = (u32)bins - 1;
    u32 nanCount = 0;
    // The loop bound is the same for a whole warp (starts and stride are multiples of 32), as the
    // warp-wide __match_any_sync requires; lanes past the end carry an impossible bin.
    for (u32 base = blockIdx.x * blockDim.x + (threadIdx.x & ~31u); base < n; base += grid_threads())
    {
        const u32 i = base + lane;
        const float v = i < n ? __ldg(x + i) : 0.0f;
        const bool valid = i < n && v == v;
        if (i < n && v != v) nanCount++;
        const u32 key = radix_key(v);
        // Unrolled with constant indices: a dynamically indexed parameter array would be copied to local memory.
#pragma unroll
        for (int q = 0; q < RADIX_MAX_QUERIES; q++)
        {
            if (q >= p.queries) break;
            const bool hit = valid && (key & p.mask[q]) == p.prefix[q];
            const u32 bin = hit ? (key >> p.shift) & digitMask : 0xffffffffu;
            const u32 peers = __match_any_sync(0xffffffffu, bin);
            const u32 leader = __ffs(peers) - 1;
            if (hit && lane == leader) atomicAdd(&local[q * bins + bin], (u32)__popc(peers));
        }
    }
    if (nans != 0 && nanCount > 0) atomicAdd(nans, nanCount);
    __syncthreads();
    for (int i = threadIdx.x; i < p.queries * bins; i += blockDim.x)
        if (local[i] != 0) atomicAdd(&hist[i], local[i]);
}
