// C ABI shim over libtorch for the managed TTL.Torch binding.
//
// The surface is deliberately small: any ATen operator is reached through the dispatcher by
// name (a boxed call, which goes through autograd like a typed call), and only what has no
// operator (tensor lifetime, raw data, autograd entry points, runtime settings) is a typed
// function here. Every entry point catches every C++ exception and reports it through
// ttl_last_error(); nothing in here may terminate the process.
//
// Compiles against libtorch 1.13 (Debian) and 2.x (PyTorch wheels): it uses only API present in
// both, and names no optional type (c10::optional became std::optional during 2.x).

#include <torch/torch.h>
#include <torch/version.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/Parallel.h>
#include <ATen/autocast_mode.h>

#include <cstring>
#include <string>
#include <vector>

#include "ttl_common.h"

namespace ttl {
thread_local std::string last_error;
}  // namespace ttl

using ttl::box;
using ttl::guarded;

// ---------------------------------------------------------------------------------------------
// Values exchanged with boxed operator calls. The layout is mirrored by TTL.Torch.Native.Value.

enum ttl_tag : int32_t {
  TAG_NONE = 0,        // None / an omitted optional
  TAG_TENSOR = 1,      // p: Tensor*
  TAG_INT = 2,         // i
  TAG_DOUBLE = 3,      // d
  TAG_BOOL = 4,        // i (0 / 1)
  TAG_INT_LIST = 5,    // p: int64_t[len]
  TAG_DOUBLE_LIST = 6, // p: double[len]
  TAG_TENSOR_LIST = 7, // p: Tensor*[len]; on output an array to release with ttl_free_array
  TAG_STRING = 8,      // p: UTF-8, NUL-terminated
  TAG_DEVICE = 9,      // i: device type (0 cpu, 1 cuda), len: index (-1 for none)
  TAG_DEFAULT = 10,    // the schema's default value for this argument
  TAG_OPT_TENSOR_LIST = 11, // p: Tensor*[len], null entries are None (aten::index)
  TAG_BOOL_LIST = 12,  // p: uint8_t[len]
};

struct ttl_value {
  int32_t tag;
  int32_t len;
  int64_t i;
  double d;
  void* p;
};

static_assert(sizeof(ttl_value) == 32, "ttl_value layout is shared with C#");

namespace {

c10::IValue to_ivalue(const ttl_value& v, const c10::Argument& arg) {
  switch (v.tag) {
    case TAG_NONE:
      return c10::IValue();
    case TAG_TENSOR:
      return c10::IValue(*static_cast<Tensor*>(v.p));
    case TAG_INT:
      return c10::IValue(v.i);
    case TAG_DOUBLE:
      return c10::IValue(v.d);
    case TAG_BOOL:
      return c10::IValue(v.i != 0);
    case TAG_INT_LIST: {
      auto* data = static_cast<const int64_t*>(v.p);
      return c10::IValue(std::vector<int64_t>(data, data + v.len));
    }
    case TAG_DOUBLE_LIST: {
      auto* data = static_cast<const double*>(v.p);
      return c10::IValue(std::vector<double>(data, data + v.len));
    }
    case TAG_BOOL_LIST: {
      auto* data = static_cast<const uint8_t*>(v.p);
      c10::List<bool> list;
      for (int32_t k = 0; k < v.len; ++k) list.push_back(data[k] != 0);
      return c10::IValue(list);
    }
    case TAG_TENSOR_LIST: {
      auto** data = static_cast<Tensor**>(v.p);
      std::vector<Tensor> list;
      list.reserve(v.len);
      for (int32_t k = 0; k < v.len; ++k) list.push_back(*data[k]);
      return c10::IValue(list);
    }
    case TAG_OPT_TENSOR_LIST: {
      // Built as a generic list of Tensor? so that no optional type is named: c10::optional
      // became std::optional during 2.x.
      auto** data = static_cast<Tensor**>(v.p);
      c10::impl::GenericList list(c10::OptionalType::create(c10::TensorType::get()));
      for (int32_t k = 0; k < v.len; ++k)
        list.push_back(data[k] ? c10::IValue(*data[k]) : c10::IValue());
      return c10::IValue(list);
    }
    case TAG_STRING:
      return c10::IValue(std::string(static_cast<const char*>(v.p)));
    case TAG_DEVICE:
      return c10::IValue(c10::Device(v.i == 1 ? c10::DeviceType::CUDA : c10::DeviceType::CPU,
                                     static_cast<c10::DeviceIndex>(v.len)));
    case TAG_DEFAULT: {
      if (!arg.default_value().has_value())
        throw std::invalid_argument("argument '" + arg.name() + "' has no default value");
      return *arg.default_value();
    }
    default:
      throw std::invalid_argument("unknown value tag " + std::to_string(v.tag));
  }
}

void from_ivalue(c10::IValue&& iv, ttl_value& out) {
  std::memset(&out, 0, sizeof(out));
  if (iv.isNone()) {
    out.tag = TAG_NONE;
  } else if (iv.isTensor()) {
    out.tag = TAG_TENSOR;
    out.p = box(std::move(iv).toTensor());
  } else if (iv.isInt()) {
    out.tag = TAG_INT;
    out.i = iv.toInt();
  } else if (iv.isDouble()) {
    out.tag = TAG_DOUBLE;
    out.d = iv.toDouble();
  } else if (iv.isBool()) {
    out.tag = TAG_BOOL;
    out.i = iv.toBool() ? 1 : 0;
  } else if (iv.isTensorList()) {
    auto list = std::move(iv).toTensorList();
    auto** arr = new Tensor*[list.size()];
    for (size_t k = 0; k < list.size(); ++k) arr[k] = box(list.get(k));
    out.tag = TAG_TENSOR_LIST;
    out.len = static_cast<int32_t>(list.size());
    out.p = arr;
  } else if (iv.isIntList()) {
    auto list = iv.toIntVector();
    auto* arr = new int64_t[list.size()];
    std::copy(list.begin(), list.end(), arr);
    out.tag = TAG_INT_LIST;
    out.len = static_cast<int32_t>(list.size());
    out.p = arr;
  } else {
    throw std::runtime_error("unsupported return type " + iv.tagKind());
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Errors and runtime

TTL_API const char* ttl_last_error() { return ttl::last_error.c_str(); }

TTL_API const char* ttl_torch_version() {
  static const std::string v = TORCH_VERSION;
  return v.c_str();
}

TTL_API int ttl_build_flags(int* cuda, int* mkldnn, int* openmp, int* mkl) {
  return guarded([&] {
    *cuda = at::hasCUDA() ? 1 : 0;
    *mkldnn = at::hasMKLDNN() ? 1 : 0;
    *openmp = at::hasOpenMP() ? 1 : 0;
    *mkl = at::hasMKL() ? 1 : 0;
  });
}

TTL_API int ttl_cuda_device_count() {
  try {
    return torch::cuda::is_available() ? static_cast<int>(torch::cuda::device_count()) : 0;
  } catch (...) {
    return 0;
  }
}

TTL_API int ttl_cuda_synchronize(int device) {
  return guarded([&] { torch::cuda::synchronize(device); });
}

TTL_API void ttl_set_num_threads(int n) {
  try { at::set_num_threads(n); } catch (...) {}
}

TTL_API int ttl_get_num_threads() { return at::get_num_threads(); }

TTL_API int ttl_manual_seed(uint64_t seed) {
  return guarded([&] { torch::manual_seed(seed); });
}

TTL_API int ttl_set_grad_enabled(int enabled) {
  int previous = at::GradMode::is_enabled() ? 1 : 0;
  at::GradMode::set_enabled(enabled != 0);
  return previous;
}

TTL_API int ttl_is_grad_enabled() { return at::GradMode::is_enabled() ? 1 : 0; }

// ---------------------------------------------------------------------------------------------
// Automatic mixed precision: what torch.autocast's __enter__/__exit__ do, for one device type
// (0 cpu, 1 cuda). libtorch 2.4 replaced the per-device functions (set_cpu_enabled,
// set_autocast_gpu_dtype, ...) by ones that take the device type; both forms are spelled here.

namespace {

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
bool autocast_enabled(at::DeviceType d) { return at::autocast::is_autocast_enabled(d); }
void set_autocast_enabled(at::DeviceType d, bool on) { at::autocast::set_autocast_enabled(d, on); }
at::ScalarType autocast_dtype(at::DeviceType d) { return at::autocast::get_autocast_dtype(d); }
void set_autocast_dtype(at::DeviceType d, at::ScalarType t) { at::autocast::set_autocast_dtype(d, t); }
#else
bool autocast_enabled(at::DeviceType d) { return d == at::kCUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled(); }
void set_autocast_enabled(at::DeviceType d, bool on) {
  if (d == at::kCUDA) at::autocast::set_enabled(on);
  else at::autocast::set_cpu_enabled(on);
}
at::ScalarType autocast_dtype(at::DeviceType d) {
  return d == at::kCUDA ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
}
void set_autocast_dtype(at::DeviceType d, at::ScalarType t) {
  if (d == at::kCUDA) at::autocast::set_autocast_gpu_dtype(t);
  else at::autocast::set_autocast_cpu_dtype(t);
}
#endif

at::DeviceType autocast_device(int32_t device) { return device == 1 ? at::kCUDA : at::kCPU; }

}  // namespace

// Enters an autocast region on this thread: ops of the device type run in `dtype` where autocast
// lists them. The previous state comes back through prev_* for ttl_autocast_exit.
TTL_API int ttl_autocast_enter(int32_t device, int32_t dtype, int32_t* prev_enabled, int32_t* prev_dtype) {
  return guarded([&] {
    auto d = autocast_device(device);
    *prev_enabled = autocast_enabled(d) ? 1 : 0;
    *prev_dtype = static_cast<int32_t>(autocast_dtype(d));
    set_autocast_dtype(d, static_cast<at::ScalarType>(dtype));
    set_autocast_enabled(d, true);
    at::autocast::increment_nesting();
  });
}

// Leaves it: the outermost exit drops the cast weights autocast cached, then the previous state returns.
TTL_API int ttl_autocast_exit(int32_t device, int32_t prev_enabled, int32_t prev_dtype) {
  return guarded([&] {
    auto d = autocast_device(device);
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    set_autocast_enabled(d, prev_enabled != 0);
    set_autocast_dtype(d, static_cast<at::ScalarType>(prev_dtype));
  });
}

TTL_API void ttl_free_array(void* p, int32_t tag) {
  if (tag == TAG_INT_LIST) delete[] static_cast<int64_t*>(p);
  else delete[] static_cast<Tensor**>(p);
}

// ---------------------------------------------------------------------------------------------
// Boxed operator calls

// Finds an operator by name ("aten::conv3d") and overload ("" for the default); the handle
// lives for the life of the process.
TTL_API int ttl_op_find(const char* name, const char* overload, void** handle) {
  return guarded([&] {
    const auto& op = c10::Dispatcher::singleton().findSchemaOrThrow(name, overload);
    *handle = new c10::OperatorHandle(op);
  });
}

TTL_API int ttl_op_schema(void* handle, char* buffer, int32_t size) {
  return guarded([&] {
    std::stringstream ss;
    ss << static_cast<c10::OperatorHandle*>(handle)->schema();
    std::string s = ss.str();
    std::strncpy(buffer, s.c_str(), size - 1);
    buffer[size - 1] = '\0';
  });
}

// Calls an operator with `nargs` leading arguments; the remaining ones take their schema
// defaults. Results are written to `outs` (at most `max_outs`), their count to `*nouts`.
TTL_API int ttl_op_call(void* handle, const ttl_value* args, int32_t nargs, ttl_value* outs,
                        int32_t max_outs, int32_t* nouts) {
  return guarded([&] {
    const auto& op = *static_cast<c10::OperatorHandle*>(handle);
    const auto& schema = op.schema();
    const auto& params = schema.arguments();
    if (static_cast<size_t>(nargs) > params.size())
      throw std::invalid_argument(schema.name() + ": " + std::to_string(nargs) +
                                  " arguments given, schema takes " + std::to_string(params.size()));
    torch::jit::Stack stack;
    stack.reserve(params.size());
    for (size_t k = 0; k < params.size(); ++k) {
      if (k < static_cast<size_t>(nargs)) {
        stack.push_back(to_ivalue(args[k], params[k]));
      } else if (params[k].default_value().has_value()) {
        stack.push_back(*params[k].default_value());
      } else {
        throw std::invalid_argument(schema.name() + ": missing required argument '" +
                                    params[k].name() + "'");
      }
    }
    op.callBoxed(&stack);
    if (stack.size() > static_cast<size_t>(max_outs))
      throw std::runtime_error(schema.name() + " returned " + std::to_string(stack.size()) +
                               " values, caller expected at most " + std::to_string(max_outs));
    for (size_t k = 0; k < stack.size(); ++k) from_ivalue(std::move(stack[k]), outs[k]);
    *nouts = static_cast<int32_t>(stack.size());
  });
}

// ---------------------------------------------------------------------------------------------
// Typed fast paths for the elementwise arithmetic that dominates optimizer and loss code: the
// boxed path builds an argument stack per call, these call ATen directly (same kernels, same
// autograd).

enum ttl_binary_op : int32_t { BIN_ADD = 0, BIN_SUB = 1, BIN_MUL = 2, BIN_DIV = 3 };

TTL_API int ttl_binary(int32_t op, Tensor* a, Tensor* b, double alpha, Tensor** out) {
  return guarded([&] {
    switch (op) {
      case BIN_ADD: *out = box(alpha == 1.0 ? at::add(*a, *b) : at::add(*a, *b, alpha)); break;
      case BIN_SUB: *out = box(alpha == 1.0 ? at::sub(*a, *b) : at::sub(*a, *b, alpha)); break;
      case BIN_MUL: *out = box(at::mul(*a, *b)); break;
      case BIN_DIV: *out = box(at::div(*a, *b)); break;
      default: throw std::invalid_argument("unknown binary op " + std::to_string(op));
    }
  });
}

// Tensor (op) scalar; an integral scalar keeps integer tensors integral, as in PyTorch.
TTL_API int ttl_binary_scalar(int32_t op, Tensor* a, double value, int is_integral, Tensor** out) {
  return guarded([&] {
    at::Scalar v = is_integral ? at::Scalar(static_cast<int64_t>(value)) : at::Scalar(value);
    switch (op) {
      case BIN_ADD: *out = box(at::add(*a, v)); break;
      case BIN_SUB: *out = box(at::sub(*a, v)); break;
      case BIN_MUL: *out = box(at::mul(*a, v)); break;
      case BIN_DIV: *out = box(at::div(*a, v)); break;
      default: throw std::invalid_argument("unknown binary op " + std::to_string(op));
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Tensor lifetime, metadata and data

TTL_API void ttl_tensor_free(Tensor* t) { delete t; }

// A second handle to the same tensor (shares storage and autograd identity).
TTL_API Tensor* ttl_tensor_alias(Tensor* t) { return new Tensor(*t); }

TTL_API int64_t ttl_tensor_dim(Tensor* t) { return t->dim(); }

TTL_API int64_t ttl_tensor_numel(Tensor* t) { return t->numel(); }

TTL_API void ttl_tensor_sizes(Tensor* t, int64_t* out) {
  auto s = t->sizes();
  std::copy(s.begin(), s.end(), out);
}

TTL_API void ttl_tensor_strides(Tensor* t, int64_t* out) {
  auto s = t->strides();
  std::copy(s.begin(), s.end(), out);
}

TTL_API int32_t ttl_tensor_dtype(Tensor* t) { return static_cast<int32_t>(t->scalar_type()); }

TTL_API void ttl_tensor_device(Tensor* t, int32_t* type, int32_t* index) {
  auto d = t->device();
  *type = d.is_cuda() ? 1 : 0;
  *index = d.has_index() ? d.index() : -1;
}

TTL_API int ttl_tensor_defined(Tensor* t) { return t->defined() ? 1 : 0; }

TTL_API int ttl_tensor_is_contiguous(Tensor* t) { return t->is_contiguous() ? 1 : 0; }

TTL_API int ttl_tensor_requires_grad(Tensor* t) { return t->requires_grad() ? 1 : 0; }

TTL_API int ttl_tensor_is_leaf(Tensor* t) { return t->is_leaf() ? 1 : 0; }

TTL_API int ttl_tensor_set_requires_grad(Tensor* t, int on) {
  return guarded([&] { t->set_requires_grad(on != 0); });
}

// New CPU tensor holding a copy of `nbytes` bytes at `data`.
TTL_API int ttl_tensor_from_data(const void* data, const int64_t* shape, int32_t ndim,
                                 int32_t dtype, Tensor** out) {
  return guarded([&] {
    auto t = torch::empty(c10::IntArrayRef(shape, ndim),
                          torch::TensorOptions().dtype(static_cast<c10::ScalarType>(dtype)));
    if (t.nbytes() > 0) std::memcpy(t.data_ptr(), data, t.nbytes());
    *out = box(std::move(t));
  });
}

// Copies a tensor's elements (any device, any layout) into `dst` as a dense row-major array.
TTL_API int ttl_tensor_copy_to(Tensor* t, void* dst, int64_t nbytes) {
  return guarded([&] {
    auto src = t->detach().to(torch::kCPU).contiguous();
    if (static_cast<int64_t>(src.nbytes()) != nbytes)
      throw std::invalid_argument("copy_to: buffer holds " + std::to_string(nbytes) +
                                  " bytes, tensor needs " + std::to_string(src.nbytes()));
    if (nbytes > 0) std::memcpy(dst, src.data_ptr(), nbytes);
  });
}

// Raw data pointer of a tensor (no copy); valid while the tensor lives.
TTL_API void* ttl_tensor_data_ptr(Tensor* t) { return t->data_ptr(); }

TTL_API int ttl_tensor_to_string(Tensor* t, char* buffer, int32_t size) {
  return guarded([&] {
    std::stringstream ss;
    ss << *t;
    std::string s = ss.str();
    std::strncpy(buffer, s.c_str(), size - 1);
    buffer[size - 1] = '\0';
  });
}

// ---------------------------------------------------------------------------------------------
// Autograd

TTL_API int ttl_tensor_grad(Tensor* t, Tensor** out) {
  return guarded([&] {
    const auto& g = t->grad();
    *out = g.defined() ? box(g) : nullptr;
  });
}

TTL_API int ttl_tensor_set_grad(Tensor* t, Tensor* grad) {
  return guarded([&] { t->mutable_grad() = grad ? *grad : Tensor(); });
}

TTL_API int ttl_backward(Tensor* t, Tensor* grad, int retain_graph, int create_graph) {
  return guarded([&] {
    // PyTorch's default for an unspecified retain_graph is create_graph; passing the bool
    // converts to whichever optional<bool> this libtorch uses.
    t->backward(grad ? *grad : Tensor(), retain_graph != 0 || create_graph != 0, create_graph != 0);
  });
}

// torch.autograd.grad(outputs, inputs, grad_outputs): writes one gradient handle per input
// (null where the input was not reached and allow_unused is set).
TTL_API int ttl_autograd_grad(Tensor** outputs, Tensor** grad_outputs, int32_t nout,
                              Tensor** inputs, int32_t nin, int retain_graph, int create_graph,
                              int allow_unused, Tensor** result) {
  return guarded([&] {
    std::vector<Tensor> outs, gouts, ins;
    for (int32_t k = 0; k < nout; ++k) {
      outs.push_back(*outputs[k]);
      gouts.push_back(grad_outputs && grad_outputs[k] ? *grad_outputs[k] : Tensor());
    }
    for (int32_t k = 0; k < nin; ++k) ins.push_back(*inputs[k]);
    auto grads = torch::autograd::grad(outs, ins, gouts, retain_graph != 0 || create_graph != 0,
                                       create_graph != 0, allow_unused != 0);
    for (int32_t k = 0; k < nin; ++k) result[k] = grads[k].defined() ? box(grads[k]) : nullptr;
  });
}
