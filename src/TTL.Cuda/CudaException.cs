namespace TTL.Cuda;

/// <summary>
/// A CUDA library call that failed: the message names the call, the library's error name and its
/// description, e.g. <c>cuMemAlloc_v2: CUDA_ERROR_OUT_OF_MEMORY (2): out of memory</c>.
/// </summary>
public class CudaException : Exception
{
    public CudaException(string call, int code, string name, string description, string? detail = null)
        : base($"{call}: {name} ({code}): {description}{(string.IsNullOrEmpty(detail) ? "" : "\n" + detail)}")
    {
        Call = call;
        Code = code;
        ErrorName = name;
    }

    /// <summary>For failures that are not a status code (a library or export that is missing).</summary>
    public CudaException(string message) : base(message)
    {
        Call = "";
        ErrorName = "";
    }

    /// <summary>The function that failed, e.g. <c>cuLaunchKernel</c>.</summary>
    public string Call { get; }

    /// <summary>The status the library returned (CUresult, nvrtcResult, cublasStatus_t, cusolverStatus_t).</summary>
    public int Code { get; }

    /// <summary>The status's symbolic name, e.g. <c>CUDA_ERROR_INVALID_VALUE</c>.</summary>
    public string ErrorName { get; }
}

/// <summary>NVRTC rejected a kernel source; <see cref="Log"/> is the compiler's log, also part of the message.</summary>
public sealed class NvrtcCompileException(string call, int code, string name, string description, string source, string log)
    : CudaException(call, code, name, description, $"{source}:\n{log.TrimEnd()}")
{
    public string Source { get; } = source;

    public string Log { get; } = log;
}
