// The kernels compiled into the simulator, by entry name. The build generates one translation
// unit per kernel source: this header's TTLSIM_KERNEL(name) after the source registers each
// `extern "C" __global__` entry with its parameter layout (from the C++ signature) and a
// trampoline that calls it with arguments read from cuLaunchKernel's kernelParams.
#pragma once

#include <stddef.h>

#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace ttlsim {

struct ParamInfo
{
    size_t size;
    size_t align;
    bool pointer;
};

using Invoke = void (*)(const void* const* args);

struct KernelInfo
{
    std::string name;
    std::string source;   // the .cu file it comes from
    std::vector<ParamInfo> params;
    Invoke invoke;
};

bool register_kernel(const char* name, const char* source, std::vector<ParamInfo> params, Invoke invoke);
const KernelInfo* find_kernel(const std::string& name);

template <typename T>
using Bare = std::remove_cv_t<std::remove_reference_t<T>>;

template <typename... A>
std::vector<ParamInfo> params_of(void (*)(A...))
{
    return {ParamInfo{sizeof(Bare<A>), alignof(Bare<A>), std::is_pointer_v<Bare<A>>}...};
}

template <typename T>
inline T load_arg(const void* p)
{
    T v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}

template <auto K, typename... A, size_t... I>
void invoke_with(const void* const* args, std::index_sequence<I...>)
{
    K(load_arg<Bare<A>>(args[I])...);
}

template <auto K, typename... A>
void invoke_as(const void* const* args, void (*)(A...))
{
    invoke_with<K, A...>(args, std::index_sequence_for<A...>{});
}

template <auto K>
void invoke(const void* const* args)
{
    invoke_as<K>(args, K);
}

}  // namespace ttlsim

#define TTLSIM_KERNEL(name) \
    static const bool ttlsim_registered_##name = ::ttlsim::register_kernel(#name, TTLSIM_SOURCE, ::ttlsim::params_of(&name), &::ttlsim::invoke<&name>);
