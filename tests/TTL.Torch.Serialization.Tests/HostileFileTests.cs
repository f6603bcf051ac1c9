using System.IO.Compression;
using TTL.TestSupport;

namespace TTL.Torch.Serialization.Tests;

[Collection("oracle checkpoints")]
public sealed class HostileFileTests(OracleCheckpoints files)
{
    [Theory]
    [InlineData("os_system_zip.pth", "os.system")]
    [InlineData("os_system_legacy.pth", "os.system")]
    [InlineData("eval_zip.pth", "builtins.eval")]
    [InlineData("eval_legacy.pth", "builtins.eval")]
    [InlineData("unknown_class_zip.pth", "__main__.Hyper")]
    [InlineData("unknown_class_legacy.pth", "__main__.Hyper")]
    public void PicklesReferencingOtherGlobalsAreRefusedNamingThemAndNothingRuns(string file, string global)
    {
        var read = Assert.Throws<InvalidDataException>(() => Checkpoint.Read(files.File(file)));
        Assert.Equal($"refusing to load {file}: it references {global}", read.Message);
        var inspect = Assert.Throws<InvalidDataException>(() => Checkpoint.Inspect(files.File(file)));
        Assert.Equal(read.Message, inspect.Message);
        Assert.False(File.Exists(files.Marker), "the payload ran");
    }

    [Fact]
    public void TheHostilePayloadsReallyRunUnderTorchLoad()
    {
        // Shows the refusal tests above guard against something real.
        using var dir = new TempDir();
        string marker = dir.File("pwned");
        Python.RunOracle("make_checkpoints.py", "hostile", dir.Path, marker);
        Python.RunOracle("make_checkpoints.py", "prove", dir.File("os_system_zip.pth"));
        Assert.True(File.Exists(marker));
    }

    [Theory]
    [InlineData(0.3)]
    [InlineData(0.7)]
    [InlineData(0.99)]
    public void TruncatedZipIsRefused(double keep)
    {
        using var dir = new TempDir();
        var bytes = File.ReadAllBytes(files.File("nested_zip.pth"));
        string cut = dir.File("cut.pth");
        File.WriteAllBytes(cut, bytes[..(int)(bytes.Length * keep)]);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Read(cut));
        Assert.StartsWith("cut.pth: ", e.Message);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(300)]
    [InlineData(-100)]
    [InlineData(-1)]
    public void LegacyFileCutShortIsRefused(int at)
    {
        using var dir = new TempDir();
        var bytes = File.ReadAllBytes(files.File("nested_legacy.pth"));
        string cut = dir.File("cut.pth");
        File.WriteAllBytes(cut, bytes[..(at > 0 ? at : bytes.Length + at)]);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Read(cut));
        Assert.StartsWith("cut.pth: ", e.Message);
        Assert.Matches("cut short|ends before", e.Message);
        Assert.Throws<InvalidDataException>(() => Checkpoint.Inspect(cut));
    }

    [Fact]
    public void HandWrittenGlobalIsRefusedBeforeAnythingIsCalled()
    {
        var pkl = new PickleBytes().Global("os", "system").Str("touch " + files.Marker).Op(0x85).Op('R').Stop();
        string path = WriteZip("crafted.pth", pkl);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Read(path));
        Assert.Equal("refusing to load crafted.pth: it references os.system", e.Message);
        Assert.False(File.Exists(files.Marker));
    }

    [Fact]
    public void StorageLargerThanItsZipEntryIsRefusedBeforeAllocating()
    {
        var pkl = new PickleBytes().Tensor("0", 1 << 30, 0, [1 << 30], [1]).Stop();
        string path = WriteZip("big.pth", pkl, ("0", new byte[8]));
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Read(path));
        Assert.Contains("storage 0 declares 1073741824 float32 elements", e.Message);
    }

    [Fact]
    public void TensorReachingPastItsStorageIsRefused()
    {
        var pkl = new PickleBytes().Tensor("0", 4, 2, [2, 2], [2, 1]).Stop();
        string path = WriteZip("past.pth", pkl, ("0", new byte[16]));
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Read(path));
        Assert.Contains("reaches element 5 of a 4-element storage", e.Message);
    }

    [Fact]
    public void CyclicContainersAreRefused()
    {
        // l = []; l.append(l)
        var pkl = new PickleBytes().Op(']').Raw((byte)'q', 0).Raw((byte)'h', 0).Op('a').Stop();
        string path = WriteZip("cycle.pth", pkl);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Read(path));
        Assert.Contains("nested deeper", e.Message);
    }

    [Fact]
    public void LengthsBeyondTheFileAreRefused()
    {
        var pkl = new PickleBytes().Raw((byte)'X', 0xff, 0xff, 0xff, 0x7f).Stop();
        string path = WriteZip("long.pth", pkl);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Read(path));
        Assert.Contains("runs past the end of the pickle", e.Message);
    }

    [Fact]
    public void ArbitraryBytesAreNotACheckpoint()
    {
        using var dir = new TempDir();
        string path = dir.File("noise.pth");
        File.WriteAllBytes(path, [.. Enumerable.Range(0, 1000).Select(i => (byte)(i * 37))]);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Read(path));
        Assert.StartsWith("noise.pth: not a checkpoint", e.Message);
    }

    /// <summary>A zip laid out like torch.save's: archive/data.pkl and archive/data/KEY, stored.</summary>
    private string WriteZip(string name, byte[] pickle, params (string Key, byte[] Data)[] storages)
    {
        string path = files.File(name);
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            void Add(string entry, byte[] data)
            {
                using var s = zip.CreateEntry(entry, CompressionLevel.NoCompression).Open();
                s.Write(data);
            }
            Add("archive/data.pkl", pickle);
            foreach (var (key, data) in storages) Add("archive/data/" + key, data);
            Add("archive/version", "3\n"u8.ToArray());
        }
        return path;
    }
}
