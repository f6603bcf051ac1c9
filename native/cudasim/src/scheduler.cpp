// Runs kernels under the CUDA execution model.
//
// Blocks run one at a time. The threads of a block are fibers on one host thread: each runs until
// it reaches __syncthreads, a warp-synchronous intrinsic (__shfl*_sync, __ballot_sync,
// __match_any_sync, __syncwarp, ...) or its end, and the scheduler then resumes the next one.
// When every thread waits:
//   * a warp intrinsic completes once every lane its mask names has reached it (same intrinsic,
//     same mask); the results are computed from all those lanes' values at once, as the warp does
//     in lockstep. A lane named in the mask that has exited, or waits elsewhere, is a fault;
//   * the block barrier opens once every thread waits there. Some threads waiting while others
//     have exited is a fault: __syncthreads in divergent code is undefined (a hang or corrupted
//     shared memory on a GPU);
//   * anything else is a deadlock, reported with what each thread waits for.
// Between those points the threads of a block run one after another. Which one runs first
// decides what a kernel with a missing barrier reads, so the order alternates: in every other
// block (and launch) the threads run in descending order. A read of shared memory written by
// another thread without a barrier in between then returns the unwritten value (0xFF bytes,
// see cuda.h) in one of the two orders.
//
// Faults in kernel code (SIGSEGV, SIGBUS, SIGFPE) on the launching thread end the launch with the
// address described (Memory::describe) instead of killing the process; signals on other threads
// go to the handlers that were there before.
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "sim.h"

#if !defined(__x86_64__)
#error "the simulator's fibers switch stacks with x86-64 code; port ttlsim_switch to build elsewhere"
#endif

// Saves the callee-saved registers on the current stack, stores the stack pointer in *save and
// continues on the stack `to` (prepared by prepare_stack or saved by an earlier switch).
extern "C" void ttlsim_switch(void** save, void* to);
asm(R"(
    .text
    .globl ttlsim_switch
    .hidden ttlsim_switch
    .type ttlsim_switch, @function
ttlsim_switch:
    endbr64
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size ttlsim_switch, .-ttlsim_switch
)");

// Anchors the shared-memory section, so that its bounds exist whatever the kernels declare.
__attribute__((section("ttlsim_shared"), used)) static char shared_anchor[16];
extern "C" char __start_ttlsim_shared[];
extern "C" char __stop_ttlsim_shared[];

namespace ttlsim {

ThreadView* current_thread;
BlockView current_block;

namespace {

enum class State : uint8_t { Ready, Barrier, Warp, Exited };

struct Request
{
    WarpOp op;
    unsigned mask;
    uint64_t bits;
    unsigned bytes;
    int arg;
    int width;
    const char* name;
};

struct SimThread : ThreadView
{
    void* sp;
    unsigned linear;
    State state;
    Request request;
    uint64_t result;
};

constexpr size_t kStackBytes = 128 * 1024;
constexpr size_t kPage = 4096;

struct Stack
{
    char* base;   // the usable part, above the guard page
};

// Everything below belongs to the one launch running (the driver serialises launches).
std::vector<Stack> stacks;
std::vector<SimThread> threads;
void* scheduler_sp;
const KernelInfo* kernel;
const void* const* kernel_args;
std::string fault_text;
sigjmp_buf fault_jump;
volatile sig_atomic_t in_kernel;
volatile pid_t kernel_tid;
volatile int fault_signal;
volatile uintptr_t fault_address;
volatile int fault_write;
SimThread* volatile fault_thread;
unsigned launches;

struct sigaction saved_segv, saved_bus, saved_fpe;
stack_t saved_altstack;
char* alt_stack;

SimThread* self() { return static_cast<SimThread*>(current_thread); }

std::string thread_name(const SimThread& t)
{
    char b[160];
    snprintf(b, sizeof b, "%s block (%u, %u, %u) thread (%u, %u, %u)", kernel->name.c_str(), current_block.index.x,
             current_block.index.y, current_block.index.z, t.index.x, t.index.y, t.index.z);
    return b;
}

[[noreturn]] void fail(std::string text)
{
    fault_text = std::move(text);
    siglongjmp(fault_jump, 1);
}

void fiber_entry()
{
    kernel->invoke(kernel_args);
    SimThread* t = self();
    t->state = State::Exited;
    ttlsim_switch(&t->sp, scheduler_sp);
    __builtin_trap();   // an exited fiber is never resumed
}

void* prepare_stack(const Stack& s)
{
    auto** sp = reinterpret_cast<void**>(s.base + kStackBytes);   // 16-byte aligned
    *--sp = nullptr;                                              // fiber_entry's return address: none
    *--sp = reinterpret_cast<void*>(&fiber_entry);                // where ttlsim_switch's ret goes
    for (int r = 0; r < 6; r++) *--sp = nullptr;                  // rbp rbx r12 r13 r14 r15
    return sp;
}

void ensure_stacks(size_t n)
{
    while (stacks.size() < n)
    {
        void* m = mmap(nullptr, kStackBytes + kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (m == MAP_FAILED) { perror("ttlsim: fiber stack"); abort(); }
        mprotect(m, kPage, PROT_NONE);   // an overflow faults instead of running into the next stack
        stacks.push_back(Stack{static_cast<char*>(m) + kPage});
    }
}

bool on_fiber_stack_guard(uintptr_t a)
{
    for (const auto& s : stacks)
    {
        auto guard = reinterpret_cast<uintptr_t>(s.base) - kPage;
        if (a >= guard && a < guard + kPage) return true;
    }
    return false;
}

void yield(State s)
{
    SimThread* t = self();
    t->state = s;
    ttlsim_switch(&t->sp, scheduler_sp);
}

// ---- faults ---------------------------------------------------------------------------------------

void chain(const struct sigaction& old, int sig, siginfo_t* info, void* uc)
{
    if (old.sa_flags & SA_SIGINFO)
    {
        if (old.sa_sigaction) { old.sa_sigaction(sig, info, uc); return; }
    }
    else if (old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN)
    {
        old.sa_handler(sig);
        return;
    }
    // Default action: restore it and return, so the faulting instruction faults again and kills.
    signal(sig, SIG_DFL);
}

void on_fault(int sig, siginfo_t* info, void* uc)
{
    if (in_kernel && static_cast<pid_t>(syscall(SYS_gettid)) == kernel_tid)
    {
        fault_signal = sig;
        fault_address = reinterpret_cast<uintptr_t>(info->si_addr);
        fault_write = sig == SIGSEGV ? (int)((static_cast<ucontext_t*>(uc)->uc_mcontext.gregs[REG_ERR] >> 1) & 1) : -1;
        fault_thread = self();
        in_kernel = 0;
        siglongjmp(fault_jump, 2);
    }
    chain(sig == SIGSEGV ? saved_segv : sig == SIGBUS ? saved_bus : saved_fpe, sig, info, uc);
}

void install_fault_handlers()
{
    if (!alt_stack)
    {
        alt_stack = static_cast<char*>(mmap(nullptr, 64 * 1024, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
        if (alt_stack == MAP_FAILED) { perror("ttlsim: signal stack"); abort(); }
    }
    stack_t ss{};
    ss.ss_sp = alt_stack;
    ss.ss_size = 64 * 1024;
    sigaltstack(&ss, &saved_altstack);
    struct sigaction sa{};
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &saved_segv);
    sigaction(SIGBUS, &sa, &saved_bus);
    sigaction(SIGFPE, &sa, &saved_fpe);
}

void restore_fault_handlers()
{
    sigaction(SIGSEGV, &saved_segv, nullptr);
    sigaction(SIGBUS, &saved_bus, nullptr);
    sigaction(SIGFPE, &saved_fpe, nullptr);
    sigaltstack(&saved_altstack, nullptr);
}

std::string describe_signal()
{
    const SimThread* t = fault_thread;
    std::string who = t ? thread_name(*t) : kernel->name;
    uintptr_t a = fault_address;
    char b[160];
    if (fault_signal == SIGFPE) return who + ": arithmetic trap (an integer division by zero: undefined on a GPU, which does not trap)";
    if (on_fiber_stack_guard(a)) return who + ": stack overflow (the simulator gives each thread " + std::to_string(kStackBytes / 1024) + " KiB)";
    snprintf(b, sizeof b, "%s at 0x%lx: ", fault_write == 1 ? "write" : fault_write == 0 ? "read" : "access", (unsigned long)a);
    return who + ": illegal " + b + Memory::instance().describe(a);
}

// ---- warp collectives and the barrier --------------------------------------------------------------

const char* waiting_for(const SimThread& t)
{
    switch (t.state)
    {
        case State::Barrier: return "__syncthreads";
        case State::Warp: return t.request.name;
        case State::Exited: return "(exited)";
        default: return "(running)";
    }
}

uint64_t poison(unsigned bytes) { return bytes == 8 ? ~0ull : 0xffffffffull; }

// Completes the collective that `first` waits at, when every lane of its mask waits there too.
bool try_complete(size_t base, size_t count, SimThread& first)
{
    const Request& r = first.request;
    const unsigned lane0 = first.linear - base;
    for (unsigned l = 0; l < 32; l++)
    {
        if (!(r.mask >> l & 1)) continue;
        if (l >= count)
            fail(thread_name(first) + ": " + r.name + " names lane " + std::to_string(l) + ", which a block of " +
                 std::to_string(threads.size()) + " threads does not have");
        SimThread& o = threads[base + l];
        if (o.state == State::Exited)
            fail(thread_name(first) + ": " + r.name + " waits for lane " + std::to_string(l) + ", which has exited (mask 0x" +
                 [&] { char b[16]; snprintf(b, sizeof b, "%08x", r.mask); return std::string(b); }() + ")");
        if (o.state != State::Warp) return false;   // maybe later; a deadlock is found by the caller
        if (o.request.op != r.op || o.request.mask != r.mask)
            fail(thread_name(first) + ": lanes " + std::to_string(lane0) + " and " + std::to_string(l) + " of a warp meet at different intrinsics or masks (" +
                 r.name + " vs " + o.request.name + ")");
    }
    auto value = [&](unsigned l) { return threads[base + l].request.bits; };
    auto member = [&](unsigned l) { return l < 32 && (r.mask >> l & 1); };
    for (unsigned l = 0; l < 32; l++)
    {
        if (!member(l)) continue;
        SimThread& t = threads[base + l];
        const Request& q = t.request;
        uint64_t out = 0;
        const unsigned w = (unsigned)q.width, seg = l & ~(w - 1);
        switch (q.op)
        {
            case WarpOp::Shfl:
            {
                unsigned src = seg + ((unsigned)q.arg & (w - 1));
                out = member(src) ? value(src) : poison(q.bytes);
                break;
            }
            case WarpOp::ShflUp:
            {
                long src = (long)l - q.arg;
                out = src < (long)seg ? q.bits : member((unsigned)src) ? value((unsigned)src) : poison(q.bytes);
                break;
            }
            case WarpOp::ShflDown:
            {
                unsigned long src = (unsigned long)l + (unsigned)q.arg;
                out = src >= seg + w ? q.bits : member((unsigned)src) ? value((unsigned)src) : poison(q.bytes);
                break;
            }
            case WarpOp::ShflXor:
            {
                unsigned src = l ^ (unsigned)q.arg;
                out = src >= seg + w ? q.bits : member(src) ? value(src) : poison(q.bytes);
                break;
            }
            case WarpOp::Ballot:
            case WarpOp::Any:
            case WarpOp::All:
            {
                unsigned ballot = 0;
                for (unsigned k = 0; k < 32; k++)
                    if (member(k) && value(k)) ballot |= 1u << k;
                out = q.op == WarpOp::Ballot ? ballot : q.op == WarpOp::Any ? ballot != 0 : ballot == r.mask;
                break;
            }
            case WarpOp::MatchAny:
            {
                unsigned peers = 0;
                const uint64_t keep = q.bytes == 8 ? ~0ull : 0xffffffffull;
                for (unsigned k = 0; k < 32; k++)
                    if (member(k) && (value(k) & keep) == (q.bits & keep)) peers |= 1u << k;
                out = peers;
                break;
            }
            case WarpOp::SyncWarp:
                break;
        }
        t.result = out;
    }
    for (unsigned l = 0; l < 32; l++)
        if (member(l)) threads[base + l].state = State::Ready;
    return true;
}

bool resolve_warps()
{
    bool progress = false;
    for (size_t base = 0; base < threads.size(); base += 32)
    {
        const size_t count = std::min<size_t>(32, threads.size() - base);
        for (size_t l = 0; l < count; l++)
            if (threads[base + l].state == State::Warp && try_complete(base, count, threads[base + l])) progress = true;
    }
    return progress;
}

[[noreturn]] void deadlock()
{
    std::string text = kernel->name + " block (" + std::to_string(current_block.index.x) + ", " + std::to_string(current_block.index.y) + ", " +
                       std::to_string(current_block.index.z) + "): deadlock, no thread can continue:";
    size_t shown = 0;
    for (size_t i = 0; i < threads.size() && shown < 8; i++)
    {
        const SimThread& t = threads[i];
        if (t.state != State::Warp) continue;
        char b[160];
        snprintf(b, sizeof b, " thread %zu waits at %s (mask 0x%08x);", i, t.request.name, t.request.mask);
        text += b;
        shown++;
    }
    size_t at_barrier = 0, exited = 0;
    for (const auto& t : threads) at_barrier += t.state == State::Barrier, exited += t.state == State::Exited;
    text += " " + std::to_string(at_barrier) + " wait at __syncthreads, " + std::to_string(exited) + " have exited";
    fail(text);
}

void run_block(bool descending)
{
    const size_t n = threads.size();
    for (size_t i = 0; i < n; i++)
    {
        SimThread& t = threads[i];
        t.sp = prepare_stack(stacks[i]);
        t.state = State::Ready;
    }
    while (true)
    {
        for (size_t k = 0; k < n; k++)
        {
            SimThread& t = threads[descending ? n - 1 - k : k];
            while (t.state == State::Ready)
            {
                current_thread = &t;
                ttlsim_switch(&scheduler_sp, t.sp);
            }
        }
        if (resolve_warps()) continue;
        size_t barrier = 0, exited = 0;
        for (const auto& t : threads) barrier += t.state == State::Barrier, exited += t.state == State::Exited;
        if (exited == n) return;
        if (barrier + exited == n)
        {
            if (exited > 0)
            {
                const SimThread* waiting = nullptr;
                for (const auto& t : threads)
                    if (t.state == State::Barrier) { waiting = &t; break; }
                fail(thread_name(*waiting) + ": __syncthreads reached by " + std::to_string(barrier) + " thread(s) after " + std::to_string(exited) +
                     " thread(s) of the block exited (a barrier in divergent code: undefined, a hang or corrupted shared memory on a GPU)");
            }
            for (auto& t : threads) t.state = State::Ready;
            continue;
        }
        deadlock();
    }
}

}  // namespace

void syncthreads() { yield(State::Barrier); }

uint64_t warp_collective(WarpOp op, unsigned mask, uint64_t bits, unsigned bytes, int arg, int width, const char* name)
{
    SimThread* t = self();
    const unsigned lane = t->linear & 31;
    if (!(mask >> lane & 1))
    {
        char b[64];
        snprintf(b, sizeof b, " with mask 0x%08x, which leaves out its own lane %u", mask, lane);
        fail(thread_name(*t) + ": " + name + b + " (undefined)");
    }
    if (width < 1 || width > 32 || (width & (width - 1)) != 0)
        fail(thread_name(*t) + ": " + name + " with width " + std::to_string(width) + " (must be a power of 2 up to 32)");
    t->request = Request{op, mask, bits, bytes, arg, width, name};
    yield(State::Warp);
    return t->result;
}

ThreadOrder thread_order()
{
    static const ThreadOrder order = [] {
        const char* v = getenv("TTL_CUDASIM_ORDER");
        if (!v || !*v || !strcmp(v, "alternate")) return ThreadOrder::Alternate;
        if (!strcmp(v, "ascending")) return ThreadOrder::Ascending;
        if (!strcmp(v, "descending")) return ThreadOrder::Descending;
        fprintf(stderr, "ttlsim: TTL_CUDASIM_ORDER=%s is not alternate, ascending or descending; using alternate\n", v);
        return ThreadOrder::Alternate;
    }();
    return order;
}

std::string run_kernel(const KernelInfo& k, const LaunchShape& shape, const void* const* args)
{
    const size_t n = (size_t)shape.block.x * shape.block.y * shape.block.z;
    ensure_stacks(n);
    threads.assign(n, SimThread{});
    for (unsigned z = 0, i = 0; z < shape.block.z; z++)
        for (unsigned y = 0; y < shape.block.y; y++)
            for (unsigned x = 0; x < shape.block.x; x++, i++)
            {
                threads[i].index = uint3{x, y, z};
                threads[i].linear = i;
            }
    kernel = &k;
    kernel_args = args;
    current_block.dim = shape.block;
    current_block.grid = shape.grid;
    const ThreadOrder order = thread_order();
    const unsigned launch = launches++;
    const size_t shared = (size_t)(__stop_ttlsim_shared - __start_ttlsim_shared);

    install_fault_handlers();
    kernel_tid = static_cast<pid_t>(syscall(SYS_gettid));
    std::string error;
    unsigned long linear = 0;
    for (unsigned bz = 0; bz < shape.grid.z && error.empty(); bz++)
        for (unsigned by = 0; by < shape.grid.y && error.empty(); by++)
            for (unsigned bx = 0; bx < shape.grid.x && error.empty(); bx++, linear++)
            {
                current_block.index = uint3{bx, by, bz};
                memset(__start_ttlsim_shared, 0xff, shared);
                const bool descending = order == ThreadOrder::Descending || (order == ThreadOrder::Alternate && ((launch + linear) & 1));
                fault_thread = nullptr;
                if (sigsetjmp(fault_jump, 1) == 0)
                {
                    in_kernel = 1;
                    run_block(descending);
                    in_kernel = 0;
                }
                else
                {
                    in_kernel = 0;
                    error = fault_signal != 0 ? describe_signal() : fault_text;
                    fault_signal = 0;
                }
            }
    restore_fault_handlers();
    current_thread = nullptr;
    (void)shared_anchor;
    return error;
}

}  // namespace ttlsim
