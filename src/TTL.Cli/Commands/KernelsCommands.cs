using System.CommandLine;
using TTL.Cuda;
using TTL.Cuda.Driver;
using TTL.Cuda.Kernels;
using TTL.Cuda.Nvrtc;

namespace TTL.Cli.Commands;

/// <summary>`ttl kernels build`: compiles every CUDA kernel with NVRTC and reports what the compiler made of it.</summary>
public static class KernelsCommands
{
    public static Command Create()
    {
        var group = new Command("kernels", "the toolkit's CUDA kernels (native/kernels), compiled at run time by NVRTC");
        group.Subcommands.Add(Build());
        return group;
    }

    public sealed record KernelReport(string Name, int? Registers, int? StaticSharedBytes, int? LocalBytes, int? MaxThreadsPerBlock);

    public sealed record ModuleReport(string Source, string Arch, string Image, long ImageBytes, long PtxBytes, double CompileMs,
        string? CacheFile, string[] Emitted, KernelReport[] Kernels);

    /// <summary>The result; <c>attributes_unavailable</c> says why registers and shared memory are null (no driver, or the module does not load on this device).</summary>
    public sealed record BuildReport(string Nvrtc, string CacheDir, string Driver, string? AttributesUnavailable, ModuleReport[] Modules);

    private static Command Build()
    {
        var arch = new Option<string[]>("--arch")
        {
            Description = "compute_XX (PTX) or sm_XX (cubin), repeatable; default: the device's (cubin when NVRTC knows it), else compute_90",
        };
        var emit = new Option<string?>("--emit-ptx") { Description = "also write each module's PTX (and cubin) to DIR as SOURCE.ARCH.ptx, for profiling" };
        var json = CommonOptions.Json();
        var cmd = new Command("build", "compile every kernel; report image size, compile time, and registers / shared memory where a driver loads the module") { arch, emit, json };
        cmd.SetAction(pr =>
        {
            var report = Run(pr.GetValue(arch) ?? [], pr.GetValue(emit));
            if (pr.GetValue(json)) CommonOptions.PrintJson(report);
            else Print(report);
            return 0;
        });
        return cmd;
    }

    public static BuildReport Run(string[] archTexts, string? emitDir)
    {
        var nvrtc = NvrtcCompiler.Default;
        if (!nvrtc.IsAvailable) throw new CudaException("NVRTC: " + nvrtc.Lib.Absence);
        var supported = nvrtc.SupportedArchs();
        var archs = archTexts.Length > 0 ? archTexts.Select(a => CheckArch(a, supported, nvrtc.VersionText!)).ToArray() : [DefaultArch(supported)];
        var driver = CudaDriver.Default;
        var cache = KernelCache.Default;
        if (emitDir is not null) Directory.CreateDirectory(emitDir);

        string? unavailable = driver.IsAvailable ? null : driver.Status;
        using var context = driver.IsAvailable ? new PrimaryContext(CudaDevice.Get(0, driver)) : null;
        var modules = new List<ModuleReport>();
        foreach (var a in archs)
            foreach (var source in KernelSources.All)
            {
                var built = cache.Build(source, a);
                var image = built.Image;
                var entries = Ptx.Entries(image.Ptx!).Select(e => e.Name).ToArray();
                var kernels = entries.Select(e => new KernelReport(e, null, null, null, null)).ToArray();
                if (context is not null)
                {
                    try
                    {
                        using var module = CudaModule.Load(context, image.Image, image.IsPtx, source.File);
                        kernels = entries.Select(e =>
                        {
                            var at = module.Function(e).Attributes;
                            return new KernelReport(e, at.Registers, at.StaticSharedBytes, at.LocalBytes, at.MaxThreadsPerBlock);
                        }).ToArray();
                    }
                    catch (CudaException) when (driver.IsSimulator && image.IsPtx)
                    {
                        // A driver learns registers by compiling PTX at load; the simulator runs host code and knows them from cubins only.
                        unavailable = $"{a}: the CUDA simulator reports registers and shared memory of cubins (sm_XX) only";
                    }
                    catch (CudaException e)
                    {
                        unavailable = $"{a} does not load on {context.Device}: {e.Message.Split('\n')[0]}";
                    }
                }
                modules.Add(new ModuleReport(source.File, a.Name, a.ImageKind, image.Image.Length, image.Ptx!.Length, Math.Round(image.CompileMs, 1),
                    built.Path, emitDir is null ? [] : Emit(emitDir, source, image), kernels));
            }
        return new BuildReport(nvrtc.VersionText!, cache.Directory, driver.Status, unavailable, modules.ToArray());
    }

    private static GpuArch CheckArch(string text, int[] supported, string version)
    {
        if (!GpuArch.TryParse(text, out var arch))
            throw new UsageException($"--arch {text}: expected compute_XX (PTX) or sm_XX (cubin), e.g. compute_90 or sm_80");
        if (!supported.Contains(arch!.Number))
            throw new UsageException($"--arch {text}: NVRTC {version} targets {string.Join(", ", supported)} (as compute_XX or sm_XX)");
        return arch;
    }

    private static GpuArch DefaultArch(int[] supported)
    {
        var driver = CudaDriver.Default;
        if (driver.IsAvailable) return GpuDevice.ChooseTarget(CudaDevice.Get(0, driver).Arch, supported);
        return new GpuArch(supported.Contains(90) ? 90 : supported.Max(), IsReal: false);
    }

    private static string[] Emit(string dir, KernelSource source, CompiledImage image)
    {
        var written = new List<string>();
        void Write(string path, byte[] bytes)
        {
            // Atomic like every output: a temporary name, then renamed into place.
            var tmp = path + ".tmp";
            File.WriteAllBytes(tmp, bytes);
            File.Move(tmp, path, overwrite: true);
            written.Add(path);
        }
        var stem = Path.Combine(dir, $"{source.Name}.{image.Arch.Name}");
        Write(stem + ".ptx", System.Text.Encoding.ASCII.GetBytes(image.Ptx!));
        if (image.Arch.IsReal) Write(stem + ".cubin", image.Image);
        return written.ToArray();
    }

    private static void Print(BuildReport r)
    {
        Console.WriteLine($"NVRTC {r.Nvrtc}; cache {r.CacheDir}");
        Console.WriteLine($"{"source",-16}{"arch",-12}{"image",-7}{"bytes",10}{"ms",9}  {"kernel",-26}{"regs",6}{"smem",7}{"local",7}");
        static string N(int? v) => v?.ToString() ?? "-";
        foreach (var m in r.Modules)
            for (int i = 0; i < m.Kernels.Length; i++)
            {
                var k = m.Kernels[i];
                string head = i == 0 ? $"{m.Source,-16}{m.Arch,-12}{m.Image,-7}{m.ImageBytes,10}{m.CompileMs,9:F1}" : new string(' ', 54);
                Console.WriteLine($"{head}  {k.Name,-26}{N(k.Registers),6}{N(k.StaticSharedBytes),7}{N(k.LocalBytes),7}");
            }
        if (r.AttributesUnavailable is not null)
            Console.WriteLine($"registers and shared memory need a CUDA driver that loads the module; not available here: {r.AttributesUnavailable}");
        foreach (var path in r.Modules.SelectMany(m => m.Emitted)) Console.WriteLine($"wrote {path}");
    }
}
