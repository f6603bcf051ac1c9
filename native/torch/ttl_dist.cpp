// C ABI over libtorch's c10d: the TCP key-value store, the Gloo process group, its collectives,
// and a differentiable all-reduce (the building block of synchronised batch norm).
//
// Compiled with TTL_WITH_GLOO when CMake finds c10d's Gloo headers; without it every entry point
// fails with a message saying so, and ttl_dist_available() returns 0. The calls used here have
// the same signatures in libtorch 1.13 (ProcessGroupGloo derives from ProcessGroup) and 2.x
// (it derives from Backend), because only ProcessGroupGloo's own methods are called.

#include "ttl_common.h"

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#ifdef TTL_WITH_GLOO
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

using ttl::guarded;

#ifdef TTL_WITH_GLOO

namespace {

using std::chrono::milliseconds;

struct Store {
  c10::intrusive_ptr<c10d::Store> store;
};

struct Group {
  c10::intrusive_ptr<c10d::ProcessGroupGloo> pg;
};

struct Work {
  c10::intrusive_ptr<c10d::Work> work;
};

c10d::ReduceOp reduce_op(int32_t op) {
  switch (op) {
    case 0: return c10d::ReduceOp::SUM;
    case 1: return c10d::ReduceOp::PRODUCT;
    case 2: return c10d::ReduceOp::MIN;
    case 3: return c10d::ReduceOp::MAX;
    default: throw std::invalid_argument("unknown reduce op " + std::to_string(op));
  }
}

void wait_all(const c10::intrusive_ptr<c10d::Work>& w) {
  // Gloo raises here when a peer closed its connection or the group's timeout passed.
  w->wait();
}

// Sum across the group in forward; the gradient of a sum over ranks is the sum over ranks of the
// gradients, so backward all-reduces too. Every rank must call it the same number of times.
struct AllReduceSum : public torch::autograd::Function<AllReduceSum> {
  static Tensor forward(torch::autograd::AutogradContext* ctx, const Tensor& x, int64_t group) {
    ctx->saved_data["group"] = group;
    std::vector<Tensor> v{x.detach().clone(at::MemoryFormat::Contiguous)};
    wait_all(reinterpret_cast<Group*>(group)->pg->allreduce(v));
    return v[0];
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    auto* g = reinterpret_cast<Group*>(ctx->saved_data["group"].toInt());
    std::vector<Tensor> v{grads[0].clone(at::MemoryFormat::Contiguous)};
    wait_all(g->pg->allreduce(v));
    return {v[0], Tensor()};
  }
};

}  // namespace

TTL_API int ttl_dist_available() { return 1; }

// The rank that hosts the store (is_server) listens on `port`; with wait_workers it returns only
// once world_size clients (itself included) are connected, or fails after timeout_ms.
TTL_API int ttl_store_tcp(const char* host, int32_t port, int32_t world_size, int32_t is_server,
                          int64_t timeout_ms, void** out) {
  return guarded([&] {
    c10d::TCPStoreOptions o;
    o.port = static_cast<std::uint16_t>(port);
    o.isServer = is_server != 0;
    o.numWorkers = static_cast<std::size_t>(world_size);
    o.waitWorkers = true;
    o.timeout = milliseconds(timeout_ms);
    *out = new Store{c10::make_intrusive<c10d::TCPStore>(std::string(host), o)};
  });
}

TTL_API void ttl_store_free(void* s) { delete static_cast<Store*>(s); }

TTL_API int ttl_store_set(void* s, const char* key, const uint8_t* data, int64_t len) {
  return guarded([&] {
    static_cast<Store*>(s)->store->set(key, std::vector<uint8_t>(data, data + len));
  });
}

// Blocks until the key exists (or the store's timeout passes). *data is freed with ttl_dist_free_bytes.
TTL_API int ttl_store_get(void* s, const char* key, uint8_t** data, int64_t* len) {
  return guarded([&] {
    auto v = static_cast<Store*>(s)->store->get(key);
    *len = static_cast<int64_t>(v.size());
    *data = new uint8_t[v.size() > 0 ? v.size() : 1];
    if (!v.empty()) std::memcpy(*data, v.data(), v.size());
  });
}

TTL_API void ttl_dist_free_bytes(uint8_t* p) { delete[] p; }

TTL_API int ttl_store_add(void* s, const char* key, int64_t delta, int64_t* value) {
  return guarded([&] { *value = static_cast<Store*>(s)->store->add(key, delta); });
}

// Whether every key exists, without blocking.
TTL_API int ttl_store_check(void* s, const char** keys, int32_t n, int32_t* present) {
  return guarded([&] {
    std::vector<std::string> k(keys, keys + n);
    *present = static_cast<Store*>(s)->store->check(k) ? 1 : 0;
  });
}

// A Gloo group over the store. `interface` (a NIC name such as eth0) or else `hostname` (an
// address to bind, e.g. 127.0.0.1) picks the transport device; both empty: Gloo's default device.
TTL_API int ttl_pg_gloo(void* store, int32_t rank, int32_t size, int64_t timeout_ms,
                        const char* interface, const char* hostname, int32_t threads, void** out) {
  return guarded([&] {
    auto opts = c10d::ProcessGroupGloo::Options::create(milliseconds(timeout_ms));
    if (interface && *interface)
      opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(interface));
    else if (hostname && *hostname)
      opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(hostname));
    else
      opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    opts->threads = threads > 0 ? threads : 2;
    auto prefixed = c10::make_intrusive<c10d::PrefixStore>("ttl/pg", static_cast<Store*>(store)->store);
    *out = new Group{c10::make_intrusive<c10d::ProcessGroupGloo>(prefixed, rank, size, opts)};
  });
}

TTL_API void ttl_pg_free(void* g) { delete static_cast<Group*>(g); }

// Asynchronous all-reduce of one dense CPU tensor, in place; wait with ttl_work_wait.
TTL_API int ttl_pg_allreduce(void* g, Tensor* t, int32_t op, void** work) {
  return guarded([&] {
    std::vector<Tensor> v{*t};
    c10d::AllreduceOptions o;
    o.reduceOp = reduce_op(op);
    *work = new Work{static_cast<Group*>(g)->pg->allreduce(v, o)};
  });
}

TTL_API int ttl_pg_broadcast(void* g, Tensor* t, int32_t root, void** work) {
  return guarded([&] {
    std::vector<Tensor> v{*t};
    c10d::BroadcastOptions o;
    o.rootRank = root;
    *work = new Work{static_cast<Group*>(g)->pg->broadcast(v, o)};
  });
}

TTL_API int ttl_pg_barrier(void* g, void** work) {
  return guarded([&] {
    c10d::BarrierOptions o;
    *work = new Work{static_cast<Group*>(g)->pg->barrier(o)};
  });
}

TTL_API int ttl_work_wait(void* w) {
  return guarded([&] { wait_all(static_cast<Work*>(w)->work); });
}

TTL_API void ttl_work_free(void* w) { delete static_cast<Work*>(w); }

TTL_API int ttl_dist_all_reduce_autograd(void* g, Tensor* t, Tensor** out) {
  return guarded([&] { *out = ttl::box(AllReduceSum::apply(*t, reinterpret_cast<int64_t>(g))); });
}

#else  // no Gloo in this libtorch build

namespace {
int unavailable() {
  ttl::last_error = "this build of the native shim has no c10d Gloo support (libtorch without distributed, or Gloo headers missing at build time)";
  return ttl::kError;
}
}  // namespace

TTL_API int ttl_dist_available() { return 0; }
TTL_API int ttl_store_tcp(const char*, int32_t, int32_t, int32_t, int64_t, void**) { return unavailable(); }
TTL_API void ttl_store_free(void*) {}
TTL_API int ttl_store_set(void*, const char*, const uint8_t*, int64_t) { return unavailable(); }
TTL_API int ttl_store_get(void*, const char*, uint8_t**, int64_t*) { return unavailable(); }
TTL_API void ttl_dist_free_bytes(uint8_t*) {}
TTL_API int ttl_store_add(void*, const char*, int64_t, int64_t*) { return unavailable(); }
TTL_API int ttl_store_check(void*, const char**, int32_t, int32_t*) { return unavailable(); }
TTL_API int ttl_pg_gloo(void*, int32_t, int32_t, int64_t, const char*, const char*, int32_t, void**) { return unavailable(); }
TTL_API void ttl_pg_free(void*) {}
TTL_API int ttl_pg_allreduce(void*, Tensor*, int32_t, void**) { return unavailable(); }
TTL_API int ttl_pg_broadcast(void*, Tensor*, int32_t, void**) { return unavailable(); }
TTL_API int ttl_pg_barrier(void*, void**) { return unavailable(); }
TTL_API int ttl_work_wait(void*) { return unavailable(); }
TTL_API void ttl_work_free(void*) {}
TTL_API int ttl_dist_all_reduce_autograd(void*, Tensor*, Tensor**) { return unavailable(); }

#endif
