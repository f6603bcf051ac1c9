using System.Text.Json;
using System.Xml.Linq;
using TTL.Analysis.Svcca;
using TTL.TestSupport;
using Ttl = TTL.TestSupport.Cli;
using static TTL.Analysis.Tests.Svcca.TestMatrices;

namespace TTL.Analysis.Tests.Svcca;

public class SvccaCliTests
{
    [Fact]
    public void JsonOutputHasTheCliShapeAndMatchesTheLibrary()
    {
        const int n = 1500, ca = 12, cb = 9;
        var (a, b) = SharedLatent(n, ca, cb, 3, 0.5, 200);
        using var dir = new TempDir();
        Write(dir.File("a.safetensors"), a.Select(v => (float)v).ToArray(), n, ca);
        Write(dir.File("b.safetensors"), b, n, cb);
        var r = Ttl.Run("svcca", "--acts-a", dir.File("a.safetensors"), "--acts-b", dir.File("b.safetensors"), "--json", "--seed", "3", "--threads", "2");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var json = JsonDocument.Parse(r.Stdout).RootElement;

        var ours = SvccaAnalysis.Compare(Matrix(a.Select(v => (double)(float)v).ToArray(), n, ca), Matrix(b, n, cb), new SvccaOptions());
        Assert.Equal(n, json.GetProperty("n").GetInt64());
        Assert.Equal(ca, json.GetProperty("c_a").GetInt32());
        Assert.Equal(cb, json.GetProperty("c_b").GetInt32());
        Assert.Equal(ours.KeptA, json.GetProperty("kept_a").GetInt32());
        Assert.Equal(ours.KeptB, json.GetProperty("kept_b").GetInt32());
        Assert.Equal(ours.Cca, json.GetProperty("cca").EnumerateArray().Select(e => e.GetDouble()).ToArray());
        Assert.Equal(ours.MeanCca, json.GetProperty("mean_cca").GetDouble(), 1e-12);
        Assert.Equal(ours.Pwcca, json.GetProperty("pwcca").GetDouble(), 1e-12);
        Assert.Equal(ours.Cka, json.GetProperty("cka").GetDouble(), 1e-12);
        double baseline = json.GetProperty("baseline_mean_cca").GetDouble();
        Assert.InRange(baseline, 0, 0.2);
        Assert.True(ours.MeanCca > baseline);
    }

    [Fact]
    public void OutWritesJsonCsvAndSvgAndFiveDimensionalInputsFold()
    {
        const int batch = 4, c = 6, s = 27;
        var x = Gaussian(batch * c * s, 1, 210);
        var y = x.Select((v, i) => 2 * v + 0.1 * (i % 7)).ToArray();
        using var dir = new TempDir();
        Write(dir.File("a.safetensors"), x, batch, c, 3, 3, 3);
        Write(dir.File("b.safetensors"), y, batch, c, 3, 3, 3);
        string outDir = dir.File("report");
        var r = Ttl.Run("svcca", "--acts-a", dir.File("a.safetensors"), "--acts-b", dir.File("b.safetensors"), "--out", outDir);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "svcca.json"))).RootElement;
        Assert.Equal(batch * s, json.GetProperty("n").GetInt64());
        var lines = File.ReadAllLines(Path.Combine(outDir, "cca.csv"));
        Assert.Equal("index,cca,baseline_cca,pwcca_weight", lines[0]);
        Assert.Equal(json.GetProperty("cca").GetArrayLength() + 1, lines.Length);
        var svg = XDocument.Load(Path.Combine(outDir, "cca.svg"));
        Assert.Equal(2, svg.Descendants(XName.Get("polyline", "http://www.w3.org/2000/svg")).Count());
        Assert.Empty(Directory.GetFiles(outDir, "*.tmp-*"));
    }

    [Fact]
    public void BadInputsExitWithCode3NamingTheFile()
    {
        using var dir = new TempDir();
        Write(dir.File("good.safetensors"), Gaussian(100, 5, 220), 100, 5);
        Write(dir.File("short.safetensors"), Gaussian(90, 5, 221), 90, 5);
        Write(dir.File("flat.safetensors"), Gaussian(100, 1, 222), 100);
        var nan = Gaussian(100, 5, 223);
        nan[17] = double.NaN;
        Write(dir.File("nan.safetensors"), nan, 100, 5);
        File.WriteAllText(dir.File("junk.safetensors"), "not a safetensors file");

        foreach (var (file, expect) in new[]
        {
            ("missing.safetensors", "missing.safetensors"), ("short.safetensors", "short.safetensors"),
            ("flat.safetensors", "flat.safetensors"), ("nan.safetensors", "nan.safetensors"), ("junk.safetensors", "junk.safetensors"),
        })
        {
            var r = Ttl.Run("svcca", "--acts-a", dir.File("good.safetensors"), "--acts-b", dir.File(file), "--json");
            Assert.True(r.ExitCode == 3, $"{file}: exit {r.ExitCode}, stderr {r.Stderr}");
            Assert.Contains(expect, r.Stderr);
            Assert.StartsWith("error: ", r.Stderr);
            Assert.Equal("", r.Stdout);
        }
    }

    [Fact]
    public void VarianceAndKeepTogetherIsAUsageError()
    {
        using var dir = new TempDir();
        Write(dir.File("a.safetensors"), Gaussian(50, 3, 230), 50, 3);
        var r = Ttl.Run("svcca", "--acts-a", dir.File("a.safetensors"), "--acts-b", dir.File("a.safetensors"), "--variance", "0.9", "--keep", "2");
        Assert.Equal(2, r.ExitCode);
    }
}

/// <summary>`ttl svcca --device cuda` (a GPU, or the CUDA simulator in build/test) against the CPU: coefficients within 1e-5.</summary>
[Trait("Category", "Gpu")]
public class SvccaDeviceCliTests
{
    private static void SameWithin(JsonElement cpu, JsonElement gpu, string key, double tolerance)
    {
        var c = cpu.GetProperty(key);
        var g = gpu.GetProperty(key);
        if (c.ValueKind == JsonValueKind.Array)
        {
            var cv = c.EnumerateArray().Select(e => e.GetDouble()).ToArray();
            var gv = g.EnumerateArray().Select(e => e.GetDouble()).ToArray();
            Assert.Equal(cv.Length, gv.Length);
            for (int i = 0; i < cv.Length; i++) Assert.True(Math.Abs(cv[i] - gv[i]) <= tolerance, $"{key}[{i}]: cpu {cv[i]:R}, cuda {gv[i]:R}");
        }
        else Assert.True(Math.Abs(c.GetDouble() - g.GetDouble()) <= tolerance, $"{key}: cpu {c.GetDouble():R}, cuda {g.GetDouble():R}");
    }

    [GpuFact]
    public void Cuda_svcca_of_activation_files_equals_the_cpu_with_a_5d_input_and_minibatch_cka()
    {
        // 5-D activations folded to (batch·positions) × C, odd sizes, minibatch CKA and the baseline.
        const int batch = 5, ca = 11, cb = 7, s = 3 * 4 * 5;
        var x = Gaussian(batch * ca * s, 1, 31);
        var y = Gaussian(batch * cb * s, 1, 32).Select((v, i) => 0.4 * v + 0.8 * x[i % x.Length] + 2).ToArray();
        using var dir = new TempDir();
        Write(dir.File("a.safetensors"), x, batch, ca, 3, 4, 5);
        Write(dir.File("b.safetensors"), y, batch, cb, 3, 4, 5);
        CliResult Run(string device) => Ttl.Run("svcca", "--acts-a", dir.File("a.safetensors"), "--acts-b", dir.File("b.safetensors"),
            "--minibatch-cka", "64", "--baseline-rows", "400", "--seed", "9", "--device", device, "--json");
        var cpu = Run("cpu");
        Assert.True(cpu.ExitCode == 0, cpu.Stderr);
        var gpu = Run("cuda");
        Assert.True(gpu.ExitCode == 0, gpu.Stderr);
        var c = JsonDocument.Parse(cpu.Stdout).RootElement;
        var g = JsonDocument.Parse(gpu.Stdout).RootElement;
        Assert.StartsWith("cuda:0", g.GetProperty("device").GetString());
        Assert.Equal(c.GetProperty("kept_a").GetInt32(), g.GetProperty("kept_a").GetInt32());
        Assert.Equal(c.GetProperty("kept_b").GetInt32(), g.GetProperty("kept_b").GetInt32());
        foreach (var key in new[] { "cca", "mean_cca", "pwcca", "cka", "cka_minibatch", "baseline_cca", "baseline_mean_cca", "explained_a", "explained_b" })
            SameWithin(c, g, key, 1e-5);
    }
}
