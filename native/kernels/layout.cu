// Exact voxel rearrangements: reorientation (axis permutation with flips), joint image+label
// flips, and crop/pad. No arithmetic on values, so the CPU results (Orientation.Reorient,
// SpatialAugment.Permute, CropPad.Region) are matched bit for bit.
#include "ttl_common.cuh"

// Output [C, O0, O1, O2] (contiguous) from a source read at
// offset + c·sc + i·s0 + j·s1 + k·s2: a stride is negative along a flipped axis, and the
// strides of a permutation are the source's in the new order (Orientation.Steps).
struct Permute3
{
    int o0, o1, o2;
    int channels;
    int offset;
    int sc, s0, s1, s2;
};

extern "C" __global__ void __launch_bounds__(TTL_THREADS)
ttl_permute(const float* __restrict__ src, float* __restrict__ dst, Permute3 p)
{
    const u32 plane = (u32)p.o1 * (u32)p.o2, count = (u32)p.o0 * plane;
    for (u32 idx = grid_thread(); idx < count; idx += grid_threads())
    {
        const u32 i = idx / plane, rem = idx - i * plane, j = rem / (u32)p.o2, k = rem - j * (u32)p.o2;
        const long long at = (long long)p.offset + (long long)i * p.s0 + (long long)j * p.s1 + (long long)k * p.s2;
        for (int c = 0; c < p.channels; c++) dst[(u64)c * count + idx] = __ldg(src + at + (long long)c * p.sc);
    }
}

// The same permutation when the output's fastest axis (k) is not the source's: a plain copy would
// read with a large stride, so a 32×32 tile of the plane (axis `inner`, k) is read along `inner`
// (unit source stride, coalesced), transposed through shared memory and written along k
// (coalesced). The +1 column makes the transposed reads hit 32 different banks.
#define TILE 32
#define TILE_ROWS 8

extern "C" __global__ void __launch_bounds__(TILE * TILE_ROWS)
ttl_permute_tiled(const float* __restrict__ src, float* __restrict__ dst, Permute3 p, int inner)
{
    __shared__ float tile[TILE][TILE + 1];
    const int on = inner == 0 ? p.o0 : p.o1;   // extent of the unit-stride output axis
    const int oq = inner == 0 ? p.o1 : p.o0;   // the remaining output axis
    const int sn = inner == 0 ? p.s0 : p.s1, sq = inner == 0 ? p.s1 : p.s0;
    const int k0 = blockIdx.x * TILE, n0 = blockIdx.y * TILE;
    const u32 plane = (u32)p.o1 * (u32)p.o2, count = (u32)p.o0 * plane;
    for (u32 z = blockIdx.z; z < (u32)p.channels * (u32)oq; z += gridDim.z)
    {
        const int c = (int)(z / (u32)oq), q = (int)(z % (u32)oq);
        const long long base = (long long)p.offset + (long long)c * p.sc + (long long)q * sq;
        for (int r = threadIdx.y; r < TILE; r += TILE_ROWS)
        {
            const int k = k0 + r, n = n0 + threadIdx.x;
            if (k < p.o2 && n < on) tile[r][threadIdx.x] = __ldg(src + base + (long long)n * sn + (long long)k * p.s2);
        }
        __syncthreads();
        for (int r = threadIdx.y; r < TILE; r += TILE_ROWS)
        {
            const int n = n0 + r, k = k0 + threadIdx.x;
            if (k < p.o2 && n < on)
            {
                const u32 i = inner == 0 ? (u32)n : (u32)q, j = inner == 0 ? (u32)q : (u32)n;
                dst[(u64)c * count + i * plane + j * (u32)p.o2 + (u32)k] = tile[threadIdx.x][r];
            }
        }
        __syncthreads();
    }
}

// Flips image and label of one sample along the axes in `axes` (bit 0 = i, 1 = j, 2 = k) in
// one pass; both are contiguous on the same grid. Reversed reads within a warp still fall in the
// same memory segments, so both sides stay coalesced.
extern "C" __global__ void __launch_bounds__(TTL_THREADS)
ttl_flip_pair(const float* __restrict__ image, float* __restrict__ image_out, int image_channels,
              const float* __restrict__ label, float* __restrict__ label_out, int label_channels,
              int n0, int n1, int n2, int axes)
{
    const u32 plane = (u32)n1 * (u32)n2, count = (u32)n0 * plane;
    for (u32 idx = grid_thread(); idx < count; idx += grid_threads())
    {
        u32 i = idx / plane, rem = idx - i * plane, j = rem / (u32)n2, k = rem - j * (u32)n2;
        if (axes & 1) i = (u32)n0 - 1 - i;
        if (axes & 2) j = (u32)n1 - 1 - j;
        if (axes & 4) k = (u32)n2 - 1 - k;
        const u32 from = i * plane + j * (u32)n2 + k;
        for (int c = 0; c < image_channels; c++) image_out[(u64)c * count + idx] = __ldg(image + (u64)c * count + from);
        for (int c = 0; c < label_channels; c++) label_out[(u64)c * count + idx] = __ldg(label + (u64)c * count + from);
    }
}

// The box [start, start + size) of the source grid; voxels of the box outside the source get
// `pad` (CropPad.Region). The source may be a strided view.
struct Box3
{
    int n0, n1, n2;          // source shape
    int start0, start1, start2;
    int size0, size1, size2;
    int channels;
    int sc, s0, s1, s2;      // source strides in elements
    float pad;
};

extern "C" __global__ void __launch_bounds__(TTL_THREADS)
ttl_crop_pad(const float* __restrict__ src, float* __restrict__ dst, Box3 b)
{
    const u32 plane = (u32)b.size1 * (u32)b.size2, count = (u32)b.size0 * plane;
    for (u32 idx = grid_thread(); idx < count; idx += grid_threads())
    {
        const u32 i = idx / plane, rem = idx - i * plane, j = rem / (u32)b.size2, k = rem - j * (u32)b.size2;
        const int si = b.start0 + (int)i, sj = b.start1 + (int)j, sk = b.start2 + (int)k;
        const bool inside = si >= 0 && si < b.n0 && sj >= 0 && sj < b.n1 && sk >= 0 && sk < b.n2;
        const long long at = inside ? (long long)si * b.s0 + (long long)sj * b.s1 + (long long)sk * b.s2 : 0;
        for (int c = 0; c < b.channels; c++)
            dst[(u64)c * count + idx] = inside ? __ldg(src + at + (long long)c * b.sc) : b.pad;
    }
}
