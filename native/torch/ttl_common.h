// Shared by the shim's translation units: the export macro and the exception guard that turns
// every C++ exception into a status code plus a thread-local message (ttl_last_error()).
#pragma once

#include <torch/torch.h>

#include <string>

#define TTL_API extern "C" __attribute__((visibility("default")))

using at::Tensor;

namespace ttl {

// Defined in ttl_torch.cpp.
extern thread_local std::string last_error;

// Status codes returned by every fallible entry point.
constexpr int kOk = 0;
constexpr int kError = 1;

template <typename F>
int guarded(F&& f) {
  try {
    f();
    return kOk;
  } catch (const c10::Error& e) {
    last_error = e.what_without_backtrace();
  } catch (const std::exception& e) {
    last_error = e.what();
  } catch (...) {
    last_error = "unknown C++ exception";
  }
  return kError;
}

inline Tensor* box(Tensor t) { return new Tensor(std::move(t)); }

}  // namespace ttl
