// Test-only kernels: probes of the CUDA execution model for TTL.Cuda.Tests
// (Gpu/ExecutionModelTests.cs), compiled by NVRTC like the toolkit's kernels and into the
// simulator beside them. Two of them are deliberately broken, as a kernel might be: the tests
// prove that the simulator runs threads as a GPU does, barriers and warps included, by showing
// that the correct kernel gives the right answer and the broken one does not.

typedef unsigned int u32;

// Block sum of x[blockIdx.x * blockDim.x + t] by a shared-memory tree, into out[blockIdx.x].
extern "C" __global__ void __launch_bounds__(256) probe_block_sum(const float* x, float* out)
{
    __shared__ float s[256];
    const u32 t = threadIdx.x;
    s[t] = x[blockIdx.x * blockDim.x + t];
    __syncthreads();
    for (u32 stride = blockDim.x / 2; stride > 0; stride >>= 1)
    {
        if (t < stride) s[t] += s[t + stride];
        __syncthreads();
    }
    if (t == 0) out[blockIdx.x] = s[0];
}

// The same tree with its barriers left out: a thread reads partial sums other threads may not
// have written yet.
extern "C" __global__ void __launch_bounds__(256) probe_block_sum_missing_barrier(const float* x, float* out)
{
    __shared__ float s[256];
    const u32 t = threadIdx.x;
    s[t] = x[blockIdx.x * blockDim.x + t];
    for (u32 stride = blockDim.x / 2; stride > 0; stride >>= 1)
        if (t < stride) s[t] += s[t + stride];
    if (t == 0) out[blockIdx.x] = s[0];
}

// Sum over each warp by shuffles; lane 0 writes it to out[warp].
extern "C" __global__ void __launch_bounds__(256) probe_warp_sum(const float* x, float* out)
{
    const u32 i = blockIdx.x * blockDim.x + threadIdx.x;
    float v = x[i];
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
    if ((threadIdx.x & 31) == 0) out[i / 32] = v;
}

// An off-by-one in the loop bound: the last step (offset 1) is never taken.
extern "C" __global__ void __launch_bounds__(256) probe_warp_sum_off_by_one(const float* x, float* out)
{
    const u32 i = blockIdx.x * blockDim.x + threadIdx.x;
    float v = x[i];
    for (int o = 16; o > 1; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
    if ((threadIdx.x & 31) == 0) out[i / 32] = v;
}

// Every warp intrinsic the simulator models, one output array each, for block sizes that are a
// multiple of 32: shuffles (index, up, down, xor, in segments of `width`), ballot, any/all and
// match_any over the lane's key.
extern "C" __global__ void probe_warp_intrinsics(const int* x, const u32* keys, int width, int* idx, int* up, int* down, int* xr, u32* ballot,
                                                 int* any_all, u32* match)
{
    const u32 i = blockIdx.x * blockDim.x + threadIdx.x;
    const int v = x[i];
    idx[i] = __shfl_sync(0xffffffffu, v, 3, width);
    up[i] = __shfl_up_sync(0xffffffffu, v, 2, width);
    down[i] = __shfl_down_sync(0xffffffffu, v, 5, width);
    xr[i] = __shfl_xor_sync(0xffffffffu, v, 6, width);
    ballot[i] = __ballot_sync(0xffffffffu, v > 0);
    any_all[i] = __any_sync(0xffffffffu, v > 40) + 2 * __all_sync(0xffffffffu, v > -1000);
    match[i] = __match_any_sync(0xffffffffu, keys[i]);
}

// Shared memory read before anything is written to it: undefined on a GPU, NaN (0xFF bytes) in
// the simulator.
extern "C" __global__ void __launch_bounds__(64) probe_uninitialised_shared(float* out)
{
    __shared__ float s[64];
    out[threadIdx.x] = s[threadIdx.x];
}

// Threads past `active` return, the rest meet at a barrier: __syncthreads in divergent code.
extern "C" __global__ void __launch_bounds__(64) probe_divergent_barrier(float* out, int active)
{
    if ((int)threadIdx.x >= active) return;
    __shared__ float s[64];
    s[threadIdx.x] = (float)threadIdx.x;
    __syncthreads();
    out[threadIdx.x] = s[(threadIdx.x + 1) % active];
}

// A full-warp shuffle after the upper half of the warp has exited.
extern "C" __global__ void __launch_bounds__(32) probe_shuffle_after_exit(float* out)
{
    if (threadIdx.x >= 16) return;
    out[threadIdx.x] = __shfl_down_sync(0xffffffffu, (float)threadIdx.x, 1);
}

// Writes x[at] (one thread): an index past the end of the allocation is an illegal address.
extern "C" __global__ void probe_write_at(float* x, long long at)
{
    if (threadIdx.x == 0 && blockIdx.x == 0) x[at] = 1.0f;
}

// Counts threads with atomicAdd and returns the order in which they arrived (old values).
extern "C" __global__ void probe_atomic_count(u32* counter, u32* arrival)
{
    arrival[blockIdx.x * blockDim.x + threadIdx.x] = atomicAdd(counter, 1u);
}
