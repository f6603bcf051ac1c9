namespace TTL.Cuda.Native;

/// <summary>Versions of the CUDA math libraries through their <c>…GetProperty</c> (no device needed).</summary>
internal static unsafe class LibraryVersion
{
    /// <summary>"major.minor.patch" from libraryPropertyType MAJOR_VERSION (0), MINOR_VERSION (1), PATCH_LEVEL (2).</summary>
    public static string? Of(NativeLib lib, string getProperty)
    {
        var f = lib.Export(getProperty);
        if (f == IntPtr.Zero) return lib.IsLoaded ? "unknown" : null;
        var get = (delegate* unmanaged<int, int*, int>)f;
        int major, minor, patch;
        if (get(0, &major) != 0 || get(1, &minor) != 0 || get(2, &patch) != 0) return "unknown";
        return $"{major}.{minor}.{patch}";
    }
}
