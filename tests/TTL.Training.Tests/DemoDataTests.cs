using TTL.Imaging;
using TTL.Imaging.Datasets;
using TTL.TestSupport;
using TTL.Training.Demo;
using TTL.Training.Metrics;

namespace TTL.Training.Tests;

/// <summary>
/// The synthetic demo data: reproducible, balanced, valid MSD datasets, lesion masks that are the
/// lesion, and tasks a simple statistic can already tell apart (so a network can learn them).
/// </summary>
public sealed class DemoDataTests
{
    private static readonly int[] Size = [32, 32, 32];

    private static string[] Files(string dir) =>
        Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(dir, f)).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public void Same_seed_writes_identical_files_and_another_seed_does_not()
    {
        using var a = new TempDir();
        using var b = new TempDir();
        using var c = new TempDir();
        DemoData.Write(a.Path, DemoTask.Both, 6, [16, 20, 18], seed: 7, threads: 2);
        DemoData.Write(b.Path, DemoTask.Both, 6, [16, 20, 18], seed: 7, threads: 1);
        DemoData.Write(c.Path, DemoTask.Both, 6, [16, 20, 18], seed: 8, threads: 2);
        var files = Files(a.Path);
        Assert.Equal(files, Files(b.Path));
        // 6 source images; 6 target images; 6 target_seg images and 6 masks; 3 dataset.json.
        Assert.Equal(27, files.Length);
        foreach (var f in files) Assert.Equal(File.ReadAllBytes(Path.Combine(a.Path, f)), File.ReadAllBytes(Path.Combine(b.Path, f)));
        Assert.NotEqual(File.ReadAllBytes(Path.Combine(a.Path, "source/imagesTr/source_000.nii.gz")),
            File.ReadAllBytes(Path.Combine(c.Path, "source/imagesTr/source_000.nii.gz")));
    }

    [Fact]
    public void Datasets_parse_validate_and_have_the_promised_geometry()
    {
        using var tmp = new TempDir();
        var reports = DemoData.Write(tmp.Path, DemoTask.Both, 8, Size, seed: 1, threads: 2);
        Assert.Equal(["source", "target", "target_seg"], reports.Keys.Order());

        var source = DatasetReader.Open(reports["source"].Dataset);
        Assert.Equal(DatasetTask.Classification, source.Task);
        Assert.Equal("elongated", source.Labels[1]);
        var target = DatasetReader.Open(Path.Combine(tmp.Path, "target"));
        Assert.Equal(DatasetTask.Classification, target.Task);
        var seg = DatasetReader.Open(Path.Combine(tmp.Path, "target_seg"));
        Assert.Equal(DatasetTask.Segmentation, seg.Task);
        Assert.Equal("lesion", seg.Labels[1]);
        foreach (var d in new[] { source, target, seg })
        {
            Assert.Equal(8, d.Training.Count);
            DatasetValidator.Validate(d);
        }

        var image = NiftiReader.Read(source.Training[0].Images[0]);
        Assert.Equal(Size, image.Shape);
        Assert.Equal(new[] { 1.0, 1.0, 2.0 }, image.Spacing);
        Assert.Equal(DemoData.Origin, new[] { image.Affine[0, 3], image.Affine[1, 3], image.Affine[2, 3] });
        Assert.Equal(NiftiDataType.Float32, NiftiReader.ReadHeader(source.Training[0].Images[0]).DataType);
        Assert.Equal(NiftiDataType.UInt8, NiftiReader.ReadHeader(seg.Training[0].LabelFile!).DataType);
        // CT-like range: soft tissue around 40 HU, blobs up to about 150 HU.
        Assert.InRange(image.Data.Average(), 20, 80);
        Assert.InRange(image.Data.Max(), 90, 250);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(200)]
    public void Classes_are_balanced(int cases)
    {
        foreach (int salt in new[] { 1, 2 })
        {
            int ones = Enumerable.Range(0, cases).Sum(i => DemoData.ClassOf(i, 3, salt));
            Assert.InRange(ones, cases / 2, (cases + 1) / 2);
        }
        // The order is not a fixed alternation.
        Assert.NotEqual(Enumerable.Range(0, 40).Select(i => DemoData.ClassOf(i, 3, 1)), Enumerable.Range(0, 40).Select(i => i % 2));
    }

    [Fact]
    public void Written_labels_are_the_generated_lesion_masks()
    {
        using var tmp = new TempDir();
        var reports = DemoData.Write(tmp.Path, DemoTask.Target, 6, Size, seed: 4, threads: 2);
        var cls = DatasetReader.Open(reports["target"].Dataset);
        var seg = DatasetReader.Open(reports["target_seg"].Dataset);
        for (int i = 0; i < 6; i++)
        {
            var c = DemoData.Target(i, 4, Size);
            Assert.Equal(c.Label, cls.Training[i].ClassLabel);
            var mask = NiftiReader.Read(seg.Training[i].LabelFile!).Data;
            Assert.Equal(c.Mask!.Select(m => (float)m), mask);
            Assert.Equal(c.Image, NiftiReader.Read(seg.Training[i].Images[0]).Data);
            Assert.Equal(c.Image, NiftiReader.Read(cls.Training[i].Images[0]).Data);
        }
    }

    [Fact]
    public void Lesion_mask_is_the_lesion_ellipsoid_and_only_in_positive_cases()
    {
        for (int i = 0; i < 12; i++)
        {
            var c = DemoData.Target(i, 9, Size);
            if (c.Label == 0)
            {
                Assert.Null(c.Lesion);
                Assert.All(c.Mask!, m => Assert.Equal(0, m));
                continue;
            }
            var lesion = c.Lesion!;
            int v = 0, voxels = 0;
            for (int a = 0; a < 32; a++)
                for (int b = 0; b < 32; b++)
                    for (int k = 0; k < 32; k++, v++)
                    {
                        bool inside = lesion.Radius(DemoData.Origin[0] + a, DemoData.Origin[1] + b, DemoData.Origin[2] + 2 * k) <= 1;
                        Assert.Equal(inside ? 1 : 0, c.Mask![v]);
                        voxels += inside ? 1 : 0;
                    }
            // Radius 3-5 mm on 1 x 1 x 2 mm voxels: tens to a few hundred voxels.
            Assert.InRange(voxels, 20, 800);
        }
    }

    /// <summary>Mean absolute difference of each voxel from the mean of its 6 neighbours (interior voxels).</summary>
    private static float[] LocalTexture(float[] image, int n)
    {
        var t = new float[image.Length];
        for (int i = 1; i < n - 1; i++)
            for (int j = 1; j < n - 1; j++)
                for (int k = 1; k < n - 1; k++)
                {
                    int v = (i * n + j) * n + k;
                    float mean = (image[v - n * n] + image[v + n * n] + image[v - n] + image[v + n] + image[v - 1] + image[v + 1]) / 6;
                    t[v] = Math.Abs(image[v] - mean);
                }
        return t;
    }

    [Fact]
    public void Lesion_voxels_are_the_high_texture_voxels()
    {
        double inside = 0, outside = 0;
        int nIn = 0, nOut = 0, topInLesion = 0, top = 0;
        for (int i = 0; i < 20; i++)
        {
            var c = DemoData.Target(i, 5, Size);
            if (c.Label == 0) continue;
            var texture = LocalTexture(c.Image, 32);
            float threshold = texture.Order().ElementAt(texture.Length - 100);
            for (int v = 0; v < texture.Length; v++)
            {
                if (c.Mask![v] == 1) { inside += texture[v]; nIn++; }
                else { outside += texture[v]; nOut++; }
                if (texture[v] >= threshold) { top++; topInLesion += c.Mask[v]; }
            }
        }
        Assert.True(inside / nIn > 4 * (outside / nOut), $"texture inside {inside / nIn:F1}, outside {outside / nOut:F1}");
        // Most of the 100 most textured voxels of a positive case are lesion.
        Assert.True(topInLesion > 0.6 * top, $"{topInLesion} of {top} top-texture voxels in lesions");
    }

    [Fact]
    public void Target_classes_are_separated_by_the_highest_local_texture()
    {
        var cases = Enumerable.Range(0, 40).Select(i => DemoData.Target(i, 6, Size)).ToList();
        var score = cases.Select(c => (double)LocalTexture(c.Image, 32).Order().ElementAt(32 * 32 * 32 - 20)).ToList();
        Assert.True(Auroc(score, cases.Select(c => c.Label).ToList()) > 0.9);
    }

    /// <summary>Fraction of bright voxels (&gt; 85 HU) that touch a darker 6-neighbour: surface over volume.</summary>
    private static double SurfaceToVolume(float[] image, int n)
    {
        int bright = 0, surface = 0;
        for (int i = 1; i < n - 1; i++)
            for (int j = 1; j < n - 1; j++)
                for (int k = 1; k < n - 1; k++)
                {
                    int v = (i * n + j) * n + k;
                    if (image[v] <= 85) continue;
                    bright++;
                    if (image[v - n * n] <= 85 || image[v + n * n] <= 85 || image[v - n] <= 85 || image[v + n] <= 85 || image[v - 1] <= 85 || image[v + 1] <= 85)
                        surface++;
                }
        return bright == 0 ? 0 : (double)surface / bright;
    }

    [Fact]
    public void Source_classes_are_separated_by_blob_surface_to_volume()
    {
        // Elongated blobs of the same volume have more surface: a one-number statistic beats chance clearly.
        var cases = Enumerable.Range(0, 40).Select(i => DemoData.Source(i, 2, Size)).ToList();
        var score = cases.Select(c => SurfaceToVolume(c.Image, 32)).ToList();
        Assert.True(Auroc(score, cases.Select(c => c.Label).ToList()) > 0.75);
    }

    private static double Auroc(IReadOnlyList<double> score, IReadOnlyList<int> label) =>
        ClassificationMetrics.Auroc(score.ToArray(), label.Select(l => l == 1).ToArray());

    [Fact]
    public void Bad_arguments_are_refused()
    {
        using var tmp = new TempDir();
        Assert.Throws<ArgumentException>(() => DemoData.Write(tmp.Path, DemoTask.Both, 1, Size, 0));
        Assert.Throws<ArgumentException>(() => DemoData.Write(tmp.Path, DemoTask.Both, 4, [8, 32, 32], 0));
        Assert.Throws<ArgumentException>(() => DemoData.Source(0, 0, [32, 32]));
        Assert.Empty(Directory.EnumerateFileSystemEntries(tmp.Path));
    }
}
