using Xunit.Abstractions;

namespace TTL.Imaging.Tests;

/// <summary>Loads every NIfTI file shipped with nibabel's tests once through the oracle, for all test cases.</summary>
public sealed class NibabelTestData
{
    public const string Folder = "/usr/lib/python3/dist-packages/nibabel/tests/data";

    public static string[] Files { get; } = Directory.Exists(Folder)
        ? Directory.GetFiles(Folder).Where(f => f.EndsWith(".nii") || f.EndsWith(".nii.gz") || f.EndsWith(".hdr")).OrderBy(f => f, StringComparer.Ordinal).ToArray()
        : [];

    public IReadOnlyDictionary<string, NibabelResult> Results { get; } =
        NibabelOracle.Load(Files).ToDictionary(r => Path.GetFileName(r.Path));
}

public sealed class NiftiReaderTests(NibabelTestData oracle, ITestOutputHelper output) : IClassFixture<NibabelTestData>
{
    public static TheoryData<string> TestFiles()
    {
        var d = new TheoryData<string>();
        foreach (var f in NibabelTestData.Files) d.Add(Path.GetFileName(f));
        return d;
    }

    [Fact]
    public void Nibabel_test_data_is_present()
    {
        Assert.True(NibabelTestData.Files.Length >= 8, $"expected nibabel's NIfTI test files in {NibabelTestData.Folder}");
    }

    [Theory]
    [MemberData(nameof(TestFiles))]
    public void Reads_nibabel_test_file_like_nibabel(string file)
    {
        string path = Path.Combine(NibabelTestData.Folder, file);
        var expected = oracle.Results[file];
        if (expected.Error is not null)
        {
            // Skipped as a comparison: nibabel itself cannot load it. We must refuse it too, clearly.
            output.WriteLine($"skipped comparison for {file}: nibabel cannot load it ({expected.Error})");
            var ex = Assert.ThrowsAny<Exception>(() => NiftiReader.Read(path));
            Assert.True(ex is InvalidDataException or FileNotFoundException, ex.ToString());
            Assert.StartsWith(Path.GetFileName(path)[..^4], ex.Message);
            output.WriteLine($"our reader: {ex.GetType().Name}: {ex.Message}");
            return;
        }
        var raw = NiftiReader.ReadRaw(path);
        var vol = NiftiReader.Read(path);

        Assert.Equal(expected.Shape, raw.Header.Shape);
        Assert.Equal(expected.DType, NiftiDataTypes.Name(raw.Header.DataType));
        NibabelOracle.AssertAffineEqual(expected.Affine, vol.Affine);
        Assert.Equal(expected.AxisCodes, vol.AxisCodes);

        var (floats, ints) = NibabelOracle.Widen(raw);
        if (expected.RawIsFloat) Assert.Equal(expected.RawFloat, floats);
        else Assert.Equal(expected.RawInt, ints);

        bool exact = NiftiDataTypes.IsInteger(raw.Header.DataType) && !raw.Header.HasScaling;
        NibabelOracle.AssertVoxelsEqual(expected.Data, vol.Data, exact, file);
        // The raw path converted afterwards gives the same volume as the streaming path.
        Assert.Equal(vol.Data, raw.ToVolume().Data);
    }

    [Fact]
    public void Header_of_big_endian_nifti1_parses_fields()
    {
        var h = NiftiReader.ReadHeader(Path.Combine(NibabelTestData.Folder, "anatomical.nii"));
        Assert.True(h.BigEndian);
        Assert.Equal(1, h.Version);
        Assert.Equal(352, h.VoxOffset);
        Assert.Equal(new long[] { 33, 41, 25 }, h.Shape);
        Assert.Equal("mm", h.SpatialUnit);
        Assert.Equal("sec", h.TimeUnit);
    }

    [Fact]
    public void Header_of_nifti2_reports_version_and_extra_dimensions_become_channels()
    {
        string path = Path.Combine(NibabelTestData.Folder, "example_nifti2.nii.gz");
        var v = NiftiReader.Read(path);
        Assert.Equal(2, v.Header!.Version);
        Assert.Equal(2, v.Channels);
        Assert.Equal(new[] { 32, 20, 12 }, v.Shape);
    }
}
