using TTL.Imaging.CropPad;
using Box = TTL.Imaging.CropPad.CropPad;

namespace TTL.Imaging.Tests;

public class CropPadTests
{
    private static readonly double[,] Oblique = { { 0.9, 0.1, 0, 10 }, { -0.1, 1.1, 0, -4 }, { 0, 0, 2.5, 7 }, { 0, 0, 0, 1 } };

    private static Volume Ramp(int[] shape, int channels = 1) =>
        new(Enumerable.Range(0, channels * shape[0] * shape[1] * shape[2]).Select(x => (float)x + 1).ToArray(), channels, shape, Oblique);

    private static double[] World(Volume v, int i, int j, int k) =>
        Enumerable.Range(0, 3).Select(a => v.Affine[a, 0] * i + v.Affine[a, 1] * j + v.Affine[a, 2] * k + v.Affine[a, 3]).ToArray();

    [Fact]
    public void RegionCropsAndPadsWithTheAffineFollowingTheBox()
    {
        var v = Ramp([5, 6, 7], channels: 2);
        var r = Box.Region(v, [-2, 1, 3], [6, 3, 6], padValue: -9);
        for (int c = 0; c < 2; c++)
            for (int i = 0; i < 6; i++)
                for (int j = 0; j < 3; j++)
                    for (int k = 0; k < 6; k++)
                    {
                        int si = i - 2, sj = j + 1, sk = k + 3;
                        bool inside = si is >= 0 and < 5 && sk < 7;
                        Assert.Equal(inside ? v[c, si, sj, sk] : -9f, r[c, i, j, k]);
                        if (inside) Assert.Equal(World(v, si, sj, sk), World(r, i, j, k), (a, b) => Math.Abs(a - b) < 1e-12);
                    }
    }

    [Fact]
    public void ForegroundBoxIsTheBoundingBoxGrownByTheMarginAndClipped()
    {
        var data = new float[2 * 10 * 9 * 8];
        var v = new Volume(data, 2, [10, 9, 8], Oblique);
        v[0, 3, 4, 2] = 5; v[1, 6, 1, 6] = 5; v[0, 8, 8, 7] = 0.4f; // below threshold
        var (start, size) = Box.ForegroundBox(v, 0.5f, [1, 2, 3])!.Value;
        Assert.Equal([2, 0, 0], start);
        Assert.Equal([6, 7, 8], size);
        Assert.Null(Box.ForegroundBox(new Volume(new float[8], 1, [2, 2, 2], Oblique), 0, [0, 0, 0]));
    }

    [Fact]
    public void CenterCropOrPadPutsTheOddVoxelAfterAndPadToMultipleRoundsUp()
    {
        Assert.Equal([1, -1, 0], Box.CenteredStart([8, 5, 4], [5, 8, 4]));
        var r = Box.CenterCropOrPad(Ramp([8, 5, 4]), [5, 8, 4]);
        Assert.Equal(Ramp([8, 5, 4])[0, 1, 0, 0], r[0, 0, 1, 0]);
        Assert.Equal(0f, r[0, 0, 0, 0]);
        Assert.Equal(0f, r[0, 0, 6, 0]);
        Assert.Equal(0f, r[0, 0, 7, 0]);
        Assert.Equal([16, 32, 5], Box.PaddedToMultiple([13, 32, 5], [16, 16, 1]));
    }

    [Fact]
    public void PatchSamplingHonoursTheForegroundRatio()
    {
        int[] shape = [40, 40, 20];
        var lab = new float[40 * 40 * 20];
        var label = new Volume(lab, 1, shape, Oblique);
        // A small foreground cube in a corner: rare for uniform sampling.
        for (int i = 2; i < 5; i++) for (int j = 30; j < 33; j++) for (int k = 1; k < 3; k++) label[0, i, j, k] = 1;
        var rng = new Random(5);
        int withForeground = 0, trials = 400;
        for (int t = 0; t < trials; t++)
        {
            var start = PatchSampler.Start(label, [8, 8, 8], 0.5, rng);
            for (int a = 0; a < 3; a++) Assert.InRange(start[a], 0, shape[a] - 8);
            if (Box.Region(label, start, [8, 8, 8]).Data.Any(x => x > 0)) withForeground++;
        }
        // Half the patches are centred on foreground; background-centred ones rarely touch the cube.
        Assert.InRange(withForeground / (double)trials, 0.42, 0.62);
        var small = PatchSampler.Start(label, [50, 8, 8], 1.0, new Random(1));
        Assert.Equal(-5, small[0]);
    }
}
