using TTL.TestSupport;

namespace TTL.Imaging.Tests;

public sealed class OrientationTests
{
    private static readonly (string Name, double[,] Affine)[] Cases =
    [
        ("ras", TestVolumes.Affine(TestVolumes.Rotation(0, 0, 0), [1, 1, 1], [0, 0, 0])),
        ("lps", TestVolumes.Affine(TestVolumes.Rotation(0, 0, 0), [-0.7, -0.7, 1.25], [90, 110, -60])),
        ("las", TestVolumes.Affine(TestVolumes.Rotation(0, 0, 0), [-2, 2, 2.2], [32, -40, -16])),
        ("pir", new double[,] { { 0, 0, 1.5, -20 }, { -1, 0, 0, 30 }, { 0, -2, 0, 10 }, { 0, 0, 0, 1 } }),
        ("oblique", TestVolumes.Affine(TestVolumes.Rotation(0.35, -0.25, 0.4), [1.1, 0.9, 3], [-5, 7, 2])),
        ("oblique-lps", TestVolumes.Affine(TestVolumes.Rotation(-0.3, 0.2, 2.9), [0.8, -0.8, 1.5], [120, -3, 44])),
        ("sheared", new double[,] { { -1.5, 0.3, 0.1, 10 }, { 0.2, 0.2, -2.0, 4 }, { 0.1, 1.8, 0.4, -9 }, { 0, 0, 0, 1 } }),
    ];

    [Fact]
    public void Axis_codes_match_nibabel()
    {
        using var tmp = new TempDir();
        var paths = new List<string>();
        foreach (var (name, affine) in Cases)
        {
            paths.Add(tmp.File(name + ".nii"));
            NiftiWriter.Write(TestVolumes.Make(1, [3, 4, 5], affine, integers: true), paths[^1]);
        }
        var results = NibabelOracle.Load(paths);
        for (int i = 0; i < Cases.Length; i++)
            Assert.Equal(results[i].AxisCodes, Orientation.AxisCodes(NiftiReader.Read(paths[i]).Affine));
    }

    [Theory]
    [InlineData("RAS")]
    [InlineData("LPS")]
    [InlineData("ASL")]
    public void Reorientation_equals_nibabel(string target)
    {
        using var tmp = new TempDir();
        var paths = new List<string>();
        int seed = 0;
        foreach (var (name, affine) in Cases)
        {
            paths.Add(tmp.File(name + ".nii"));
            NiftiWriter.Write(TestVolumes.Make(2, [5, 6, 7], affine, integers: false, seed: ++seed), paths[^1]);
        }
        var expected = target == "RAS" ? NibabelOracle.Load(paths, "--canonical") : NibabelOracle.Load(paths, "--reorient", target);
        for (int i = 0; i < paths.Count; i++)
        {
            string what = $"{Cases[i].Name} -> {target}";
            var ours = Orientation.Reorient(NiftiReader.Read(paths[i]), target);
            Assert.Null(expected[i].Error);
            Assert.Equal(expected[i].Shape[..3], ours.Shape.Select(x => (long)x).ToArray());
            NibabelOracle.AssertAffineEqual(expected[i].Affine, ours.Affine, 1e-5, what);
            NibabelOracle.AssertVoxelsEqual(expected[i].Data, ours.Data, exact: true, what);
            Assert.Equal(target, ours.AxisCodes);

            // The stored-value path permutes identically and its header describes the new grid.
            var raw = Orientation.Reorient(NiftiReader.ReadRaw(paths[i]), target);
            Assert.Equal(ours.Data, raw.ToVolume().Data);
            NibabelOracle.AssertAffineEqual(ours.Affine, raw.Affine, 1e-5, what + " (raw)");
        }
    }

    [Fact]
    public void Reorienting_there_and_back_is_the_identity()
    {
        var v = TestVolumes.Make(1, [4, 5, 6], Cases[4].Affine, integers: false);
        var back = Orientation.Reorient(Orientation.Reorient(v, "SPL"), v.AxisCodes);
        Assert.Equal(v.Data, back.Data);
        NibabelOracle.AssertAffineEqual(v.Affine, back.Affine, 1e-12);
    }

    [Fact]
    public void Bad_target_codes_are_refused()
    {
        Assert.Throws<ArgumentException>(() => Orientation.ParseCodes("RRS"));
        Assert.Throws<ArgumentException>(() => Orientation.ParseCodes("RA"));
        Assert.Throws<ArgumentException>(() => Orientation.ParseCodes("XYZ"));
    }
}
