using TTL.TestSupport;

namespace TTL.Imaging.Tests;

public sealed class NiftiWriterTests
{
    private static readonly double[,] Oblique = TestVolumes.Affine(TestVolumes.Rotation(0.3, -0.2, 0.1), [0.9, 1.1, 2.5], [-40, 12.5, 7]);

    [Theory]
    [InlineData("v.nii", "float32")]
    [InlineData("v.nii.gz", "float32")]
    [InlineData("v.hdr", "float32")]
    [InlineData("v.img.gz", "int16")]
    [InlineData("v.nii", "float64")]
    [InlineData("v.nii.gz", "uint8")]
    [InlineData("v.nii", "int8")]
    [InlineData("v.nii", "uint16")]
    [InlineData("v.nii", "int32")]
    [InlineData("v.nii", "uint32")]
    [InlineData("v.nii", "int64")]
    [InlineData("v.nii", "uint64")]
    public void Write_then_read_is_bit_exact(string name, string dtype)
    {
        Assert.True(NiftiDataTypes.TryParseWritable(dtype, out var type));
        bool integer = NiftiDataTypes.IsInteger(type);
        var v = TestVolumes.Make(2, [5, 6, 7], Oblique, integers: integer);
        if (type is NiftiDataType.UInt8 or NiftiDataType.UInt16 or NiftiDataType.UInt32 or NiftiDataType.UInt64)
            for (int i = 0; i < v.Data.Length; i++) v.Data[i] = Math.Abs(v.Data[i]);
        using var tmp = new TempDir();
        string path = tmp.File(name);
        NiftiWriter.Write(v, path, new NiftiWriteOptions { DataType = type, CompressionLevel = 1 });
        var back = NiftiReader.Read(path);
        Assert.Equal(v.Shape, back.Shape);
        Assert.Equal(v.Channels, back.Channels);
        Assert.Equal(v.Data, back.Data);
        Assert.Equal(type, back.Header!.DataType);
        // sform is stored as float32 in NIfTI-1.
        NibabelOracle.AssertAffineEqual(v.Affine, back.Affine, 1e-5);
        // Nothing but the output files is left in the folder (no temporaries).
        var names = Directory.GetFiles(tmp.Path).Select(Path.GetFileName).OrderBy(x => x).ToArray();
        Assert.Equal(NiftiFiles.IsPairName(name) ? 2 : 1, names.Length);
    }

    [Fact]
    public void Raw_round_trip_keeps_integer_extremes_scaling_and_header_fields()
    {
        var h = new NiftiHeader { XyztUnits = 10, Descrip = "extremes", SclSlope = 2, SclInter = -3 }
            .WithShape([3, 2, 2]).WithDataType(NiftiDataType.Int64)
            .WithQForm(Oblique, 1).WithSForm(Oblique, 4);
        var values = new long[] { long.MinValue, long.MaxValue, 0, -1, 1, 1L << 53, (1L << 53) + 1, 42, -42, 7, 8, 9 };
        var img = new NiftiImage(h, System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
        using var tmp = new TempDir();
        foreach (var name in new[] { "r.nii", "r.nii.gz", "r.hdr" })
        {
            NiftiWriter.Write(img, tmp.File(name));
            var back = NiftiReader.ReadRaw(tmp.File(name));
            Assert.Equal(img.Data, back.Data);
            Assert.Equal(2, back.Header.SclSlope);
            Assert.Equal(-3, back.Header.SclInter);
            Assert.Equal(1, back.Header.QFormCode);
            Assert.Equal(4, back.Header.SFormCode);
            Assert.Equal("extremes", back.Header.Descrip);
            Assert.Equal("mm", back.Header.SpatialUnit);
        }
    }

    [Fact]
    public void Nibabel_reads_what_we_write_with_the_same_affine_codes_and_data()
    {
        using var tmp = new TempDir();
        var cases = new List<(string Path, Volume Volume, int QCode, int SCode, bool Exact)>();
        var lps = TestVolumes.Affine(TestVolumes.Rotation(0, 0, 0), [-0.8, -0.8, 1.5], [100, 120, -30]);
        int n = 0;
        foreach (var (name, dtype, affine, channels) in new[]
                 {
                     ("a.nii", NiftiDataType.Float32, Oblique, 1),
                     ("b.nii.gz", NiftiDataType.Int16, lps, 1),
                     ("c.hdr", NiftiDataType.Float64, Oblique, 3),
                     ("d.hdr.gz", NiftiDataType.UInt8, lps, 1),
                     ("e.nii.gz", NiftiDataType.Int32, Oblique, 2),
                 })
        {
            var v = TestVolumes.Make(channels, [6, 5, 4], affine, integers: NiftiDataTypes.IsInteger(dtype), seed: ++n);
            if (dtype == NiftiDataType.UInt8) for (int i = 0; i < v.Data.Length; i++) v.Data[i] = Math.Abs(v.Data[i]);
            NiftiWriter.Write(v, tmp.File(name), new NiftiWriteOptions { DataType = dtype });
            cases.Add((tmp.File(name), v, 2, 2, true));
        }
        // A converted file keeps its source's transform codes (example4d has 1 and 1).
        var src = NiftiReader.Read(Path.Combine(NibabelTestData.Folder, "example4d.nii.gz"));
        NiftiWriter.Write(src, tmp.File("f.nii.gz"), new NiftiWriteOptions { DataType = NiftiDataType.Int16 });
        cases.Add((tmp.File("f.nii.gz"), src, 1, 1, true));

        var results = NibabelOracle.Load(cases.Select(c => c.Path).ToList());
        for (int i = 0; i < cases.Count; i++)
        {
            var (path, v, q, s, _) = cases[i];
            var r = results[i];
            Assert.Null(r.Error);
            NibabelOracle.AssertAffineEqual(v.Affine, r.Affine, 1e-5, Path.GetFileName(path));
            Assert.Equal(q, r.QFormCode);
            Assert.Equal(s, r.SFormCode);
            NibabelOracle.AssertVoxelsEqual(r.Data, v.Data, exact: true, Path.GetFileName(path));
        }
    }

    [Fact]
    public void A_failed_write_leaves_no_file_behind()
    {
        using var tmp = new TempDir();
        var v = TestVolumes.Make(1, [4, 4, 4], Oblique, integers: false);
        string path = tmp.File("out.nii.gz");
        Assert.Throws<ArgumentOutOfRangeException>(() => NiftiWriter.Write(v, path, new NiftiWriteOptions { CompressionLevel = 0 }));
        Assert.Empty(Directory.GetFiles(tmp.Path));
        // An existing output stays untouched when the replacement fails half-way.
        NiftiWriter.Write(v, path);
        byte[] before = File.ReadAllBytes(path);
        var bad = new Volume(new float[16], 1, [4, 4, 1], new double[4, 4] { { 1, 0, 0, 0 }, { 0, 1, 0, 0 }, { 0, 0, 1, 0 }, { 0, 0, 0, 1 } });
        Assert.ThrowsAny<Exception>(() => NiftiWriter.Write(bad, path, new NiftiWriteOptions { DataType = NiftiDataType.Rgb24 }));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(tmp.Path));
    }

    [Fact]
    public void Nifti2_is_chosen_when_a_dimension_exceeds_32767()
    {
        var v = new Volume(new float[40000], 1, [40000, 1, 1], AffineMath.Identity4());
        using var tmp = new TempDir();
        NiftiWriter.Write(v, tmp.File("long.nii"));
        var back = NiftiReader.Read(tmp.File("long.nii"));
        Assert.Equal(2, back.Header!.Version);
        Assert.Equal(40000, back.I);
    }
}
