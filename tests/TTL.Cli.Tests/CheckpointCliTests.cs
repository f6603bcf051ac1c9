using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using TTL.TestSupport;
using TTL.Torch.Serialization;

namespace TTL.Cli.Tests;

/// <summary>Checkpoints from tests/oracles/make_checkpoints.py plus broken files, made once for the class.</summary>
public sealed class CheckpointFiles : IDisposable
{
    private readonly TempDir _dir = new();

    public CheckpointFiles()
    {
        Python.RunOracle("make_checkpoints.py", "good", _dir.Path);
        Python.RunOracle("make_checkpoints.py", "hostile", _dir.Path, Marker);
        var zip = System.IO.File.ReadAllBytes(File("nested_zip.pth"));
        System.IO.File.WriteAllBytes(File("truncated_zip.pth"), zip[..(zip.Length / 2)]);
        var legacy = System.IO.File.ReadAllBytes(File("nested_legacy.pth"));
        System.IO.File.WriteAllBytes(File("cut_legacy.pth"), legacy[..(legacy.Length - 50)]);
        Safetensors(File("outside.safetensors"), """{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", 8);
        Safetensors(File("overlap.safetensors"), """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12);
    }

    public string Marker => _dir.File("pwned");

    public string File(string name) => _dir.File(name);

    public void Dispose() => _dir.Dispose();

    private static void Safetensors(string path, string header, int dataBytes)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)h.Length);
        h.CopyTo(bytes, 8);
        System.IO.File.WriteAllBytes(path, bytes);
    }
}

public sealed class CheckpointCliTests(CheckpointFiles files) : IClassFixture<CheckpointFiles>
{
    [Fact]
    public void InspectJsonListsTensorsAndValuesOfALegacyFile()
    {
        string path = files.File("nested_legacy.pth");
        var r = TestSupport.Cli.Run("checkpoint", "inspect", path, "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        var root = doc.RootElement;
        Assert.Equal(path, root.GetProperty("path").GetString());
        Assert.Equal("pytorch-legacy", root.GetProperty("format").GetString());
        var conv = root.GetProperty("tensors").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "state_dict.module.conv1.weight");
        Assert.Equal([4, 1, 3, 3, 3], conv.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()));
        Assert.Equal("float32", conv.GetProperty("dtype").GetString());
        Assert.Equal(12, root.GetProperty("values").GetProperty("epoch").GetInt32());
        Assert.Equal(0.1, root.GetProperty("values").GetProperty("optimizer.param_groups")[0].GetProperty("lr").GetDouble());
    }

    [Fact]
    public void InspectPrintsATable()
    {
        var r = TestSupport.Cli.Run("checkpoint", "inspect", files.File("plain_zip.pth"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("pytorch-zip, 9 tensors", r.Stdout);
        Assert.Matches(@"conv1\.weight\s+float32\s+\[4, 1, 3, 3, 3\]", r.Stdout);
    }

    [Theory]
    [InlineData("nested_zip.pth")]
    [InlineData("nested_legacy.pth")]
    public void ConvertWithKeyAndStripPrefixWritesThePlainStateDict(string file)
    {
        using var dir = new TempDir();
        string output = dir.File("w.safetensors");
        var r = TestSupport.Cli.Run("checkpoint", "convert", files.File(file), output, "--key", "state_dict", "--strip-prefix", "module.");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var written = Safetensors.Read(output).Tensors;
        var expected = Safetensors.Read(files.File(Path.GetFileNameWithoutExtension(file) + ".expected.safetensors")).Tensors
            .Where(t => t.Name.StartsWith("state_dict.module.", StringComparison.Ordinal)).ToList();
        Assert.Equal(expected.Select(t => t.Name["state_dict.module.".Length..]), written.Select(t => t.Name));
        foreach (var (e, w) in expected.Zip(written)) Assert.True(e.Data.Span.SequenceEqual(w.Data.Span), w.Name);
        Assert.Equal(new[] { "w.safetensors" }, Directory.GetFiles(dir.Path).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData("os_system_zip.pth", "refusing to load os_system_zip.pth: it references os.system")]
    [InlineData("os_system_legacy.pth", "refusing to load os_system_legacy.pth: it references os.system")]
    [InlineData("eval_zip.pth", "refusing to load eval_zip.pth: it references builtins.eval")]
    [InlineData("eval_legacy.pth", "refusing to load eval_legacy.pth: it references builtins.eval")]
    [InlineData("unknown_class_zip.pth", "refusing to load unknown_class_zip.pth: it references __main__.Hyper")]
    [InlineData("truncated_zip.pth", "truncated_zip.pth: not a readable zip archive")]
    [InlineData("cut_legacy.pth", "cut_legacy.pth: file cut short")]
    [InlineData("outside.safetensors", "outside.safetensors: tensor 'a' data_offsets [0, 16] lie outside")]
    [InlineData("overlap.safetensors", "overlap.safetensors: tensor 'b' data_offsets [4, 12] overlap")]
    public void HostileAndBrokenFilesExitWithCode3AndOneClearLine(string file, string message)
    {
        using var dir = new TempDir();
        string output = dir.File("out.safetensors");
        foreach (var args in new[] { new[] { "checkpoint", "inspect", files.File(file) }, ["checkpoint", "convert", files.File(file), output] })
        {
            var r = TestSupport.Cli.Run(args);
            Assert.Equal(3, r.ExitCode);
            Assert.StartsWith("error: " + message, r.Stderr);
            Assert.Single(r.Stderr.Trim().Split('\n'));
            Assert.Equal("", r.Stdout);
        }
        Assert.False(File.Exists(output));
        Assert.Empty(Directory.GetFiles(dir.Path));
        Assert.False(File.Exists(files.Marker), "the payload ran");
    }

    [Fact]
    public void MissingFileOrKeyIsBadInput()
    {
        Assert.Equal(3, TestSupport.Cli.Run("checkpoint", "inspect", files.File("nope.pth")).ExitCode);
        using var dir = new TempDir();
        var r = TestSupport.Cli.Run("checkpoint", "convert", files.File("plain_zip.pth"), dir.File("o.safetensors"), "--key", "state_dict");
        Assert.Equal(3, r.ExitCode);
        Assert.Contains("no tensors under 'state_dict'", r.Stderr);
    }
}
