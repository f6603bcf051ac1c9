using System.Buffers.Binary;
using System.Text;
using TTL.TestSupport;

namespace TTL.Torch.Serialization.Tests;

public sealed class SafetensorsTests
{
    private static TensorRecord Record(string name, DType dtype, long[] shape, byte seed)
    {
        long n = 1;
        foreach (var s in shape) n *= s;
        var data = new byte[n * dtype.ElementSize()];
        for (int k = 0; k < data.Length; k++) data[k] = (byte)(seed + k * 7);
        return new TensorRecord(name, dtype, shape, data);
    }

    /// <summary>A file with this JSON header (padded) and `dataBytes` zero bytes of data.</summary>
    private static string Raw(TempDir dir, string header, int dataBytes, string name = "bad.safetensors")
    {
        var h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)h.Length);
        h.CopyTo(bytes, 8);
        string path = dir.File(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void WriteThenReadKeepsEveryDtypeShapeByteAndMetadata()
    {
        using var dir = new TempDir();
        var tensors = new[]
        {
            Record("a.weight", DType.Float32, [2, 3, 4], 1),
            Record("b", DType.Float16, [5], 2),
            Record("c", DType.BFloat16, [1, 2], 3),
            Record("d", DType.Int64, [], 4),
            Record("e", DType.Bool, [3], 5),
            Record("f", DType.UInt8, [0, 4], 6),
            Record("g", DType.Float64, [2], 7),
            Record("h", DType.Int8, [2], 8),
            Record("i", DType.Int16, [2], 9),
            Record("j", DType.Int32, [2], 10),
        };
        string path = dir.File("t.safetensors");
        Safetensors.Write(path, tensors, new Dictionary<string, string> { ["k"] = "v" });
        var back = Safetensors.Read(path);
        Assert.Equal("v", back.Metadata["k"]);
        Assert.Equal(tensors.Length, back.Tensors.Count);
        foreach (var (a, b) in tensors.Zip(back.Tensors))
        {
            Assert.Equal((a.Name, a.DType), (b.Name, b.DType));
            Assert.Equal(a.Shape, b.Shape);
            Assert.True(a.Data.Span.SequenceEqual(b.Data.Span));
        }
        Assert.Equal(tensors.Select(t => t.Name), Safetensors.Inspect(path).Tensors.Select(t => t.Name));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp-*"));
    }

    [Theory]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}}""", 8, "lie outside")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12, "overlap")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8, "gap")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 8, "cover 4")]
    [InlineData("""{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", 8, "need 12")]
    [InlineData("""{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}""", 8, "overflows")]
    [InlineData("""{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,8]}}""", 8, "invalid shape")]
    [InlineData("""{"a":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}}""", 8, "unsupported dtype C64")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8, "twice")]
    [InlineData("""{"__metadata__":{"k":1}}""", 0, "not a string")]
    [InlineData("""{"a":""", 0, "not valid JSON")]
    [InlineData("""[1,2]""", 0, "does not start with")]
    public void MalformedHeadersAreRefusedWithTheReason(string header, int dataBytes, string reason)
    {
        using var dir = new TempDir();
        string path = Raw(dir, header, dataBytes);
        var e = Assert.Throws<InvalidDataException>(() => Safetensors.Read(path));
        Assert.StartsWith("bad.safetensors: ", e.Message);
        Assert.Contains(reason, e.Message);
        Assert.Throws<InvalidDataException>(() => Safetensors.Inspect(path));
    }

    [Fact]
    public void HeaderLengthBeyondTheFileIsRefused()
    {
        using var dir = new TempDir();
        string path = dir.File("bad.safetensors");
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 1UL << 40);
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => Safetensors.Read(path));
        Assert.Contains("exceeds the file", e.Message);
    }

    [Fact]
    public void WriteRefusesDataThatDoesNotMatchTheShape()
    {
        using var dir = new TempDir();
        var t = new TensorRecord("x", DType.Float32, [3], new byte[8]);
        Assert.Throws<ArgumentException>(() => Safetensors.Write(dir.File("x.safetensors"), [t]));
        Assert.False(File.Exists(dir.File("x.safetensors")));
    }
}
