// libcuda.so.1 of the simulator: the CUDA driver API entry points TTL.Cuda binds, on one
// simulated device, with host memory (memory.cpp) and the kernels compiled into this library
// (scheduler.cpp runs them).
//
// Behaviour a GPU driver has and the simulator keeps, because host code depends on it:
//   * cuInit first; one device; its primary context retained and released by reference count
//     (the last release frees its memory, modules, streams and events); a current context per
//     host thread, without which context calls fail with CUDA_ERROR_INVALID_CONTEXT;
//   * launch checks (block and grid limits, the kernel's __launch_bounds__, a parameter of
//     pointer type that does not point into device memory), and pointer checks on every copy;
//   * a fault inside a kernel is not returned by the launch but by the next call that waits for
//     the device (a synchronisation, a copy, an allocation or free, the next launch), as
//     CUDA_ERROR_ILLEGAL_ADDRESS or CUDA_ERROR_LAUNCH_FAILED; ttlsim_last_error() says where.
// And what it does differently: work runs when it is queued (streams are always idle), an error
// is reported once rather than poisoning the context for good, and there is no clock, so
// cuEventElapsedTime fails (a simulator must not be timed).
#include <pthread.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "module.h"
#include "sim.h"

namespace ttlsim {

// ---- error detail ---------------------------------------------------------------------------------

namespace {
thread_local std::string detail_text;
}

void set_detail(std::string detail) { detail_text = std::move(detail); }
const char* last_detail() { return detail_text.c_str(); }

// ---- kernel registry ------------------------------------------------------------------------------

namespace {
std::map<std::string, KernelInfo>& kernels()
{
    static std::map<std::string, KernelInfo> k;
    return k;
}
}  // namespace

bool register_kernel(const char* name, const char* source, std::vector<ParamInfo> params, Invoke invoke)
{
    kernels()[name] = KernelInfo{name, source, std::move(params), invoke};
    return true;
}

const KernelInfo* find_kernel(const std::string& name)
{
    auto it = kernels().find(name);
    return it == kernels().end() ? nullptr : &it->second;
}

}  // namespace ttlsim

using namespace ttlsim;

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;

enum : CUresult
{
    CUDA_SUCCESS = 0,
    CUDA_ERROR_INVALID_VALUE = 1,
    CUDA_ERROR_OUT_OF_MEMORY = 2,
    CUDA_ERROR_NOT_INITIALIZED = 3,
    CUDA_ERROR_INVALID_DEVICE = 101,
    CUDA_ERROR_INVALID_IMAGE = 200,
    CUDA_ERROR_INVALID_CONTEXT = 201,
    CUDA_ERROR_NO_BINARY_FOR_GPU = 209,
    CUDA_ERROR_INVALID_PTX = 218,
    CUDA_ERROR_INVALID_HANDLE = 400,
    CUDA_ERROR_NOT_FOUND = 500,
    CUDA_ERROR_NOT_READY = 600,
    CUDA_ERROR_ILLEGAL_ADDRESS = 700,
    CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES = 701,
    CUDA_ERROR_LAUNCH_FAILED = 719,
    CUDA_ERROR_NOT_SUPPORTED = 801,
};

namespace {

// The simulated device. Its compute capability decides what TTL.Cuda compiles (a cubin for sm_90
// with NVRTC 11.8 and later); the multiprocessor count only sizes grid-stride grids.
constexpr int kMajor = 9, kMinor = 0;
constexpr int kMultiprocessors = 2;
constexpr int kMaxThreadsPerBlock = 1024;
constexpr int kMaxThreadsPerMultiprocessor = 2048;
constexpr int kMaxBlocksPerMultiprocessor = 32;
constexpr int kRegistersPerMultiprocessor = 65536;
constexpr int kSharedPerBlock = 48 * 1024;
constexpr int kSharedPerBlockOptin = 227 * 1024;
constexpr int kSharedPerMultiprocessor = 228 * 1024;
constexpr const char* kDeviceName = "TTL CUDA simulator (host CPU, not a GPU)";

struct Function
{
    const KernelInfo* kernel;
    ImageEntry entry;
    int ptx_version;
    int binary_version;
};

struct Module
{
    std::vector<std::unique_ptr<Function>> functions;
};

struct Context
{
    int refs = 0;
    std::set<Module*> modules;
    std::set<void*> streams;
    std::set<void*> events;
    // A fault of earlier work, returned by the next call that waits for the device.
    CUresult pending = CUDA_SUCCESS;
    std::string pending_detail;
};

std::mutex device_lock;   // one call at a time touches the device state; launches are serialised by it
bool initialised;
Context primary;
auto* const primary_handle = reinterpret_cast<void*>(&primary);
thread_local void* current;
long next_handle = 1;

CUresult fail(CUresult code, std::string detail)
{
    set_detail(std::move(detail));
    return code;
}

// Requires cuInit and a current, live primary context; reports (and clears) a pending fault
// when `waits` (the call is one that would wait for earlier work).
CUresult enter(const char* call, bool waits)
{
    if (!initialised) return fail(CUDA_ERROR_NOT_INITIALIZED, std::string(call) + ": cuInit has not been called");
    if (current != primary_handle || primary.refs == 0)
        return fail(CUDA_ERROR_INVALID_CONTEXT, std::string(call) + ": no current context on this thread (cuCtxSetCurrent the retained primary context first)");
    if (waits && primary.pending != CUDA_SUCCESS)
    {
        CUresult code = primary.pending;
        primary.pending = CUDA_SUCCESS;
        return fail(code, std::move(primary.pending_detail));
    }
    set_detail("");
    return CUDA_SUCCESS;
}

void record_fault(CUresult code, std::string detail)
{
    if (primary.pending != CUDA_SUCCESS) return;   // the first fault is the one to report
    primary.pending = code;
    primary.pending_detail = std::move(detail);
}

// After device work: a write into the slack around an allocation is a fault of that work.
void check_slack(const char* what)
{
    std::string s = Memory::instance().check_slack();
    if (!s.empty()) record_fault(CUDA_ERROR_ILLEGAL_ADDRESS, std::string(what) + ": " + s);
}

bool valid_stream(void* s) { return s == nullptr || primary.streams.count(s) > 0; }

void destroy_context_state()
{
    for (Module* m : primary.modules) delete m;
    primary.modules.clear();
    primary.streams.clear();
    primary.events.clear();
    primary.pending = CUDA_SUCCESS;
    Memory::instance().release_all();
}

const char* error_name(CUresult c)
{
    switch (c)
    {
        case CUDA_SUCCESS: return "CUDA_SUCCESS";
        case CUDA_ERROR_INVALID_VALUE: return "CUDA_ERROR_INVALID_VALUE";
        case CUDA_ERROR_OUT_OF_MEMORY: return "CUDA_ERROR_OUT_OF_MEMORY";
        case CUDA_ERROR_NOT_INITIALIZED: return "CUDA_ERROR_NOT_INITIALIZED";
        case CUDA_ERROR_INVALID_DEVICE: return "CUDA_ERROR_INVALID_DEVICE";
        case CUDA_ERROR_INVALID_IMAGE: return "CUDA_ERROR_INVALID_IMAGE";
        case CUDA_ERROR_INVALID_CONTEXT: return "CUDA_ERROR_INVALID_CONTEXT";
        case CUDA_ERROR_NO_BINARY_FOR_GPU: return "CUDA_ERROR_NO_BINARY_FOR_GPU";
        case CUDA_ERROR_INVALID_PTX: return "CUDA_ERROR_INVALID_PTX";
        case CUDA_ERROR_INVALID_HANDLE: return "CUDA_ERROR_INVALID_HANDLE";
        case CUDA_ERROR_NOT_FOUND: return "CUDA_ERROR_NOT_FOUND";
        case CUDA_ERROR_NOT_READY: return "CUDA_ERROR_NOT_READY";
        case CUDA_ERROR_ILLEGAL_ADDRESS: return "CUDA_ERROR_ILLEGAL_ADDRESS";
        case CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES: return "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES";
        case CUDA_ERROR_LAUNCH_FAILED: return "CUDA_ERROR_LAUNCH_FAILED";
        case CUDA_ERROR_NOT_SUPPORTED: return "CUDA_ERROR_NOT_SUPPORTED";
        default: return nullptr;
    }
}

const char* error_string(CUresult c)
{
    switch (c)
    {
        case CUDA_SUCCESS: return "no error";
        case CUDA_ERROR_INVALID_VALUE: return "invalid argument";
        case CUDA_ERROR_OUT_OF_MEMORY: return "out of memory";
        case CUDA_ERROR_NOT_INITIALIZED: return "initialization error";
        case CUDA_ERROR_INVALID_DEVICE: return "invalid device ordinal";
        case CUDA_ERROR_INVALID_IMAGE: return "device kernel image is invalid";
        case CUDA_ERROR_INVALID_CONTEXT: return "invalid device context";
        case CUDA_ERROR_NO_BINARY_FOR_GPU: return "no kernel image is available for execution on the device";
        case CUDA_ERROR_INVALID_PTX: return "a PTX JIT compilation failed";
        case CUDA_ERROR_INVALID_HANDLE: return "invalid resource handle";
        case CUDA_ERROR_NOT_FOUND: return "named symbol not found";
        case CUDA_ERROR_NOT_READY: return "device not ready";
        case CUDA_ERROR_ILLEGAL_ADDRESS: return "an illegal memory access was encountered";
        case CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES: return "too many resources requested for launch";
        case CUDA_ERROR_LAUNCH_FAILED: return "unspecified launch failure";
        case CUDA_ERROR_NOT_SUPPORTED: return "operation not supported";
        default: return nullptr;
    }
}

// Resident blocks per multiprocessor, from the limits on threads, blocks, shared memory and (when
// the cubin says how many each thread uses) registers, allocated per warp in units of 256.
int occupancy(const Function& f, int block, size_t dynamic_shared)
{
    const int warps = (block + 31) / 32;
    int n = std::min(kMaxBlocksPerMultiprocessor, kMaxThreadsPerMultiprocessor / (warps * 32));
    const size_t shared = (size_t)std::max(0, f.entry.shared_bytes) + dynamic_shared;
    if (shared > 0) n = std::min<int>(n, (int)(kSharedPerMultiprocessor / shared));
    if (f.entry.registers > 0)
    {
        const int per_warp = (f.entry.registers * 32 + 255) / 256 * 256;
        n = std::min(n, kRegistersPerMultiprocessor / (per_warp * warps));
    }
    return std::max(n, 0);
}

}  // namespace

// ---- identity ---------------------------------------------------------------------------------------

TTLSIM_EXPORT const char* ttlsim_identity()
{
    return "TTL CUDA simulator: native/kernels compiled for the host CPU and run under the CUDA execution model; a test double, not a GPU";
}

TTLSIM_EXPORT const char* ttlsim_last_error() { return last_detail(); }

// ---- initialisation and devices ------------------------------------------------------------------------

TTLSIM_EXPORT CUresult cuInit(unsigned flags)
{
    if (flags != 0) return fail(CUDA_ERROR_INVALID_VALUE, "cuInit: flags must be 0");
    std::lock_guard<std::mutex> g(device_lock);
    initialised = true;
    return CUDA_SUCCESS;
}

TTLSIM_EXPORT CUresult cuDriverGetVersion(int* v)
{
    if (!v) return CUDA_ERROR_INVALID_VALUE;
    *v = 13000;   // the driver API (CUDA 13 names, _v2 entry points) that TTL.Cuda binds
    return CUDA_SUCCESS;
}

TTLSIM_EXPORT CUresult cuGetErrorName(CUresult c, const char** s)
{
    if (!s) return CUDA_ERROR_INVALID_VALUE;
    *s = error_name(c);
    return *s ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

TTLSIM_EXPORT CUresult cuGetErrorString(CUresult c, const char** s)
{
    if (!s) return CUDA_ERROR_INVALID_VALUE;
    *s = error_string(c);
    return *s ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

TTLSIM_EXPORT CUresult cuDeviceGetCount(int* n)
{
    if (!initialised) return fail(CUDA_ERROR_NOT_INITIALIZED, "cuDeviceGetCount: cuInit has not been called");
    if (!n) return CUDA_ERROR_INVALID_VALUE;
    *n = 1;
    return CUDA_SUCCESS;
}

TTLSIM_EXPORT CUresult cuDeviceGet(CUdevice* d, int ordinal)
{
    if (!initialised) return fail(CUDA_ERROR_NOT_INITIALIZED, "cuDeviceGet: cuInit has not been called");
    if (!d) return CUDA_ERROR_INVALID_VALUE;
    if (ordinal != 0) return fail(CUDA_ERROR_INVALID_DEVICE, "cuDeviceGet: the simulator has one device, 0");
    *d = 0;
    return CUDA_SUCCESS;
}

TTLSIM_EXPORT CUresult cuDeviceGetName(char* name, int len, CUdevice d)
{
    if (!initialised) return CUDA_ERROR_NOT_INITIALIZED;
    if (d != 0) return CUDA_ERROR_INVALID_DEVICE;
    if (!name || len <= 0) return CUDA_ERROR_INVALID_VALUE;
    snprintf(name, (size_t)len, "%s", kDeviceName);
    return CUDA_SUCCESS;
}

TTLSIM_EXPORT CUresult cuDeviceTotalMem_v2(size_t* bytes, CUdevice d)
{
    if (!initialised) return CUDA_ERROR_NOT_INITIALIZED;
    if (d != 0) return CUDA_ERROR_INVALID_DEVICE;
    if (!bytes) return CUDA_ERROR_INVALID_VALUE;
    *bytes = Memory::instance().total();
    return CUDA_SUCCESS;
}

TTLSIM_EXPORT CUresult cuDeviceGetAttribute(int* v, int attribute, CUdevice d)
{
    if (!initialised) return CUDA_ERROR_NOT_INITIALIZED;
    if (d != 0) return CUDA_ERROR_INVALID_DEVICE;
    if (!v) return CUDA_ERROR_INVALID_VALUE;
    switch (attribute)
    {
        case 1: *v = kMaxThreadsPerBlock; break;              // MAX_THREADS_PER_BLOCK
        case 2: *v = 1024; break;                             // MAX_BLOCK_DIM_X
        case 3: *v = 1024; break;                             // MAX_BLOCK_DIM_Y
        case 4: *v = 64; break;                               // MAX_BLOCK_DIM_Z
        case 5: *v = 2147483647; break;                       // MAX_GRID_DIM_X
        case 6: *v = 65535; break;                            // MAX_GRID_DIM_Y
        case 7: *v = 65535; break;                            // MAX_GRID_DIM_Z
        case 8: *v = kSharedPerBlock; break;                  // MAX_SHARED_MEMORY_PER_BLOCK
        case 10: *v = 32; break;                              // WARP_SIZE
        case 16: *v = kMultiprocessors; break;                // MULTIPROCESSOR_COUNT
        case 39: *v = kMaxThreadsPerMultiprocessor; break;    // MAX_THREADS_PER_MULTIPROCESSOR
        case 75: *v = kMajor; break;                          // COMPUTE_CAPABILITY_MAJOR
        case 76: *v = kMinor; break;                          // COMPUTE_CAPABILITY_MINOR
        case 81: *v = kSharedPerMultiprocessor; break;        // MAX_SHARED_MEMORY_PER_MULTIPROCESSOR
        case 97: *v = kSharedPerBlockOptin; break;            // MAX_SHARED_MEMORY_PER_BLOCK_OPTIN
        default:
            // Clocks, bus width, caches, PCI location: a simulator has none to report.
            return fail(CUDA_ERROR_NOT_SUPPORTED, "cuDeviceGetAttribute(" + std::to_string(attribute) + "): the simulated device has no such hardware property");
    }
    return CUDA_SUCCESS;
}

// ---- contexts ---------------------------------------------------------------------------------------------

TTLSIM_EXPORT CUresult cuDevicePrimaryCtxRetain(void** ctx, CUdevice d)
{
    std::lock_guard<std::mutex> g(device_lock);
    if (!initialised) return CUDA_ERROR_NOT_INITIALIZED;
    if (d != 0) return CUDA_ERROR_INVALID_DEVICE;
    if (!ctx) return CUDA_ERROR_INVALID_VALUE;
    primary.refs++;
    *ctx = primary_handle;
    return CUDA_SUCCESS;
}

TTLSIM_EXPORT CUresult cuDevicePrimaryCtxRelease_v2(CUdevice d)
{
    std::lock_guard<std::mutex> g(device_lock);
    if (!initialised) return CUDA_ERROR_NOT_INITIALIZED;
    if (d != 0) return CUDA_ERROR_INVALID_DEVICE;
    if (primary.refs == 0) return fail(CUDA_ERROR_INVALID_CONTEXT, "cuDevicePrimaryCtxRelease: the primary context is not retained");
    if (--primary.refs == 0) destroy_context_state();
    return CUDA_SUCCESS;
}

TTLSIM_EXPORT CUresult cuCtxSetCurrent(void* ctx)
{
    if (!initialised) return CUDA_ERROR_NOT_INITIALIZED;
    if (ctx != nullptr && ctx != primary_handle) return fail(CUDA_ERROR_INVALID_CONTEXT, "cuCtxSetCurrent: not a context of this driver");
    current = ctx;
    return CUDA_SUCCESS;
}

TTLSIM_EXPORT CUresult cuCtxGetCurrent(void** ctx)
{
    if (!initialised) return CUDA_ERROR_NOT_INITIALIZED;
    if (!ctx) return CUDA_ERROR_INVALID_VALUE;
    *ctx = current;
    return CUDA_SUCCESS;
}

TTLSIM_EXPORT CUresult cuCtxSynchronize()
{
    std::lock_guard<std::mutex> g(device_lock);
    return enter("cuCtxSynchronize", true);
}

TTLSIM_EXPORT CUresult cuMemGetInfo_v2(size_t* free_bytes, size_t* total_bytes)
{
    std::lock_guard<std::mutex> g(device_lock);
    if (CUresult r = enter("cuMemGetInfo", false)) return r;
    if (!free_bytes || !total_bytes) return CUDA_ERROR_INVALID_VALUE;
    *total_bytes = Memory::instance().total();
    *free_bytes = *total_bytes - Memory::instance().used();
    return CUDA_SUCCESS;
}

// ---- streams and events ------------------------------------------------------------------------------------

TTLSIM_EXPORT CUresult cuStreamCreate(void** s, unsigned flags)
{
    std::lock_guard<std::mutex> g(device_lock);
    if (CUresult r = enter("cuStreamCreate", false)) return r;
    if (!s || flags > 1) return CUDA_ERROR_INVALID_VALUE;
    *s = reinterpret_cast<void*>(0x5000000 + next_handle++ * 16);
    primary.streams.insert(*s);
    return CUDA_SUCCESS;
}

TTLSIM_EXPORT CUresult cuStreamDestroy_v2(void* s)
{
    std::lock_guard<std::mutex> g(device_lock);
    if (CUresult r = enter("cuStreamDestroy", false)) return r;
    if (s == nullptr || !primary.streams.erase(s)) return fail(CUDA_ERROR_INVALID_HANDLE, "cuStreamDestroy: not a live stream");
    return CUDA_SUCCESS;
}

TTLSIM_EXPORT CUresult cuStreamSynchronize(void* s)
{
    std::lock_guard<std::mutex> g(device_lock);
    if (CUresult r = enter("cuStreamSynchronize", true)) return r;
    if (!valid_stream(s)) return fail(CUDA_ERROR_INVALID_HANDLE, "cuStreamSynchronize: not a live stream");
    return CUDA_SUCCESS;
}

TTLSIM_EXPORT CUresult cuEventCreate(void** e, unsigned flags)
{
    std::lock_guard<std::mutex> g(device_lock);
    if (CUresult r = enter("cuEventCreate", false)) return r;
    if (!e) return CUDA_ERROR_INVALID_VALUE;
    *e = reinterpret_cast<void*>(0x6000000 + next_handle++ * 16);
    primary.events.insert(*e);
    return CUDA_SUCCESS;
}

TTLSIM_EXPORT CUresult cuEventRecord(void* e, void* s)
{
    std::lock_guard<std::mutex> g(device_lock);
    if (CUresult r = enter("cuEventRecord", false)) return r;
    if (!primary.events.count(e)) return fail(CUDA_ERROR_INVALID_HANDLE, "cuEventRecord: not a live event");
    if (!valid_stream(s)) return fail(CUDA_ERROR_INVALID_HANDLE, "cuEventRecord: not a live stream");
    return CUDA_SUCCESS;
}

TTLSIM_EXPORT CUresult cuEventSynchronize(void* e)
{
    std::lock_guard<std::mutex> g(device_lock);
    if (CUresult r = enter("cuEventSynchronize", true)) return r;
    if (!primary.events.count(e)) return fail(CUDA_ERROR_INVALID_HANDLE, "cuEventSynchronize: not a live event");
    return CUDA_SUCCESS;
}

TTLSIM_EXPORT CUresult cuEventElapsedTime(float* ms, void* start, void* end)
{
    std::lock_guard<std::mutex> g(device_lock);
    if (CUresult r = enter("cuEventElapsedTime", false)) return r;
    if (!ms || !primary.events.count(start) || !primary.events.count(end)) return CUDA_ERROR_INVALID_HANDLE;
    return fail(CUDA_ERROR_NOT_SUPPORTED, "cuEventElapsedTime: the simulated device has no clock; time kernels on a GPU");
}

TTLSIM_EXPORT CUresult cuEventDestroy_v2(void* e)
{
    std::lock_guard<std::mutex> g(device_lock);
    if (CUresult r = enter("cuEventDestroy", false)) return r;
    if (!primary.events.erase(e)) return fail(CUDA_ERROR_INVALID_HANDLE, "cuEventDestroy: not a live event");
    return CUDA_SUCCESS;
}

// ---- memory --------------------------------------------------------------------------------------------------

TTLSIM_EXPORT CUresult cuMemAlloc_v2(CUdeviceptr* p, size_t bytes)
{
    std::lock_guard<std::mutex> g(device_lock);
    if (CUresult r = enter("cuMemAlloc", true)) return r;
    if (!p || bytes == 0) return fail(CUDA_ERROR_INVALID_VALUE, "cuMemAlloc: zero bytes");
    uintptr_t a = Memory::instance().allocate(bytes);
    if (!a) return CUDA_ERROR_OUT_OF_MEMORY;
    *p = a;
    return CUDA_SUCCESS;
}

TTLSIM_EXPORT CUresult cuMemFree_v2(CUdeviceptr p)
{
    std::lock_guard<std::mutex> g(device_lock);
    if (CUresult r = enter("cuMemFree", true)) return r;
    if (p == 0) return CUDA_SUCCESS;
    std::string slack;
    if (!Memory::instance().release(p, &slack)) return fail(CUDA_ERROR_INVALID_VALUE, "cuMemFree: not the start of a live allocation");
    if (!slack.empty()) return fail(CUDA_ERROR_ILLEGAL_ADDRESS, "cuMemFree: " + slack);
    return CUDA_SUCCESS;
}

namespace {

CUresult copy_checks(const char* call, void* stream, std::initializer_list<std::pair<CUdeviceptr, const char*>> ranges, size_t bytes)
{
    if (CUresult r = enter(call, true)) return r;
    if (!valid_stream(stream)) return fail(CUDA_ERROR_INVALID_HANDLE, std::string(call) + ": not a live stream");
    for (const auto& [p, what] : ranges)
    {
        std::string e = Memory::instance().check(p, bytes, what);
        if (!e.empty()) return fail(CUDA_ERROR_INVALID_VALUE, std::string(call) + ": " + e);
    }
    return CUDA_SUCCESS;
}

}  // namespace

TTLSIM_EXPORT CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void* src, size_t bytes, void* stream)
{
    std::lock_guard<std::mutex> g(device_lock);
    if (CUresult r = copy_checks("cuMemcpyHtoDAsync", stream, {{dst, "the destination"}}, bytes)) return r;
    if (bytes && !src) return CUDA_ERROR_INVALID_VALUE;
    if (bytes) memcpy(reinterpret_cast<void*>(dst), src, bytes);
    return CUDA_SUCCESS;
}

TTLSIM_EXPORT CUresult cuMemcpyDtoHAsync_v2(void* dst, CUdeviceptr src, size_t bytes, void* stream)
{
    std::lock_guard<std::mutex> g(device_lock);
    if (CUresult r = copy_checks("cuMemcpyDtoHAsync", stream, {{src, "the source"}}, bytes)) return r;
    if (bytes && !dst) return CUDA_ERROR_INVALID_VALUE;
    if (bytes) memcpy(dst, reinterpret_cast<const void*>(src), bytes);
    return CUDA_SUCCESS;
}

TTLSIM_EXPORT CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, size_t bytes, void* stream)
{
    std::lock_guard<std::mutex> g(device_lock);
    if (CUresult r = copy_checks("cuMemcpyDtoDAsync", stream, {{dst, "the destination"}, {src, "the source"}}, bytes)) return r;
    if (bytes) memmove(reinterpret_cast<void*>(dst), reinterpret_cast<const void*>(src), bytes);
    return CUDA_SUCCESS;
}

TTLSIM_EXPORT CUresult cuMemsetD8Async(CUdeviceptr dst, unsigned char value, size_t count, void* stream)
{
    std::lock_guard<std::mutex> g(device_lock);
    if (CUresult r = copy_checks("cuMemsetD8Async", stream, {{dst, "the destination"}}, count)) return r;
    if (count) memset(reinterpret_cast<void*>(dst), value, count);
    return CUDA_SUCCESS;
}

TTLSIM_EXPORT CUresult cuMemsetD32Async(CUdeviceptr dst, unsigned value, size_t count, void* stream)
{
    std::lock_guard<std::mutex> g(device_lock);
    if (count > SIZE_MAX / 4) return CUDA_ERROR_INVALID_VALUE;
    if (CUresult r = copy_checks("cuMemsetD32Async", stream, {{dst, "the destination"}}, count * 4)) return r;
    if (dst % 4) return fail(CUDA_ERROR_INVALID_VALUE, "cuMemsetD32Async: the destination is not 4-byte aligned");
    auto* p = reinterpret_cast<unsigned*>(dst);
    for (size_t i = 0; i < count; i++) p[i] = value;
    return CUDA_SUCCESS;
}

// ---- modules and functions --------------------------------------------------------------------------------

namespace {

// The image's entries against the kernels compiled in: each must exist, with the parameter list
// the host-compiled kernel reads (sizes, and alignments or offsets, as the image states them).
std::string match_entries(const Image& image, Module& m)
{
    for (const ImageEntry& e : image.entries)
    {
        const KernelInfo* k = find_kernel(e.name);
        if (!k) return "entry " + e.name + " is not compiled into the simulator (rebuild it with build/native)";
        if (k->params.size() != e.params.size())
            return e.name + ": the image declares " + std::to_string(e.params.size()) + " parameters, the simulator's build of " + k->source + " " +
                   std::to_string(k->params.size()) + " (rebuild it with build/native)";
        size_t offset = 0;
        for (size_t i = 0; i < e.params.size(); i++)
        {
            const ParamInfo& host = k->params[i];
            const ImageParam& dev = e.params[i];
            offset = (offset + host.align - 1) / host.align * host.align;
            const bool same = host.size == dev.size && (dev.align == 0 || dev.align == host.align) && (dev.offset == SIZE_MAX || dev.offset == offset);
            if (!same)
                return e.name + ": parameter " + std::to_string(i) + " is " + std::to_string(dev.size) + " bytes" +
                       (dev.align ? " aligned to " + std::to_string(dev.align) : "") + (dev.offset != SIZE_MAX ? " at offset " + std::to_string(dev.offset) : "") +
                       " on the device, " + std::to_string(host.size) + " aligned to " + std::to_string(host.align) + " at " + std::to_string(offset) +
                       " in the host compiler's layout";
            offset += host.size;
        }
        m.functions.push_back(std::make_unique<Function>(Function{k, e, image.virtual_arch, image.cubin ? image.arch : kMajor * 10 + kMinor}));
    }
    return "";
}

void write_log(unsigned n, const int* options, void** values, const std::string& text)
{
    for (unsigned i = 0; i < n; i++)
        if (options[i] == 5 /* CU_JIT_ERROR_LOG_BUFFER */)
        {
            size_t size = 0;
            for (unsigned j = 0; j < n; j++)
                if (options[j] == 6 /* CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES */) size = reinterpret_cast<size_t>(values[j]);
            if (size > 0 && values[i]) snprintf(static_cast<char*>(values[i]), size, "%s", text.c_str());
        }
}

}  // namespace

TTLSIM_EXPORT CUresult cuModuleLoadDataEx(void** module, const void* data, unsigned n, int* options, void** values)
{
    std::lock_guard<std::mutex> g(device_lock);
    if (CUresult r = enter("cuModuleLoadDataEx", true)) return r;
    if (!module || !data) return CUDA_ERROR_INVALID_VALUE;
    Image image;
    std::string error;
    CUresult code = CUDA_SUCCESS;
    if (!read_image(data, image, error)) code = CUDA_ERROR_INVALID_IMAGE;
    else if (image.cubin && (image.arch / 10 != kMajor || image.arch % 10 > kMinor))
    {
        code = CUDA_ERROR_NO_BINARY_FOR_GPU;
        error = "a cubin for sm_" + std::to_string(image.arch) + " does not run on the simulated sm_" + std::to_string(kMajor * 10 + kMinor);
    }
    else if (!image.cubin && image.arch > kMajor * 10 + kMinor)
    {
        code = CUDA_ERROR_INVALID_PTX;
        error = "PTX for compute_" + std::to_string(image.arch) + " is newer than the simulated sm_" + std::to_string(kMajor * 10 + kMinor);
    }
    auto m = std::make_unique<Module>();
    if (code == CUDA_SUCCESS && !(error = match_entries(image, *m)).empty()) code = CUDA_ERROR_NOT_FOUND;
    if (code != CUDA_SUCCESS)
    {
        if (options && values) write_log(n, options, values, "ttlsim: " + error);
        return fail(code, "cuModuleLoadDataEx: " + error);
    }
    *module = m.get();
    primary.modules.insert(m.release());
    return CUDA_SUCCESS;
}

TTLSIM_EXPORT CUresult cuModuleUnload(void* module)
{
    std::lock_guard<std::mutex> g(device_lock);
    if (CUresult r = enter("cuModuleUnload", false)) return r;
    auto* m = static_cast<Module*>(module);
    if (!primary.modules.erase(m)) return fail(CUDA_ERROR_INVALID_HANDLE, "cuModuleUnload: not a loaded module");
    delete m;
    return CUDA_SUCCESS;
}

TTLSIM_EXPORT CUresult cuModuleGetFunction(void** f, void* module, const char* name)
{
    std::lock_guard<std::mutex> g(device_lock);
    if (CUresult r = enter("cuModuleGetFunction", false)) return r;
    auto* m = static_cast<Module*>(module);
    if (!f || !name) return CUDA_ERROR_INVALID_VALUE;
    if (!primary.modules.count(m)) return fail(CUDA_ERROR_INVALID_HANDLE, "cuModuleGetFunction: not a loaded module");
    for (auto& fn : m->functions)
        if (fn->entry.name == name)
        {
            *f = fn.get();
            return CUDA_SUCCESS;
        }
    return fail(CUDA_ERROR_NOT_FOUND, std::string("cuModuleGetFunction: the module has no entry ") + name);
}

namespace {

bool live_function(const Function* f)
{
    for (Module* m : primary.modules)
        for (auto& fn : m->functions)
            if (fn.get() == f) return true;
    return false;
}

}  // namespace

TTLSIM_EXPORT CUresult cuFuncGetAttribute(int* v, int attribute, void* function)
{
    std::lock_guard<std::mutex> g(device_lock);
    if (CUresult r = enter("cuFuncGetAttribute", false)) return r;
    auto* f = static_cast<Function*>(function);
    if (!v || !live_function(f)) return CUDA_ERROR_INVALID_HANDLE;
    int value = -1;
    switch (attribute)
    {
        case 0: value = f->entry.max_threads > 0 ? f->entry.max_threads : kMaxThreadsPerBlock; break;
        case 1: value = f->entry.shared_bytes; break;
        case 2: value = f->entry.const_bytes; break;
        case 3: value = f->entry.local_bytes; break;
        case 4: value = f->entry.registers; break;
        case 5: value = f->ptx_version; break;
        case 6: value = f->binary_version; break;
        default: break;
    }
    if (value < 0)
        return fail(CUDA_ERROR_NOT_SUPPORTED, "cuFuncGetAttribute(" + std::to_string(attribute) + ", " + f->entry.name +
                                                  "): known only when the module is a cubin (a driver learns it by compiling PTX, the simulator does not)");
    *v = value;
    return CUDA_SUCCESS;
}

TTLSIM_EXPORT CUresult cuOccupancyMaxActiveBlocksPerMultiprocessor(int* n, void* function, int block, size_t dynamic_shared)
{
    std::lock_guard<std::mutex> g(device_lock);
    if (CUresult r = enter("cuOccupancyMaxActiveBlocksPerMultiprocessor", false)) return r;
    auto* f = static_cast<Function*>(function);
    if (!n || !live_function(f)) return CUDA_ERROR_INVALID_HANDLE;
    if (block <= 0) return CUDA_ERROR_INVALID_VALUE;
    *n = occupancy(*f, block, dynamic_shared);
    return CUDA_SUCCESS;
}

TTLSIM_EXPORT CUresult cuLaunchKernel(void* function, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                                      unsigned shared, void* stream, void** params, void** extra)
{
    std::lock_guard<std::mutex> g(device_lock);
    if (CUresult r = enter("cuLaunchKernel", true)) return r;
    auto* f = static_cast<Function*>(function);
    if (!live_function(f)) return fail(CUDA_ERROR_INVALID_HANDLE, "cuLaunchKernel: not a function of a loaded module");
    const std::string& name = f->entry.name;
    if (!valid_stream(stream)) return fail(CUDA_ERROR_INVALID_HANDLE, "cuLaunchKernel (" + name + "): not a live stream");
    if (extra) return fail(CUDA_ERROR_NOT_SUPPORTED, "cuLaunchKernel (" + name + "): arguments through `extra` are not simulated; pass kernelParams");
    if (shared > 0) return fail(CUDA_ERROR_NOT_SUPPORTED, "cuLaunchKernel (" + name + "): dynamic shared memory is not simulated");
    const unsigned long threads = (unsigned long)bx * by * bz;
    const unsigned long bound = f->entry.max_threads > 0 ? (unsigned long)f->entry.max_threads : kMaxThreadsPerBlock;
    if (gx == 0 || gy == 0 || gz == 0 || bx == 0 || by == 0 || bz == 0 || bx > 1024 || by > 1024 || bz > 64 || gy > 65535 || gz > 65535 ||
        gx > 2147483647u || threads > kMaxThreadsPerBlock)
        return fail(CUDA_ERROR_INVALID_VALUE, "cuLaunchKernel (" + name + "): grid (" + std::to_string(gx) + ", " + std::to_string(gy) + ", " + std::to_string(gz) +
                                                  ") of blocks (" + std::to_string(bx) + ", " + std::to_string(by) + ", " + std::to_string(bz) + ") is outside the device's limits");
    if (threads > bound)
        return fail(CUDA_ERROR_INVALID_VALUE, "cuLaunchKernel (" + name + "): " + std::to_string(threads) + " threads per block exceed the kernel's launch bound of " +
                                                  std::to_string(bound));
    const KernelInfo& k = *f->kernel;
    if (!k.params.empty() && !params) return fail(CUDA_ERROR_INVALID_VALUE, "cuLaunchKernel (" + name + "): no kernelParams");
    // The arguments are copied at the launch, as the driver does.
    std::vector<std::vector<unsigned char>> copies(k.params.size());
    std::vector<const void*> args(k.params.size());
    for (size_t i = 0; i < k.params.size(); i++)
    {
        if (!params[i]) return fail(CUDA_ERROR_INVALID_VALUE, "cuLaunchKernel (" + name + "): kernelParams[" + std::to_string(i) + "] is null");
        copies[i].assign(static_cast<const unsigned char*>(params[i]), static_cast<const unsigned char*>(params[i]) + k.params[i].size);
        args[i] = copies[i].data();
    }
    // A pointer argument that is not null must point into (or just past) device memory: a GPU
    // would fault at its first use, which the simulator reports at once, naming the parameter.
    for (size_t i = 0; i < k.params.size(); i++)
    {
        if (!k.params[i].pointer) continue;
        uintptr_t p;
        memcpy(&p, args[i], sizeof p);
        if (p == 0) continue;
        std::string e = Memory::instance().check(p, 0, ("parameter " + std::to_string(i)).c_str());
        if (!e.empty())
        {
            record_fault(CUDA_ERROR_ILLEGAL_ADDRESS, name + ": " + e);
            return CUDA_SUCCESS;
        }
    }
    std::string fault = run_kernel(k, LaunchShape{dim3{gx, gy, gz}, dim3{bx, by, bz}}, args.data());
    if (!fault.empty())
        record_fault(fault.find("illegal ") != std::string::npos ? CUDA_ERROR_ILLEGAL_ADDRESS : CUDA_ERROR_LAUNCH_FAILED, fault);
    check_slack(name.c_str());
    return CUDA_SUCCESS;
}

// ---- for the simulated libraries (cuBLAS, cuSOLVER) ------------------------------------------------------

// Checks a library call the way the driver checks a launch: a current context, a live stream, and
// each range in device memory; a range outside is a fault of the call's work (reported at the next
// synchronisation). Returns false when the call must not run.
TTLSIM_EXPORT bool ttlsim_library_enter(const char* call, void* stream, int n, const unsigned long long* starts, const size_t* sizes, const char* const* what)
{
    std::lock_guard<std::mutex> g(device_lock);
    if (enter(call, false) != CUDA_SUCCESS) return false;
    if (!valid_stream(stream))
    {
        record_fault(CUDA_ERROR_INVALID_HANDLE, std::string(call) + ": not a live stream");
        return false;
    }
    for (int i = 0; i < n; i++)
    {
        std::string e = Memory::instance().check(starts[i], sizes[i], what[i]);
        if (!e.empty())
        {
            record_fault(CUDA_ERROR_ILLEGAL_ADDRESS, std::string(call) + ": " + e);
            return false;
        }
    }
    return true;
}

TTLSIM_EXPORT void ttlsim_library_leave(const char* call)
{
    std::lock_guard<std::mutex> g(device_lock);
    check_slack(call);
}

// SHA-256 (hex) of each kernel source and header the library was built from (kernel_sources.cpp,
// generated by the build), so that TTL.Cuda can refuse a simulator built from other sources.
namespace ttlsim {
const char* source_digest(const char* file);
}

TTLSIM_EXPORT const char* ttlsim_source_sha256(const char* file) { return file ? ttlsim::source_digest(file) : nullptr; }
