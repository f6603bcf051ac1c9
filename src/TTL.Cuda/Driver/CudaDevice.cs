using System.Text;

namespace TTL.Cuda.Driver;

/// <summary>Device attributes the toolkit reads (values of CUdevice_attribute).</summary>
public enum DeviceAttribute
{
    MaxThreadsPerBlock = 1,
    MaxSharedMemoryPerBlock = 8,
    WarpSize = 10,
    ClockRateKHz = 13,
    MultiprocessorCount = 16,
    PciBusId = 33,
    MemoryClockRateKHz = 36,
    GlobalMemoryBusWidthBits = 37,
    L2CacheBytes = 38,
    MaxThreadsPerMultiprocessor = 39,
    ComputeCapabilityMajor = 75,
    ComputeCapabilityMinor = 76,
    MaxSharedMemoryPerMultiprocessor = 81,
    MaxSharedMemoryPerBlockOptin = 97,
}

/// <summary>One CUDA device as the driver describes it.</summary>
public sealed unsafe class CudaDevice
{
    private readonly CudaDriver _driver;

    private CudaDevice(CudaDriver driver, int ordinal, int handle)
    {
        _driver = driver;
        Ordinal = ordinal;
        Handle = handle;
    }

    /// <summary>The devices the driver reports; empty without a driver or device.</summary>
    public static IReadOnlyList<CudaDevice> All(CudaDriver? driver = null)
    {
        driver ??= CudaDriver.Default;
        var list = new List<CudaDevice>();
        for (int i = 0; i < driver.DeviceCount; i++) list.Add(Get(i, driver));
        return list;
    }

    public static CudaDevice Get(int ordinal, CudaDriver? driver = null)
    {
        driver ??= CudaDriver.Default;
        driver.EnsureAvailable();
        if (ordinal < 0 || ordinal >= driver.DeviceCount)
            throw new ArgumentOutOfRangeException(nameof(ordinal), ordinal, $"cuda:{ordinal} does not exist; the driver reports {driver.DeviceCount} device(s)");
        int h;
        driver.Check(driver.cuDeviceGet(&h, ordinal), "cuDeviceGet");
        return new CudaDevice(driver, ordinal, h);
    }

    public CudaDriver Driver => _driver;

    public int Ordinal { get; }

    /// <summary>The CUdevice handle.</summary>
    public int Handle { get; }

    public string Name
    {
        get
        {
            var buf = stackalloc byte[256];
            _driver.Check(_driver.cuDeviceGetName(buf, 256, Handle), "cuDeviceGetName");
            int n = 0;
            while (n < 256 && buf[n] != 0) n++;
            return Encoding.UTF8.GetString(buf, n);
        }
    }

    public int Attribute(DeviceAttribute a)
    {
        int v;
        _driver.Check(_driver.cuDeviceGetAttribute(&v, (int)a, Handle), "cuDeviceGetAttribute");
        return v;
    }

    public (int Major, int Minor) ComputeCapability => (Attribute(DeviceAttribute.ComputeCapabilityMajor), Attribute(DeviceAttribute.ComputeCapabilityMinor));

    /// <summary>Compute capability as one number, 90 for 9.0: the XX of sm_XX.</summary>
    public int Arch => ComputeCapability.Major * 10 + ComputeCapability.Minor;

    public long TotalMemoryBytes
    {
        get
        {
            nuint b;
            _driver.Check(_driver.cuDeviceTotalMem(&b, Handle), "cuDeviceTotalMem_v2");
            return (long)b;
        }
    }

    public int Multiprocessors => Attribute(DeviceAttribute.MultiprocessorCount);

    public override string ToString() => $"cuda:{Ordinal} {Name} (sm_{Arch})";
}
