// Internals shared by the simulator's translation units: device memory, kernel execution and
// the error detail that ttlsim_last_error() returns.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "ttlsim/cuda.h"
#include "ttlsim/registry.h"

#define TTLSIM_EXPORT extern "C" __attribute__((visibility("default")))

namespace ttlsim {

// ---- errors ------------------------------------------------------------------------------------

// The detail of the last failure on this thread, for ttlsim_last_error(): what a GPU would only
// report as a code (which kernel, block, thread, address, parameter).
void set_detail(std::string detail);
const char* last_detail();

// ---- device memory ------------------------------------------------------------------------------

// Host memory standing in for device memory. Every allocation is 256-byte aligned (as cuMemAlloc
// promises) and placed so that it ends at, or within 255 bytes of, an inaccessible guard page,
// with another guard page in front; the slack around it and the allocation itself start filled
// with 0xFF bytes (NaN as float or double, -1 as an integer): device memory is undefined until
// written, and a read of it should not look like data. Writes into the slack are found after
// every kernel and library call (the slack must still be 0xFF).
struct Allocation
{
    uintptr_t start;
    size_t size;
    uintptr_t map;      // the mapping, guard pages included
    size_t map_size;
};

class Memory
{
public:
    static Memory& instance();

    // Null (with the detail set) when the simulated device is out of memory.
    uintptr_t allocate(size_t bytes);
    // False when `start` is not the start of a live allocation.
    bool release(uintptr_t start, std::string* slack_error);
    void release_all();

    // The allocation holding [p, p + bytes), or null; an empty range may sit at the end.
    const Allocation* find(uintptr_t p, size_t bytes) const;
    // An empty string when [p, p + bytes) lies in one allocation, else what is wrong, naming `what`.
    std::string check(uintptr_t p, size_t bytes, const char* what) const;
    // The first allocation whose slack was written, described, and its slack filled again (a
    // fault is reported once); empty when none.
    std::string check_slack();
    // What an address that faulted is: past the end of an allocation, before one, or elsewhere.
    std::string describe(uintptr_t address) const;

    size_t total() const { return total_; }
    size_t used() const;

private:
    Memory();
    mutable std::mutex lock_;
    std::map<uintptr_t, Allocation> live_;   // by start
    size_t used_ = 0;
    size_t total_;
};

// ---- kernel execution -----------------------------------------------------------------------------

struct LaunchShape
{
    dim3 grid;
    dim3 block;
};

// Runs every block of the kernel, one at a time; returns an empty string on success, else the
// fault (an illegal address, a barrier in divergent code, a warp intrinsic some lane never
// reaches, a deadlock) naming kernel, block and thread.
std::string run_kernel(const KernelInfo& kernel, const LaunchShape& shape, const void* const* args);

// The order in which the threads of a block run between synchronisation points (see
// scheduler.cpp): TTL_CUDASIM_ORDER = alternate (default), ascending or descending.
enum class ThreadOrder { Alternate, Ascending, Descending };
ThreadOrder thread_order();

}  // namespace ttlsim
