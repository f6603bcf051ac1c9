using System.Text.Json;
using TTL.Imaging;
using TTL.TestSupport;
using CliProcess = TTL.TestSupport.Cli;

namespace TTL.Cli.Tests;

public sealed class NiftiCliTests
{
    private static readonly double[,] Lps = { { -0.8, 0, 0, 90 }, { 0, -0.8, 0, 100 }, { 0, 0, 1.5, -20 }, { 0, 0, 0, 1 } };

    private static Volume Sample()
    {
        var data = new float[2 * 4 * 5 * 6];
        for (int i = 0; i < data.Length; i++) data[i] = (i * 37) % 101 - 50;
        return new Volume(data, 2, [4, 5, 6], Lps);
    }

    [Fact]
    public void Info_json_has_the_documented_shape()
    {
        using var tmp = new TempDir();
        NiftiWriter.Write(Sample(), tmp.File("a.nii.gz"), new NiftiWriteOptions { DataType = NiftiDataType.Int16 });
        var r = CliProcess.Run("nifti", "info", tmp.File("a.nii.gz"), "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        var o = doc.RootElement[0];
        Assert.Equal(tmp.File("a.nii.gz"), o.GetProperty("path").GetString());
        Assert.Equal("nifti1", o.GetProperty("format").GetString());
        Assert.Equal([4, 5, 6, 2], o.GetProperty("shape").EnumerateArray().Select(x => x.GetInt32()).ToArray());
        Assert.Equal("int16", o.GetProperty("datatype").GetString());
        Assert.Equal(0.8, o.GetProperty("spacing")[0].GetDouble(), 6);
        Assert.Equal(4, o.GetProperty("affine").GetArrayLength());
        Assert.Equal(90, o.GetProperty("affine")[0][3].GetDouble(), 4);
        Assert.Equal("LPS", o.GetProperty("orientation").GetString());
        Assert.Equal(2, o.GetProperty("qform_code").GetInt32());
        Assert.Equal(2, o.GetProperty("sform_code").GetInt32());
        Assert.Equal(1.0, o.GetProperty("scl_slope").GetDouble());
        Assert.Equal(0.0, o.GetProperty("scl_inter").GetDouble());
        Assert.Equal("mm", o.GetProperty("xyzt_units").GetString());
    }

    [Fact]
    public void Info_on_a_malformed_file_exits_3_with_one_error_line()
    {
        using var tmp = new TempDir();
        NiftiWriter.Write(Sample(), tmp.File("bad.nii"));
        var bytes = File.ReadAllBytes(tmp.File("bad.nii"));
        bytes[44] = 0; bytes[45] = 0; // dim[2] = 0
        File.WriteAllBytes(tmp.File("bad.nii"), bytes);
        var r = CliProcess.Run("nifti", "info", tmp.File("bad.nii"));
        Assert.Equal(3, r.ExitCode);
        Assert.Equal("", r.Stdout);
        var lines = r.Stderr.TrimEnd().Split('\n');
        Assert.Single(lines);
        Assert.Equal("error: bad.nii: dim[2]=0, expected >= 1", lines[0]);
    }

    [Fact]
    public void Convert_canonical_keeps_stored_values_and_matches_library_reorientation()
    {
        using var tmp = new TempDir();
        NiftiWriter.Write(Sample(), tmp.File("in.nii"), new NiftiWriteOptions { DataType = NiftiDataType.Int16 });
        var r = CliProcess.Run("nifti", "convert", tmp.File("in.nii"), tmp.File("out.nii.gz"), "--canonical");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var expected = Orientation.Reorient(NiftiReader.Read(tmp.File("in.nii")));
        var got = NiftiReader.Read(tmp.File("out.nii.gz"));
        Assert.Equal(NiftiDataType.Int16, got.Header!.DataType);
        Assert.Equal("RAS", got.AxisCodes);
        Assert.Equal(expected.Shape, got.Shape);
        Assert.Equal(expected.Data, got.Data);
    }

    [Fact]
    public void Convert_dtype_and_spacing_write_the_requested_grid_and_type()
    {
        using var tmp = new TempDir();
        NiftiWriter.Write(Sample(), tmp.File("in.nii"));
        var r = CliProcess.Run("nifti", "convert", tmp.File("in.nii"), tmp.File("out.hdr"), "--dtype", "int32", "--spacing", "1.6,1.6,3", "--interp", "nearest");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.True(File.Exists(tmp.File("out.img")));
        var got = NiftiReader.Read(tmp.File("out.hdr"));
        Assert.Equal(NiftiDataType.Int32, got.Header!.DataType);
        Assert.Equal(new[] { 1.6, 1.6, 3.0 }, got.Spacing.Select(s => Math.Round(s, 5)).ToArray());
    }

    [Fact]
    public void Convert_of_a_truncated_file_exits_3_and_writes_nothing()
    {
        using var tmp = new TempDir();
        NiftiWriter.Write(Sample(), tmp.File("in.nii"));
        var bytes = File.ReadAllBytes(tmp.File("in.nii"));
        File.WriteAllBytes(tmp.File("in.nii"), bytes[..^7]);
        var r = CliProcess.Run("nifti", "convert", tmp.File("in.nii"), tmp.File("out.nii"));
        Assert.Equal(3, r.ExitCode);
        Assert.StartsWith("error: in.nii: ", r.Stderr);
        Assert.False(File.Exists(tmp.File("out.nii")));
        Assert.Single(Directory.GetFiles(tmp.Path));
    }

    [Fact]
    public void Convert_refuses_bad_flags_with_exit_2()
    {
        using var tmp = new TempDir();
        NiftiWriter.Write(Sample(), tmp.File("in.nii"));
        Assert.Equal(2, CliProcess.Run("nifti", "convert", tmp.File("in.nii"), tmp.File("o.nii"), "--dtype", "complex64").ExitCode);
        Assert.Equal(2, CliProcess.Run("nifti", "convert", tmp.File("in.nii"), tmp.File("o.nii"), "--spacing", "1,0,1").ExitCode);
        Assert.Equal(2, CliProcess.Run("nifti", "convert", tmp.File("in.nii"), tmp.File("o.txt")).ExitCode);
        Assert.Single(Directory.GetFiles(tmp.Path));
    }
}
