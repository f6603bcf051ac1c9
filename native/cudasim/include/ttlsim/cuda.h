// The CUDA execution model for kernel sources compiled as host C++ (the simulator's half of the
// language; the runtime half is src/scheduler.cpp). Included ahead of a kernel source, unchanged:
//
//   * __global__/__device__/__forceinline__/__launch_bounds__ become plain C++; the kernel is an
//     ordinary extern "C" function that every simulated thread calls.
//   * threadIdx, blockIdx, blockDim and gridDim read the running thread's and block's indices.
//     Blocks run one at a time; the threads of a block are fibers that run until they reach
//     __syncthreads, a warp-synchronous intrinsic or their end, so shared memory, barriers and
//     warp shuffles behave as the CUDA programming guide defines them (see scheduler.cpp).
//   * __shared__ variables are function statics in one linker section, which the runtime fills
//     with 0xFF bytes (NaN, -1) before every block: a read before any write shows, as it does on
//     hardware, where shared memory starts undefined.
//   * The _rn intrinsics are the IEEE operations they name; the simulator is compiled with
//     -ffp-contract=off, so no other expression is fused either (NVRTC does fuse a*b+c where a
//     kernel does not use the intrinsics: there the GPU may differ in the last bits).
#pragma once

#include <math.h>
#include <stdint.h>
#include <string.h>

#include <cmath>
#include <type_traits>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline __attribute__((always_inline))
#define __noinline__ __attribute__((noinline))
#define __launch_bounds__(...)
#define __shared__ static __attribute__((section("ttlsim_shared"), used, aligned(16)))

struct uint3 { unsigned int x, y, z; };
struct dim3 { unsigned int x, y, z; };

struct __attribute__((aligned(8))) float2 { float x, y; };
struct __attribute__((aligned(16))) float4 { float x, y, z, w; };
struct __attribute__((aligned(8))) int2 { int x, y; };
struct __attribute__((aligned(16))) int4 { int x, y, z, w; };
struct __attribute__((aligned(8))) uint2 { unsigned int x, y; };
struct __attribute__((aligned(16))) uint4 { unsigned int x, y, z, w; };
struct __attribute__((aligned(16))) double2 { double x, y; };

inline float2 make_float2(float x, float y) { return {x, y}; }
inline float4 make_float4(float x, float y, float z, float w) { return {x, y, z, w}; }
inline int2 make_int2(int x, int y) { return {x, y}; }
inline int4 make_int4(int x, int y, int z, int w) { return {x, y, z, w}; }
inline uint2 make_uint2(unsigned x, unsigned y) { return {x, y}; }
inline uint4 make_uint4(unsigned x, unsigned y, unsigned z, unsigned w) { return {x, y, z, w}; }
inline double2 make_double2(double x, double y) { return {x, y}; }

static constexpr int warpSize = 32;

namespace ttlsim {

// What kernel code sees of the running thread and block; the scheduler sets them.
struct ThreadView { uint3 index; };
struct BlockView { uint3 index; dim3 dim; dim3 grid; };
extern ThreadView* current_thread;
extern BlockView current_block;

enum class WarpOp : int { Shfl, ShflUp, ShflDown, ShflXor, Ballot, Any, All, MatchAny, SyncWarp };

// Block barrier and warp collectives (scheduler.cpp): the calling fiber waits for the others.
void syncthreads();
uint64_t warp_collective(WarpOp op, unsigned mask, uint64_t bits, unsigned bytes, int arg, int width, const char* name);

template <typename T>
inline uint64_t bits_of(T v)
{
    static_assert(sizeof(T) == 4 || sizeof(T) == 8, "warp intrinsics exchange 32- or 64-bit values");
    uint64_t b = 0;
    memcpy(&b, &v, sizeof v);
    return b;
}

template <typename T>
inline T from_bits(uint64_t b)
{
    T v;
    memcpy(&v, &b, sizeof v);
    return v;
}

template <typename T>
using WarpValue = std::enable_if_t<std::is_arithmetic_v<T> && (sizeof(T) == 4 || sizeof(T) == 8), T>;

}  // namespace ttlsim

#define threadIdx (static_cast<const ::uint3&>(::ttlsim::current_thread->index))
#define blockIdx (static_cast<const ::uint3&>(::ttlsim::current_block.index))
#define blockDim (static_cast<const ::dim3&>(::ttlsim::current_block.dim))
#define gridDim (static_cast<const ::dim3&>(::ttlsim::current_block.grid))

inline void __syncthreads() { ::ttlsim::syncthreads(); }

inline void __syncwarp(unsigned mask = 0xffffffffu)
{
    ::ttlsim::warp_collective(::ttlsim::WarpOp::SyncWarp, mask, 0, 4, 0, 32, "__syncwarp");
}

template <typename T>
inline ::ttlsim::WarpValue<T> __shfl_sync(unsigned mask, T var, int srcLane, int width = warpSize)
{
    return ::ttlsim::from_bits<T>(::ttlsim::warp_collective(::ttlsim::WarpOp::Shfl, mask, ::ttlsim::bits_of(var), sizeof(T), srcLane, width, "__shfl_sync"));
}

template <typename T>
inline ::ttlsim::WarpValue<T> __shfl_up_sync(unsigned mask, T var, unsigned delta, int width = warpSize)
{
    return ::ttlsim::from_bits<T>(::ttlsim::warp_collective(::ttlsim::WarpOp::ShflUp, mask, ::ttlsim::bits_of(var), sizeof(T), (int)delta, width, "__shfl_up_sync"));
}

template <typename T>
inline ::ttlsim::WarpValue<T> __shfl_down_sync(unsigned mask, T var, unsigned delta, int width = warpSize)
{
    return ::ttlsim::from_bits<T>(::ttlsim::warp_collective(::ttlsim::WarpOp::ShflDown, mask, ::ttlsim::bits_of(var), sizeof(T), (int)delta, width, "__shfl_down_sync"));
}

template <typename T>
inline ::ttlsim::WarpValue<T> __shfl_xor_sync(unsigned mask, T var, int laneMask, int width = warpSize)
{
    return ::ttlsim::from_bits<T>(::ttlsim::warp_collective(::ttlsim::WarpOp::ShflXor, mask, ::ttlsim::bits_of(var), sizeof(T), laneMask, width, "__shfl_xor_sync"));
}

inline unsigned __ballot_sync(unsigned mask, int predicate)
{
    return (unsigned)::ttlsim::warp_collective(::ttlsim::WarpOp::Ballot, mask, predicate != 0, 4, 0, 32, "__ballot_sync");
}

inline int __any_sync(unsigned mask, int predicate)
{
    return (int)::ttlsim::warp_collective(::ttlsim::WarpOp::Any, mask, predicate != 0, 4, 0, 32, "__any_sync");
}

inline int __all_sync(unsigned mask, int predicate)
{
    return (int)::ttlsim::warp_collective(::ttlsim::WarpOp::All, mask, predicate != 0, 4, 0, 32, "__all_sync");
}

template <typename T>
inline std::enable_if_t<std::is_arithmetic_v<T> && (sizeof(T) == 4 || sizeof(T) == 8), unsigned> __match_any_sync(unsigned mask, T value)
{
    return (unsigned)::ttlsim::warp_collective(::ttlsim::WarpOp::MatchAny, mask, ::ttlsim::bits_of(value), sizeof(T), 0, 32, "__match_any_sync");
}

// Atomics: the simulator runs one thread at a time, so a read-modify-write is indivisible as it
// is on the device; each returns the old value, as the guide defines.
template <typename T> inline T atomicAdd(T* p, T v) { T old = *p; *p = old + v; return old; }
template <typename T> inline T atomicSub(T* p, T v) { T old = *p; *p = old - v; return old; }
template <typename T> inline T atomicMin(T* p, T v) { T old = *p; *p = v < old ? v : old; return old; }
template <typename T> inline T atomicMax(T* p, T v) { T old = *p; *p = v > old ? v : old; return old; }
template <typename T> inline T atomicExch(T* p, T v) { T old = *p; *p = v; return old; }
template <typename T> inline T atomicCAS(T* p, T compare, T v) { T old = *p; if (old == compare) *p = v; return old; }
template <typename T> inline T atomicOr(T* p, T v) { T old = *p; *p = old | v; return old; }
template <typename T> inline T atomicAnd(T* p, T v) { T old = *p; *p = old & v; return old; }

// Loads through the read-only cache are plain loads.
template <typename T> inline T __ldg(const T* p) { return *p; }

// Integer intrinsics.
inline unsigned __umulhi(unsigned a, unsigned b) { return (unsigned)(((uint64_t)a * b) >> 32); }
inline int __mulhi(int a, int b) { return (int)(((int64_t)a * b) >> 32); }
inline int __ffs(int x) { return __builtin_ffs(x); }
inline int __ffsll(long long x) { return __builtin_ffsll(x); }
inline int __popc(unsigned x) { return __builtin_popcount(x); }
inline int __popcll(unsigned long long x) { return __builtin_popcountll(x); }
inline int __clz(int x) { return x == 0 ? 32 : __builtin_clz((unsigned)x); }

// Reinterpretations.
inline unsigned __float_as_uint(float f) { return ::ttlsim::from_bits<unsigned>(::ttlsim::bits_of(f)); }
inline int __float_as_int(float f) { return ::ttlsim::from_bits<int>(::ttlsim::bits_of(f)); }
inline float __uint_as_float(unsigned u) { return ::ttlsim::from_bits<float>(::ttlsim::bits_of(u)); }
inline float __int_as_float(int i) { return ::ttlsim::from_bits<float>(::ttlsim::bits_of(i)); }
inline double __longlong_as_double(long long i) { return ::ttlsim::from_bits<double>(::ttlsim::bits_of(i)); }
inline long long __double_as_longlong(double d) { return ::ttlsim::from_bits<long long>(::ttlsim::bits_of(d)); }

// Round-to-nearest-even arithmetic: the host's IEEE operations (SSE2, no contraction).
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __fsqrt_rn(float a) { return sqrtf(a); }
inline float __fmaf_rn(float a, float b, float c) { return fmaf(a, b, c); }
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __dsub_rn(double a, double b) { return a - b; }
inline double __dmul_rn(double a, double b) { return a * b; }
inline double __ddiv_rn(double a, double b) { return a / b; }
inline double __fma_rn(double a, double b, double c) { return fma(a, b, c); }
inline float __double2float_rn(double d) { return (float)d; }

// sin(πx) and cos(πx) with the argument reduced exactly (x − n/2 is exact in double), so integer
// and half-integer x give exact zeros and ±1 as CUDA's sincospif does; elsewhere the double
// result rounded to float, within the 1 ulp CUDA documents for its own.
inline void sincospif(float x, float* s, float* c)
{
    const double dx = x;
    const double n = nearbyint(2.0 * dx);          // quarter turns
    const double t = dx - 0.5 * n;                 // in [-1/4, 1/4], exact
    const double st = sin(M_PI * t), ct = cos(M_PI * t);
    const long q = (long)fmod(n, 4.0);
    const int quadrant = (int)((q + 4) % 4);
    double sv, cv;
    switch (quadrant)
    {
        case 0: sv = st; cv = ct; break;
        case 1: sv = ct; cv = -st; break;
        case 2: sv = -st; cv = -ct; break;
        default: sv = -ct; cv = st; break;
    }
    *s = (float)(sv == 0.0 ? copysign(0.0, dx) : sv);
    *c = (float)(cv == 0.0 ? 0.0 : cv);
}
