using TTL.Imaging;
using TTL.Imaging.Augmentation;
using TTL.Imaging.CropPad;
using TTL.Imaging.Cuda;

namespace TTL.Cuda.Tests.Gpu;

/// <summary>Rearrangements copy values, so the GPU results equal the CPU's exactly.</summary>
[Trait("Category", "Gpu")]
[Collection(GpuCollection.Name)]
public sealed class GpuLayoutParityTests
{
    private static readonly double[,] Lps = { { -0.8, 0, 0, 90 }, { 0, -0.8, 0, 100 }, { 0, 0, 1.5, -20 }, { 0, 0, 0, 1 } };

    [GpuFact]
    public void Reorientation_matches_the_cpu_for_every_target_including_transposes()
    {
        var v = Gpus.RandomVolume(3, [33, 47, 29], 7, Lps);
        using var g = Gpus.Upload(v);
        foreach (var target in new[] { "RAS", "LPS", "ASL", "SPR", "PLI", "IRA" })
        {
            var cpu = Orientation.Reorient(v, target);
            using var gpu = GpuLayout.Reorient(g, target);
            var back = gpu.Download();
            Assert.Equal(cpu.Shape, back.Shape);
            Assert.Equal(cpu.Affine, back.Affine);
            Assert.True(cpu.Data.AsSpan().SequenceEqual(back.Data), target);
        }
    }

    [GpuFact]
    public void A_transposing_reorientation_with_more_planes_than_a_grid_holds_strides_over_them()
    {
        // RSA → RAS swaps j and k: the tiled transpose, over 70,000 (i) planes, more than the 65,535
        // blocks a grid's z can hold, so blocks take a second plane each.
        var rsa = new double[,] { { 1, 0, 0, 0 }, { 0, 0, 1, 0 }, { 0, 1, 0, 0 }, { 0, 0, 0, 1 } };
        var v = Gpus.RandomVolume(1, [70_000, 3, 2], 17, rsa);
        using var g = Gpus.Upload(v);
        var cpu = Orientation.Reorient(v, "RAS");
        using var gpu = GpuLayout.Reorient(g, "RAS");
        Assert.Equal([70_000, 2, 3], cpu.Shape);
        Assert.True(cpu.Data.AsSpan().SequenceEqual(gpu.Download().Data));
    }

    [GpuFact]
    public void Crop_and_pad_match_the_cpu_with_the_box_partly_outside()
    {
        var v = Gpus.RandomVolume(2, [13, 17, 19], 8);
        using var g = Gpus.Upload(v);
        foreach (var (start, size) in new[] { (new[] { -3, 2, 5 }, new[] { 20, 9, 21 }), (new[] { 4, -6, -1 }, new[] { 5, 30, 7 }), (new[] { 0, 0, 0 }, new[] { 13, 17, 19 }) })
        {
            var cpu = CropPad.Region(v, start, size, padValue: -1024f);
            using var gpu = GpuLayout.Region(g, start, size, padValue: -1024f);
            var back = gpu.Download();
            Assert.Equal(cpu.Affine, back.Affine);
            Assert.Equal(cpu.Data, back.Data);
        }
    }

    [GpuFact]
    public void Joint_flips_match_flipping_image_and_label_on_the_cpu()
    {
        var image = Gpus.RandomVolume(2, [13, 17, 19], 9);
        var label = Gpus.RandomVolume(1, [13, 17, 19], 10);
        using var gi = Gpus.Upload(image);
        using var gl = Gpus.Upload(label);
        foreach (var axes in new[] { new[] { 0 }, new[] { 1, 2 }, new[] { 0, 1, 2 } })
        {
            Volume ci = image, cl = label;
            foreach (var a in axes)
            {
                var map = SpatialAugment.FlipMap(image.Shape, a);
                ci = SpatialAugment.Permute(ci, map, ci.Shape);
                cl = SpatialAugment.Permute(cl, map, cl.Shape);
            }
            var (fi, fl) = GpuLayout.FlipPair(gi, gl, axes);
            using (fi)
            using (fl)
            {
                var bi = fi.Download();
                var bl = fl.Download();
                Assert.Equal(ci.Data, bi.Data);
                Assert.Equal(cl.Data, bl.Data);
                Assert.Equal(ci.Affine, bi.Affine);
            }
        }
    }
}
