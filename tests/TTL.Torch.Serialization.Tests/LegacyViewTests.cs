using TTL.TestSupport;

namespace TTL.Torch.Serialization.Tests;

/// <summary>
/// Legacy files from old PyTorch versions could persist storage views:
/// ('storage', type, root_key, location, root_size, (view_key, offset, view_size)). python3-torch
/// 1.13 no longer writes them, so this file is assembled by hand.
/// </summary>
public sealed class LegacyViewTests
{
    private static byte[] LegacyFile(int viewOffset, int viewSize, int tensorOffset, int storedCount)
    {
        var magic = new PickleBytes().Raw(0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19).Stop();
        var version = new PickleBytes().Raw((byte)'M', 0xe9, 0x03).Stop();
        var sysInfo = new PickleBytes().Op('}').Str("little_endian").Op(0x88).Op('s').Stop();
        var main = new PickleBytes().Op('}').Str("w")
            .Global("torch._utils", "_rebuild_tensor_v2").Op('(')
            .Op('(').Str("storage").Global("torch", "FloatStorage").Str("root").Str("cpu").Int(6)
            .Op('(').Str("view").Int(viewOffset).Int(viewSize).Op('t').Op('t').Op('Q')
            .Int(tensorOffset).Ints(2).Ints(1).Op(0x89).Global("collections", "OrderedDict").Op(')').Op('R')
            .Op('t').Op('R').Op('s').Stop();
        var keys = new PickleBytes().Op(']').Str("root").Op('a').Stop();
        var data = new List<byte>(BitConverter.GetBytes((long)storedCount));
        for (int k = 0; k < 6; k++) data.AddRange(BitConverter.GetBytes(10f + k));
        return [.. magic, .. version, .. sysInfo, .. main, .. keys, .. data];
    }

    [Fact]
    public void StorageViewsReadTheirWindowOfTheRootStorage()
    {
        using var dir = new TempDir();
        string path = dir.File("view.pth");
        File.WriteAllBytes(path, LegacyFile(viewOffset: 2, viewSize: 3, tensorOffset: 1, storedCount: 6));
        var c = Checkpoint.Read(path);
        Assert.Equal("pytorch-legacy", c.Format);
        var w = Assert.Single(c.Tensors);
        Assert.Equal("w", w.Name);
        Assert.Equal(new[] { 13f, 14f }, w.AsSpan<float>().ToArray());
    }

    [Fact]
    public void ViewsOutsideTheRootAndMiscountedStoragesAreRefused()
    {
        using var dir = new TempDir();
        string outside = dir.File("outside.pth");
        File.WriteAllBytes(outside, LegacyFile(viewOffset: 5, viewSize: 3, tensorOffset: 0, storedCount: 6));
        Assert.Contains("lies outside storage root", Assert.Throws<InvalidDataException>(() => Checkpoint.Read(outside)).Message);

        string past = dir.File("past.pth");
        File.WriteAllBytes(past, LegacyFile(viewOffset: 2, viewSize: 3, tensorOffset: 2, storedCount: 6));
        Assert.Contains("reaches element 3 of a 3-element storage", Assert.Throws<InvalidDataException>(() => Checkpoint.Read(past)).Message);

        string miscounted = dir.File("miscounted.pth");
        File.WriteAllBytes(miscounted, LegacyFile(viewOffset: 2, viewSize: 3, tensorOffset: 1, storedCount: 1 << 30));
        Assert.Contains("records 1073741824 elements, the pickle declared 6", Assert.Throws<InvalidDataException>(() => Checkpoint.Read(miscounted)).Message);
    }
}
