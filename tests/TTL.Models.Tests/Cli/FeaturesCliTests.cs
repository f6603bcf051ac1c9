using TTL.Imaging;
using TTL.Models.Checkpoints;
using TTL.Models.Strategies;
using TTL.TestSupport;
using TTL.Torch;
using TTL.Torch.Serialization;
using F = TTL.Torch.torch.nn.functional;

namespace TTL.Models.Tests.Cli;

/// <summary>`ttl features` run as a separate process, checked against the same network run here.</summary>
public sealed class FeaturesCliTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static double[,] Identity() => new double[,] { { 1, 0, 0, 0 }, { 0, 1, 0, 0 }, { 0, 0, 1, 0 }, { 0, 0, 0, 1 } };

    /// <summary>A 1-channel 16×32×32 float volume of Gaussian noise.</summary>
    private string Volume(string name, int[] shape)
    {
        var rng = new Random(11);
        var data = new float[shape.Aggregate(1, (a, b) => a * b)];
        for (int i = 0; i < data.Length; i++) data[i] = (float)(rng.NextDouble() * 2 - 1);
        string path = _dir.File(name);
        NiftiWriter.Write(new Volume(data, 1, shape, Identity()), path);
        return path;
    }

    /// <summary>A random network's state dict the way DataParallel checkpoints store it: state_dict.module.&lt;key&gt;.</summary>
    private string Weights(string arch, string name)
    {
        torch.manual_seed(3);
        using var net = Architectures.Create(arch);
        var sd = net.state_dict();
        string path = _dir.File(name);
        TensorRecords.SaveSafetensors(path, sd.Select(kv => new KeyValuePair<string, Tensor>("state_dict.module." + kv.Key, kv.Value)));
        foreach (var t in sd.Values) t.Dispose();
        return path;
    }

    private static Tensor Expected(string arch, string weights, string volume, string cut, bool average)
    {
        var v = NiftiReader.Read(volume);
        using var probe = Architectures.Create(arch, keptBlocks: 1);
        var at = probe.ResolveCut(cut);
        using var net = Architectures.Create(arch, keptBlocks: at.Index);
        PretrainedWeights.LoadInto(net, weights);
        net.eval();
        using var noGrad = torch.no_grad();
        using var x = torch.tensor(v.Data, 1, 1, v.I, v.J, v.K);
        var y = net.forward_to(x, at);
        if (!average) return y;
        using (y)
        using (var pooled = F.adaptive_avg_pool3d(y, [1, 1, 1]))
            return pooled.flatten(1);
    }

    private static Tensor Read(string path)
    {
        var d = TensorRecords.LoadSafetensors(path);
        Assert.Equal(["features"], d.Keys);
        return d["features"];
    }

    [Fact]
    public void Saves_the_unet_encoder_activation_at_the_cut_as_the_network_computes_it()
    {
        string vol = Volume("ct.nii.gz", [16, 32, 32]), w = Weights("unet", "unet.safetensors"), output = _dir.File("f.safetensors");
        var r = TTL.TestSupport.Cli.Run("features", "--arch", "unet", "--weights", w, "--cut", "level2", "--input", vol, "--out", output, "--threads", "1");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var got = Read(output);
        using var expected = Expected("unet", w, vol, "level2", false);
        Assert.Equal([1L, 64, 8, 16, 16], got.shape);
        Assert.True(got.bytes().AsSpan().SequenceEqual(expected.bytes()) || Close(got, expected));
        var meta = Safetensors.Read(output).Metadata;
        Assert.Equal("2:level2", meta["cut"]);
    }

    [Fact]
    public void Pools_densenet_features_to_one_vector_with_pool_avg()
    {
        string vol = Volume("ct.nii", [32, 32, 32]), w = Weights("densenet121", "dn.safetensors"), output = _dir.File("dn.safetensors.out");
        var r = TTL.TestSupport.Cli.Run("features", "--arch", "densenet121", "--weights", w, "--cut", "features.transition1",
            "--input", vol, "--out", output, "--pool", "avg", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("\"cut_index\": 1", r.Stdout);
        using var got = Read(output);
        using var expected = Expected("densenet121", w, vol, "1", true);
        Assert.Equal([1L, 128], got.shape);
        Assert.True(Close(got, expected));
    }

    private static bool Close(Tensor a, Tensor b)
    {
        using var d = a.sub(b);
        using var m = d.abs().max();
        using var r = b.abs().max();
        return m.item<float>() <= 1e-5 * Math.Max(r.item<float>(), 1e-12);
    }

    [Fact]
    public void Bad_volume_exits_3_naming_the_file_and_writes_nothing()
    {
        string w = Weights("unet", "u.safetensors"), bad = _dir.File("broken.nii.gz"), output = _dir.File("x.safetensors");
        File.WriteAllBytes(bad, [1, 2, 3, 4, 5]);
        var r = TTL.TestSupport.Cli.Run("features", "--arch", "unet", "--weights", w, "--input", bad, "--out", output);
        Assert.Equal(3, r.ExitCode);
        Assert.StartsWith("error: ", r.Stderr);
        Assert.Contains("broken.nii.gz", r.Stderr);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Weights_of_another_architecture_exit_3_naming_the_weights_file()
    {
        string vol = Volume("v.nii", [16, 16, 16]), w = Weights("cbr-tiny", "other.safetensors"), output = _dir.File("x.safetensors");
        var r = TTL.TestSupport.Cli.Run("features", "--arch", "unet", "--weights", w, "--input", vol, "--out", output);
        Assert.Equal(3, r.ExitCode);
        Assert.Contains("other.safetensors", r.Stderr);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Volume_too_small_for_the_cut_exits_3_naming_the_volume()
    {
        string vol = Volume("tiny.nii", [1, 1, 1]), w = Weights("densenet121", "dn.safetensors"), output = _dir.File("x.safetensors");
        var r = TTL.TestSupport.Cli.Run("features", "--arch", "densenet121", "--weights", w, "--input", vol, "--out", output);
        Assert.Equal(3, r.ExitCode);
        Assert.Contains("tiny.nii", r.Stderr);
        Assert.False(File.Exists(output));
    }

    [Theory]
    [InlineData("--arch", "vgg16")]
    [InlineData("--cut", "level9")]
    [InlineData("--pool", "max")]
    [InlineData("--shortcut", "C")]
    public void Usage_errors_exit_2(string flag, string value)
    {
        string vol = Volume("v.nii", [16, 16, 16]), w = _dir.File("unused.pth");
        File.WriteAllBytes(w, [0]);
        var args = new List<string> { "features", "--arch", "unet", "--weights", w, "--input", vol, "--out", _dir.File("o.safetensors") };
        int at = args.IndexOf(flag);
        if (at >= 0) args[at + 1] = value;
        else args.AddRange([flag, value]);
        var r = TTL.TestSupport.Cli.Run(args.ToArray());
        Assert.True(r.ExitCode == 2, r.Stderr);
        Assert.StartsWith("error: ", r.Stderr);
    }
}
