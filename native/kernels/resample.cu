// Resampling under a voxel map: output voxel (i, j, k) reads the source at
// M·(i, j, k, 1), M a 3×4 affine in voxel units. Mirrors TTL.Imaging.Resampling exactly
// (Resample.GeneralLinear / GeneralNearest and Taps): the same double-precision position, the same
// boundary rules (scipy.ndimage mode='nearest' = Border, mode='constant' = Constant), the same
// float blend order i, then j, then k, with no fused multiply-adds, so the results are the CPU's
// to the last bit whenever the host's libm is not involved (it is not).
#include "ttl_common.cuh"

struct Grid3
{
    // Voxel map rows 0..2 (row 3 is 0 0 0 1).
    double m[12];
    int n0, n1, n2;          // source shape
    int o0, o1, o2;          // output shape
    int channels;
    int sc, s0, s1, s2;      // source strides in elements (channel, i, j, k): views need not be contiguous
    int mode;                // 0 Border, 1 Constant
    float fill;              // Constant mode: value outside the source
};

// Output voxel position in source voxel units; the CPU evaluates ((m0·i + m1·j) + m2·k) + m3.
__device__ __forceinline__ double map_row(const double* m, double i, double j, double k)
{
    return __dadd_rn(__dadd_rn(__dadd_rn(__dmul_rn(m[0], i), __dmul_rn(m[1], j)), __dmul_rn(m[2], k)), m[3]);
}

// Taps.Linear: the two neighbours along one axis and the weight of the upper one.
__device__ __forceinline__ bool linear_taps(double x, int n, int mode, int& i0, int& i1, float& w)
{
    const double last = (double)(n - 1);
    if (mode == 0) x = x < 0.0 ? 0.0 : (x > last ? last : x);
    else if (!(x >= 0.0 && x <= last)) return false;
    const double f = floor(x);
    i0 = (int)f;
    i1 = i0 + 1 < n ? i0 + 1 : i0;
    w = __double2float_rn(__dsub_rn(x, f));
    return true;
}

// Taps.Nearest: round half up, as scipy's order 0.
__device__ __forceinline__ bool nearest_tap(double x, int n, int mode, int& i)
{
    const double last = (double)(n - 1);
    if (mode == 0) x = x < 0.0 ? 0.0 : (x > last ? last : x);
    else if (!(x >= 0.0 && x <= last)) return false;
    const int r = (int)floor(__dadd_rn(x, 0.5));
    i = r < n - 1 ? r : n - 1;
    return true;
}

__device__ __forceinline__ void output_position(u32 idx, const Grid3& g, double& x, double& y, double& z)
{
    const u32 plane = (u32)g.o1 * (u32)g.o2;
    const u32 i = idx / plane;
    const u32 rem = idx - i * plane;
    const u32 j = rem / (u32)g.o2;
    const u32 k = rem - j * (u32)g.o2;
    const double di = (double)i, dj = (double)j, dk = (double)k;
    x = map_row(g.m, di, dj, dk);
    y = map_row(g.m + 4, di, dj, dk);
    z = map_row(g.m + 8, di, dj, dk);
}

// One output voxel of every channel, trilinear. Consecutive threads take consecutive k: writes
// are coalesced, and for maps close to the identity along k so are the reads.
__device__ __forceinline__ void linear_voxel(const float* __restrict__ src, float* __restrict__ dst, u32 idx, u32 count,
                                             const Grid3& g, const IntensityMap& post)
{
    double x, y, z;
    output_position(idx, g, x, y, z);
    int a0, a1, b0, b1, c0, c1;
    float wa, wb, wc;
    const bool inside = linear_taps(x, g.n0, g.mode, a0, a1, wa)
                     && linear_taps(y, g.n1, g.mode, b0, b1, wb)
                     && linear_taps(z, g.n2, g.mode, c0, c1, wc);
    for (int ch = 0; ch < g.channels; ch++)
    {
        float v = g.fill;
        if (inside)
        {
            const float* s = src + (long long)ch * g.sc;
            const int r00 = a0 * g.s0 + b0 * g.s1, r01 = a0 * g.s0 + b1 * g.s1;
            const int r10 = a1 * g.s0 + b0 * g.s1, r11 = a1 * g.s0 + b1 * g.s1;
            const int k0 = c0 * g.s2, k1 = c1 * g.s2;
            const float u00 = lerp_host(__ldg(s + r00 + k0), __ldg(s + r10 + k0), wa);
            const float u01 = lerp_host(__ldg(s + r00 + k1), __ldg(s + r10 + k1), wa);
            const float u10 = lerp_host(__ldg(s + r01 + k0), __ldg(s + r11 + k0), wa);
            const float u11 = lerp_host(__ldg(s + r01 + k1), __ldg(s + r11 + k1), wa);
            v = lerp_host(lerp_host(u00, u10, wb), lerp_host(u01, u11, wb), wc);
        }
        dst[(u64)ch * count + idx] = apply_intensity(v, post);
    }
}

__device__ __forceinline__ void nearest_voxel(const float* __restrict__ src, float* __restrict__ dst, u32 idx, u32 count,
                                              const Grid3& g, int channels, int sc, float fill, const IntensityMap& post)
{
    double x, y, z;
    output_position(idx, g, x, y, z);
    int a, b, c;
    const bool inside = nearest_tap(x, g.n0, g.mode, a) && nearest_tap(y, g.n1, g.mode, b) && nearest_tap(z, g.n2, g.mode, c);
    const int at = inside ? a * g.s0 + b * g.s1 + c * g.s2 : 0; // the taps are set only inside
    for (int ch = 0; ch < channels; ch++)
    {
        const float v = inside ? __ldg(src + (long long)ch * sc + at) : fill;
        dst[(u64)ch * count + idx] = apply_intensity(v, post);
    }
}

extern "C" __global__ void __launch_bounds__(TTL_THREADS)
ttl_resample_linear(const float* __restrict__ src, float* __restrict__ dst, Grid3 g, IntensityMap post)
{
    const u32 count = (u32)g.o0 * (u32)g.o1 * (u32)g.o2;
    for (u32 idx = grid_thread(); idx < count; idx += grid_threads()) linear_voxel(src, dst, idx, count, g, post);
}

extern "C" __global__ void __launch_bounds__(TTL_THREADS)
ttl_resample_nearest(const float* __restrict__ src, float* __restrict__ dst, Grid3 g, IntensityMap post)
{
    const u32 count = (u32)g.o0 * (u32)g.o1 * (u32)g.o2;
    for (u32 idx = grid_thread(); idx < count; idx += grid_threads())
        nearest_voxel(src, dst, idx, count, g, g.channels, g.sc, g.fill, post);
}

// Label layout for the joint warp: same grid as the image, its own channels, channel stride and fill.
struct LabelLayout
{
    int channels;
    int sc;
    float fill;
};

// Random-affine augmentation of a sample: the image trilinear, the label nearest, one map, one pass
// (SpatialAugment.Warp applied to both). The label's spatial strides are the image's.
extern "C" __global__ void __launch_bounds__(TTL_THREADS)
ttl_warp_pair(const float* __restrict__ image, float* __restrict__ image_out, const float* __restrict__ label,
              float* __restrict__ label_out, Grid3 g, LabelLayout l, IntensityMap post)
{
    const u32 count = (u32)g.o0 * (u32)g.o1 * (u32)g.o2;
    IntensityMap none;
    none.scale = 1.0f; none.shift = 0.0f; none.lo = 0.0f; none.hi = 0.0f; none.affine = 0; none.clip = 0;
    for (u32 idx = grid_thread(); idx < count; idx += grid_threads())
    {
        linear_voxel(image, image_out, idx, count, g, post);
        nearest_voxel(label, label_out, idx, count, g, l.channels, l.sc, l.fill, none);
    }
}
