using TTL.Cuda.Blas;
using TTL.Cuda.Driver;
using TTL.Cuda.Nvrtc;
using TTL.Cuda.Solver;

namespace TTL.Cuda.Tests.Driver;

/// <summary>
/// Every enum value the bindings pass to or decode from a CUDA library, against the constants of
/// its header (cuda.h, cublas_api.h, cusolver_common.h / cusolverDn.h, nvrtc.h), written out here
/// by hand: a wrong number would otherwise only show on a GPU, as a wrong attribute or a refused call.
/// </summary>
public sealed class BindingConstantsTests
{
    [Fact]
    public void Device_attributes_are_the_cuda_h_values()
    {
        var expected = new Dictionary<DeviceAttribute, int>
        {
            [DeviceAttribute.MaxThreadsPerBlock] = 1,                // CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK
            [DeviceAttribute.MaxSharedMemoryPerBlock] = 8,           // ..._MAX_SHARED_MEMORY_PER_BLOCK
            [DeviceAttribute.WarpSize] = 10,                         // ..._WARP_SIZE
            [DeviceAttribute.ClockRateKHz] = 13,                     // ..._CLOCK_RATE
            [DeviceAttribute.MultiprocessorCount] = 16,              // ..._MULTIPROCESSOR_COUNT
            [DeviceAttribute.PciBusId] = 33,                         // ..._PCI_BUS_ID
            [DeviceAttribute.MemoryClockRateKHz] = 36,               // ..._MEMORY_CLOCK_RATE
            [DeviceAttribute.GlobalMemoryBusWidthBits] = 37,         // ..._GLOBAL_MEMORY_BUS_WIDTH
            [DeviceAttribute.L2CacheBytes] = 38,                     // ..._L2_CACHE_SIZE
            [DeviceAttribute.MaxThreadsPerMultiprocessor] = 39,      // ..._MAX_THREADS_PER_MULTIPROCESSOR
            [DeviceAttribute.ComputeCapabilityMajor] = 75,           // ..._COMPUTE_CAPABILITY_MAJOR
            [DeviceAttribute.ComputeCapabilityMinor] = 76,           // ..._COMPUTE_CAPABILITY_MINOR
            [DeviceAttribute.MaxSharedMemoryPerMultiprocessor] = 81, // ..._MAX_SHARED_MEMORY_PER_MULTIPROCESSOR
            [DeviceAttribute.MaxSharedMemoryPerBlockOptin] = 97,     // ..._MAX_SHARED_MEMORY_PER_BLOCK_OPTIN
        };
        Assert.Equal(expected.Count, Enum.GetValues<DeviceAttribute>().Length);
        foreach (var (a, v) in expected) Assert.True((int)a == v, $"{a} = {(int)a}, cuda.h says {v}");
    }

    [Fact]
    public void Function_attributes_and_jit_options_are_the_cuda_h_values()
    {
        Assert.Equal(0, (int)FunctionAttribute.MaxThreadsPerBlock); // CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK
        Assert.Equal(1, (int)FunctionAttribute.SharedSizeBytes);    // ..._SHARED_SIZE_BYTES
        Assert.Equal(2, (int)FunctionAttribute.ConstSizeBytes);     // ..._CONST_SIZE_BYTES
        Assert.Equal(3, (int)FunctionAttribute.LocalSizeBytes);     // ..._LOCAL_SIZE_BYTES
        Assert.Equal(4, (int)FunctionAttribute.NumRegs);            // ..._NUM_REGS
        Assert.Equal(5, (int)FunctionAttribute.PtxVersion);         // ..._PTX_VERSION
        Assert.Equal(6, (int)FunctionAttribute.BinaryVersion);      // ..._BINARY_VERSION
        Assert.Equal(5, (int)JitOption.ErrorLogBuffer);             // CU_JIT_ERROR_LOG_BUFFER
        Assert.Equal(6, (int)JitOption.ErrorLogBufferSizeBytes);    // CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES
    }

    [Fact]
    public void Cublas_operation_fill_mode_and_status_are_the_header_values()
    {
        Assert.Equal((0, 1), ((int)BlasOp.N, (int)BlasOp.T));               // CUBLAS_OP_N, CUBLAS_OP_T
        Assert.Equal((0, 1), ((int)BlasFill.Lower, (int)BlasFill.Upper));   // CUBLAS_FILL_MODE_LOWER, _UPPER
        var status = new Dictionary<int, string>
        {
            [1] = "CUBLAS_STATUS_NOT_INITIALIZED", [3] = "CUBLAS_STATUS_ALLOC_FAILED", [7] = "CUBLAS_STATUS_INVALID_VALUE",
            [8] = "CUBLAS_STATUS_ARCH_MISMATCH", [11] = "CUBLAS_STATUS_MAPPING_ERROR", [13] = "CUBLAS_STATUS_EXECUTION_FAILED",
            [14] = "CUBLAS_STATUS_INTERNAL_ERROR", [15] = "CUBLAS_STATUS_NOT_SUPPORTED", [16] = "CUBLAS_STATUS_LICENSE_ERROR",
        };
        foreach (var (code, name) in status) Assert.Equal(name, CublasLibrary.StatusName(code));
        Assert.Equal("cublasStatus_t 2", CublasLibrary.StatusName(2));
    }

    [Fact]
    public void Cusolver_eig_mode_and_status_are_the_header_values()
    {
        Assert.Equal((0, 1), ((int)EigMode.NoVector, (int)EigMode.Vector)); // CUSOLVER_EIG_MODE_NOVECTOR, _VECTOR
        string[] names =
        [
            "", "CUSOLVER_STATUS_NOT_INITIALIZED", "CUSOLVER_STATUS_ALLOC_FAILED", "CUSOLVER_STATUS_INVALID_VALUE",
            "CUSOLVER_STATUS_ARCH_MISMATCH", "CUSOLVER_STATUS_MAPPING_ERROR", "CUSOLVER_STATUS_EXECUTION_FAILED",
            "CUSOLVER_STATUS_INTERNAL_ERROR", "CUSOLVER_STATUS_MATRIX_TYPE_NOT_SUPPORTED", "CUSOLVER_STATUS_NOT_SUPPORTED",
            "CUSOLVER_STATUS_ZERO_PIVOT", "CUSOLVER_STATUS_INVALID_LICENSE",
        ];
        for (int code = 1; code < names.Length; code++) Assert.Equal(names[code], CusolverLibrary.Status(code).Name);
    }

    [Fact]
    public void Nvrtc_result_codes_are_described_by_their_header_meaning()
    {
        // nvrtcResult: 1 OUT_OF_MEMORY, 2 PROGRAM_CREATION_FAILURE, 3 INVALID_INPUT, 4 INVALID_PROGRAM,
        // 5 INVALID_OPTION, 6 COMPILATION, 7 BUILTIN_OPERATION_FAILURE, 11 INTERNAL_ERROR.
        Assert.Equal("out of memory", NvrtcCompiler.Description(1));
        Assert.Equal("invalid option", NvrtcCompiler.Description(5));
        Assert.Equal("compilation failed", NvrtcCompiler.Description(6));
        Assert.StartsWith("a builtin operation failed", NvrtcCompiler.Description(7));
        Assert.Equal("internal NVRTC error", NvrtcCompiler.Description(11));
    }
}
