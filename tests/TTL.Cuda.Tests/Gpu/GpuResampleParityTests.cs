using TTL.Cuda.Kernels;
using TTL.Imaging;
using TTL.Imaging.Augmentation;
using TTL.Imaging.CropPad;
using TTL.Imaging.Cuda;
using TTL.Imaging.Intensity;
using TTL.Imaging.Resampling;

namespace TTL.Cuda.Tests.Gpu;

/// <summary>GPU resampling equals TTL.Imaging's within 1e-5 relative (the kernels round like the CPU, so in practice exactly).</summary>
[Trait("Category", "Gpu")]
[Collection(GpuCollection.Name)]
public sealed class GpuResampleParityTests
{
    private static readonly int[] Shape = [13, 17, 19];

    public static IEnumerable<double[,]> Maps()
    {
        yield return SpatialAugment.AffineMap(Shape, [1.2, 0.9, 2.5], [0.3, -0.2, 0.45], [1.1, 0.93, 1.05], [1.5, -2.25, 0.7]); // oblique
        yield return SpatialAugment.FlipMap(Shape, 1);                                                                          // exact permutation
        yield return new double[,] { { 0.77, 0, 0, 0.4 }, { 0, 1.31, 0, -1.6 }, { 0, 0, 0.5, 3.25 }, { 0, 0, 0, 1 } };          // axis-aligned zoom past the edges
    }

    [GpuFact]
    public void Trilinear_and_nearest_match_the_cpu_for_both_boundary_modes()
    {
        var v = Gpus.RandomVolume(2, Shape, 1);
        using var g = Gpus.Upload(v);
        int[] outShape = [11, 23, 14];
        foreach (var map in Maps())
            foreach (var interp in new[] { Interpolation.Linear, Interpolation.Nearest })
                foreach (var mode in new[] { BoundaryMode.Border, BoundaryMode.Constant })
                {
                    var cpu = Resample.MapVoxels(v, outShape, map, interp, mode, fill: -7f);
                    using var gpu = GpuResample.MapVoxels(g, outShape, map, interp, mode, fill: -7f);
                    Gpus.Close(cpu, gpu.Download().Data, 1e-5, $"{interp} {mode}");
                }
    }

    [GpuFact]
    public void World_space_resampling_matches_to_grid()
    {
        var v = Gpus.RandomVolume(1, Shape, 2);
        using var g = Gpus.Upload(v);
        var (shape, affine) = Resample.SpacingGrid(v.Shape, v.Affine, [1.5, 1.5, 1.5]);
        var cpu = Resample.ToGrid(v, shape, affine);
        using var gpu = GpuResample.ToGrid(g, shape, affine);
        var back = gpu.Download();
        Gpus.Close(cpu.Data, back.Data, 1e-5, "ToGrid");
        Assert.Equal(cpu.Affine, back.Affine);
    }

    [GpuFact]
    public void Resampling_fused_with_a_window_equals_resampling_then_windowing()
    {
        var v = Gpus.RandomVolume(1, Shape, 3);
        using var g = Gpus.Upload(v);
        var map = Maps().First();
        var window = CtWindow.Preset("abdomen");
        var cpu = Resample.MapVoxels(v, Shape, map, Interpolation.Linear);
        IntensityOps.Window(cpu, window);
        using var gpu = GpuResample.MapVoxels(g, Shape, map, Interpolation.Linear, post: GpuIntensity.WindowMap(window));
        Gpus.Close(cpu, gpu.Download().Data, 1e-5, "resample+window");
    }

    [GpuFact]
    public void Strided_and_flipped_views_are_read_in_place()
    {
        // A [2, 16, 20, 24] volume on the device; the view is its interior box, and a k-flipped view of that.
        var big = Gpus.RandomVolume(2, [16, 20, 24], 4);
        using var gbig = Gpus.Upload(big);
        int[] start = [2, 1, 3];
        var sub = CropPad.Region(big, start, Shape);
        var s = VoxelStrides.Contiguous(big.Shape);
        var at = gbig.Data.Plus<float>(start[0] * s.I + start[1] * s.J + start[2] * s.K);
        var view = GpuVolume.Borrow(Gpus.Device, at, 2, Shape, sub.Affine, s);
        var map = Maps().First();
        Gpus.Close(Resample.MapVoxels(sub, Shape, map, Interpolation.Linear), GpuResample.MapVoxels(view, Shape, map, Interpolation.Linear).Download().Data, 1e-5, "strided view");

        var flipMap = SpatialAugment.FlipMap(Shape, 2);
        var flipped = SpatialAugment.Permute(sub, flipMap, Shape);
        var flippedView = GpuVolume.Borrow(Gpus.Device, at.Plus<float>(Shape[2] - 1), 2, Shape, flipped.Affine, s with { K = -1 });
        Assert.Equal(flipped.Data, flippedView.Download().Data);
        Gpus.Close(Resample.MapVoxels(flipped, Shape, map, Interpolation.Nearest), GpuResample.MapVoxels(flippedView, Shape, map, Interpolation.Nearest).Download().Data, 1e-5, "flipped view");
    }

    [GpuFact]
    public void The_joint_warp_equals_warping_image_and_label_separately()
    {
        var image = Gpus.RandomVolume(2, Shape, 5);
        var labels = new float[Shape[0] * Shape[1] * Shape[2]];
        for (int i = 0; i < labels.Length; i++) labels[i] = (i / 37) % 4;
        var label = new Volume(labels, 1, Shape, image.Affine);
        var map = Maps().First();
        using var gi = Gpus.Upload(image);
        using var gl = Gpus.Upload(label);
        var (wi, wl) = GpuResample.WarpPair(gi, gl, map);
        using (wi)
        using (wl)
        {
            Gpus.Close(SpatialAugment.Warp(image, map, Interpolation.Linear).Data, wi.Download().Data, 1e-5, "image");
            Assert.Equal(SpatialAugment.Warp(label, map, Interpolation.Nearest).Data, wl.Download().Data);
        }
    }

    [GpuFact]
    public void Bspline_is_refused_on_the_gpu()
    {
        using var g = Gpus.Upload(Gpus.RandomVolume(1, Shape, 6));
        Assert.Throws<NotSupportedException>(() => GpuResample.MapVoxels(g, Shape, Maps().First(), Interpolation.BSpline));
    }
}
