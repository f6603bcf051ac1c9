using System.Text.Json;

namespace TTL.Torch.Serialization.Tests;

[Collection("oracle checkpoints")]
public sealed class TorchFileTests(OracleCheckpoints files)
{
    public static TheoryData<string, string> Cases => new()
    {
        { "nested_zip", "pytorch-zip" },
        { "nested_legacy", "pytorch-legacy" },
        { "plain_zip", "pytorch-zip" },
        { "plain_legacy", "pytorch-legacy" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void EveryTensorWrittenByTorchSaveReadsBackBitExactly(string name, string format)
    {
        var contents = Checkpoint.Read(files.File(name + ".pth"));
        var expected = Safetensors.Read(files.File(name + ".expected.safetensors")).Tensors.ToDictionary(t => t.Name);
        using var json = JsonDocument.Parse(File.ReadAllText(files.File(name + ".expected.json")));
        var infos = json.RootElement.GetProperty("tensors").EnumerateObject().ToList();

        Assert.Equal(format, contents.Format);
        Assert.Equal(infos.Select(i => i.Name), contents.Tensors.Select(t => t.Name));
        foreach (var (t, info) in contents.Tensors.Zip(infos))
        {
            Assert.Equal(info.Value.GetProperty("dtype").GetString(), t.DType.Name());
            Assert.Equal(info.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()), t.Shape);
            Assert.True(expected[t.Name].Data.Span.SequenceEqual(t.Data.Span), $"{name}: {t.Name} differs");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void InspectListsWhatReadReturnsWithoutTheData(string name, string format)
    {
        var summary = Checkpoint.Inspect(files.File(name + ".pth"));
        var contents = Checkpoint.Read(files.File(name + ".pth"));
        Assert.Equal(format, summary.Format);
        Assert.Equal(contents.Tensors.Select(t => (t.Name, t.DType, string.Join(",", t.Shape))),
            summary.Tensors.Select(t => (t.Name, t.DType, string.Join(",", t.Shape))));
        Assert.Equal(contents.Values.Keys, summary.Values.Keys);
    }

    [Theory]
    [InlineData("nested_zip")]
    [InlineData("nested_legacy")]
    public void NestedDictsGiveDottedTensorNamesAndPlainValues(string name)
    {
        var c = Checkpoint.Read(files.File(name + ".pth"));
        Assert.Contains(c.Tensors, t => t.Name == "state_dict.module.conv1.weight");
        Assert.Contains(c.Tensors, t => t.Name == "optimizer.state.0.momentum_buffer");
        Assert.Contains(c.Tensors, t => t.Name == "extras.pair.1");
        Assert.Equal(12L, c.Values["epoch"]);
        Assert.Equal("resnet", c.Values["extras.name"]);
        Assert.Equal(false, c.Values["extras.flag"]);
        Assert.Equal(new object?[] { 1L, 2.5, "x", null, true }, (IEnumerable<object?>)c.Values["extras.plain"]!);
        var groups = (IReadOnlyList<object?>)c.Values["optimizer.param_groups"]!;
        var group = (IReadOnlyDictionary<string, object?>)groups[0]!;
        Assert.Equal(0.1, group["lr"]);
        Assert.Equal(0.9, group["momentum"]);
        Assert.Equal(new object?[] { 0L, 1L, 2L, 3L, 4L, 5L }, (IEnumerable<object?>)group["params"]!);
    }

    [Theory]
    [InlineData("nested_zip")]
    [InlineData("nested_legacy")]
    public void ViewsOfOneStorageComeOutAsTheirOwnDenseTensors(string name)
    {
        var t = Checkpoint.Read(files.File(name + ".pth")).Tensors.ToDictionary(x => x.Name);
        // base = arange(24).reshape(4, 6); the others are views of its storage.
        Assert.Equal(Enumerable.Range(6, 6).Select(i => (float)i), t["extras.row"].AsSpan<float>().ToArray());
        Assert.Equal(Enumerable.Range(12, 12).Select(i => (float)i), t["extras.rows"].AsSpan<float>().ToArray());
        Assert.Equal(new long[] { 6, 4 }, t["extras.transposed"].Shape);
        Assert.Equal(new float[] { 0, 6, 12, 18 }, t["extras.transposed"].AsSpan<float>()[..4].ToArray());
        Assert.Equal(new float[] { 0, 2, 4, 6, 8, 10 }, t["extras.every_other"].AsSpan<float>()[..6].ToArray());
        Assert.Empty(t["extras.scalar"].Shape);
        Assert.Equal(3.5f, t["extras.scalar"].AsSpan<float>()[0]);
        Assert.Equal(0, t["extras.empty"].Data.Length);
    }

    [Fact]
    public void KeySelectionAndPrefixStrippingGiveThePlainStateDict()
    {
        var nested = Checkpoint.Read(files.File("nested_zip.pth"));
        var plain = Checkpoint.Read(files.File("plain_zip.pth"));
        var selected = Checkpoint.StripPrefix(Checkpoint.Select(nested, "state_dict", "nested_zip.pth"), "module.");
        Assert.Equal(plain.Tensors.Select(t => t.Name), selected.Select(t => t.Name));
        Assert.Throws<InvalidDataException>(() => Checkpoint.Select(nested, "model", "nested_zip.pth"));
    }

    [Fact]
    public void FormatIsDetectedFromContentNotName()
    {
        string copy = files.File("renamed.safetensors");
        File.Copy(files.File("nested_legacy.pth"), copy, overwrite: true);
        Assert.Equal("pytorch-legacy", Checkpoint.DetectFormat(copy));
        Assert.Equal("safetensors", Checkpoint.DetectFormat(files.File("plain_zip.expected.safetensors")));
        Assert.Equal("pytorch-zip", Checkpoint.DetectFormat(files.File("plain_zip.pth")));
    }
}
