// Simulated device memory: host mappings with guard pages, see Memory in sim.h.
#include <sys/mman.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "sim.h"

namespace ttlsim {

namespace {

constexpr size_t kPage = 4096;
constexpr size_t kAlign = 256;   // cuMemAlloc's alignment

size_t round_up(size_t v, size_t to) { return (v + to - 1) / to * to; }

bool all_ff(uintptr_t from, uintptr_t to)
{
    for (uintptr_t p = from; p < to; p++)
        if (*reinterpret_cast<const unsigned char*>(p) != 0xff) return false;
    return true;
}

std::string hex(uintptr_t v)
{
    char b[32];
    snprintf(b, sizeof b, "0x%lx", (unsigned long)v);
    return b;
}

}  // namespace

Memory::Memory()
{
    // What the simulated device reports as its memory; allocations beyond it fail as on a device.
    // TTL_CUDASIM_MEMORY_MB changes it (a test of out-of-memory handling wants it small).
    size_t mb = 4096;
    if (const char* v = getenv("TTL_CUDASIM_MEMORY_MB"))
    {
        char* end = nullptr;
        unsigned long parsed = strtoul(v, &end, 10);
        if (end && *end == 0 && parsed > 0) mb = parsed;
        else fprintf(stderr, "ttlsim: TTL_CUDASIM_MEMORY_MB=%s is not a positive number of MiB; using %zu\n", v, mb);
    }
    total_ = mb << 20;
}

Memory& Memory::instance()
{
    static Memory m;
    return m;
}

uintptr_t Memory::allocate(size_t bytes)
{
    std::lock_guard<std::mutex> g(lock_);
    if (bytes > total_ - used_)
    {
        set_detail("cuMemAlloc of " + std::to_string(bytes) + " bytes: the simulated device has " + std::to_string(total_ - used_) + " of " +
                   std::to_string(total_) + " bytes free (TTL_CUDASIM_MEMORY_MB sets its size)");
        return 0;
    }
    const size_t body = round_up(bytes + kAlign - 1, kPage);
    const size_t map_size = body + 2 * kPage;
    void* m = mmap(nullptr, map_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED)
    {
        set_detail("cuMemAlloc of " + std::to_string(bytes) + " bytes: the host could not map the memory");
        return 0;
    }
    const auto map = reinterpret_cast<uintptr_t>(m);
    mprotect(m, kPage, PROT_NONE);
    mprotect(reinterpret_cast<void*>(map + kPage + body), kPage, PROT_NONE);
    const uintptr_t body_end = map + kPage + body;
    const uintptr_t start = (body_end - bytes) & ~(uintptr_t)(kAlign - 1);
    memset(reinterpret_cast<void*>(map + kPage), 0xff, body);
    live_[start] = Allocation{start, bytes, map, map_size};
    used_ += bytes;
    return start;
}

bool Memory::release(uintptr_t start, std::string* slack_error)
{
    std::lock_guard<std::mutex> g(lock_);
    auto it = live_.find(start);
    if (it == live_.end()) return false;
    const Allocation& a = it->second;
    if (slack_error && (!all_ff(a.map + kPage, a.start) || !all_ff(a.start + a.size, a.map + a.map_size - kPage)))
        *slack_error = "the " + std::to_string(a.size) + "-byte allocation at " + hex(a.start) + " was written outside its bounds";
    munmap(reinterpret_cast<void*>(a.map), a.map_size);
    used_ -= a.size;
    live_.erase(it);
    return true;
}

void Memory::release_all()
{
    std::lock_guard<std::mutex> g(lock_);
    for (auto& [start, a] : live_) munmap(reinterpret_cast<void*>(a.map), a.map_size);
    live_.clear();
    used_ = 0;
}

size_t Memory::used() const
{
    std::lock_guard<std::mutex> g(lock_);
    return used_;
}

const Allocation* Memory::find(uintptr_t p, size_t bytes) const
{
    std::lock_guard<std::mutex> g(lock_);
    auto it = live_.upper_bound(p);
    if (it == live_.begin()) return nullptr;
    --it;
    const Allocation& a = it->second;
    if (p < a.start || p > a.start + a.size || bytes > a.start + a.size - p) return nullptr;
    return &a;
}

std::string Memory::check(uintptr_t p, size_t bytes, const char* what) const
{
    if (find(p, bytes)) return "";
    std::string text = std::string(what) + " [" + hex(p) + ", +" + std::to_string(bytes) + " bytes) ";
    std::lock_guard<std::mutex> g(lock_);
    auto it = live_.upper_bound(p);
    if (it != live_.begin())
    {
        --it;
        const Allocation& a = it->second;
        if (p >= a.start && p <= a.start + a.size)
            return text + "runs " + std::to_string(p + bytes - (a.start + a.size)) + " bytes past the end of the " + std::to_string(a.size) +
                   "-byte allocation at " + hex(a.start);
    }
    return text + "is not in device memory (never allocated, or freed)";
}

std::string Memory::check_slack()
{
    std::lock_guard<std::mutex> g(lock_);
    for (const auto& [start, a] : live_)
    {
        const uintptr_t head = a.map + kPage, end = a.start + a.size, tail = a.map + a.map_size - kPage;
        std::string found;
        if (!all_ff(end, tail))
            found = "a write past the end of the " + std::to_string(a.size) + "-byte allocation at " + hex(a.start) +
                    " (found in the bytes between its end and the next page)";
        else if (!all_ff(head, a.start))
            found = "a write before the start of the " + std::to_string(a.size) + "-byte allocation at " + hex(a.start);
        if (found.empty()) continue;
        memset(reinterpret_cast<void*>(head), 0xff, a.start - head);
        memset(reinterpret_cast<void*>(end), 0xff, tail - end);
        return found;
    }
    return "";
}

std::string Memory::describe(uintptr_t address) const
{
    std::lock_guard<std::mutex> g(lock_);
    for (const auto& [start, a] : live_)
    {
        if (address < a.map || address >= a.map + a.map_size) continue;
        if (address >= a.start + a.size)
            return std::to_string(address - (a.start + a.size)) + " bytes past the end of the " + std::to_string(a.size) + "-byte allocation at " + hex(a.start);
        if (address < a.start)
            return std::to_string(a.start - address) + " bytes before the " + std::to_string(a.size) + "-byte allocation at " + hex(a.start);
    }
    return "not device memory (a wild or freed pointer)";
}

}  // namespace ttlsim
