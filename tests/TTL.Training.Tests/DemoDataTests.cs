using TTL.Imaging;
using TTL.Imaging.Datasets;
using TTL.TestSupport;
using TTL.Training.Demo;

namespace TTL.Training.Tests;

/// <summary>
/// The demo's generative model (docs/demo.md) as stated: reproducible files, balanced classes,
/// labels and masks computed from the blobs as documented, textures that are really in the image,
/// and low-level statistics that the source and target tasks share.
/// </summary>
public sealed class DemoDataTests
{
    private static readonly int[] Size = [24, 24, 24];

    private static string[] Files(string dir) =>
        Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(dir, f)).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public void Same_seed_writes_identical_files_whatever_the_threads_and_another_seed_does_not()
    {
        using var a = new TempDir();
        using var b = new TempDir();
        using var c = new TempDir();
        DemoData.Write(a.Path, DemoTask.Both, 6, [24, 28, 26], seed: 7, threads: 2, testCases: 2);
        DemoData.Write(b.Path, DemoTask.Both, 6, [24, 28, 26], seed: 7, threads: 1, testCases: 2);
        DemoData.Write(c.Path, DemoTask.Both, 6, [24, 28, 26], seed: 8, threads: 2, testCases: 2);
        var files = Files(a.Path);
        Assert.Equal(files, Files(b.Path));
        // Per task 6 + 2 images; the two segmentation tasks as many masks; four dataset.json.
        Assert.Equal(4 * 8 + 2 * 8 + 4, files.Length);
        foreach (var f in files) Assert.Equal(File.ReadAllBytes(Path.Combine(a.Path, f)), File.ReadAllBytes(Path.Combine(b.Path, f)));
        Assert.NotEqual(File.ReadAllBytes(Path.Combine(a.Path, "source/imagesTr/source_0000.nii.gz")),
            File.ReadAllBytes(Path.Combine(c.Path, "source/imagesTr/source_0000.nii.gz")));
    }

    [Fact]
    public void Datasets_parse_validate_carry_labelled_test_cases_and_have_the_promised_geometry()
    {
        using var tmp = new TempDir();
        var reports = DemoData.Write(tmp.Path, DemoTask.Both, 8, Size, seed: 1, threads: 2, testCases: 4);
        Assert.Equal(["source", "source_seg", "target", "target_seg"], reports.Keys.Order());
        foreach (var (name, report) in reports)
        {
            var d = DatasetReader.Open(report.Dataset);
            Assert.Equal(name.EndsWith("_seg") ? DatasetTask.Segmentation : DatasetTask.Classification, d.Task);
            Assert.Equal((8, 4), (d.Training.Count, d.Test.Count));
            Assert.All(d.Test, t => Assert.True(t.ClassLabel is not null || t.LabelFile is not null, $"{name}: test case {t.Id} has no label"));
            // Test cases are drawn independently of the training cases.
            Assert.Empty(d.Test.Select(t => t.Id).Intersect(d.Training.Select(t => t.Id)));
            DatasetValidator.Validate(d);
        }
        Assert.Equal("lesion", DatasetReader.Open(reports["target"].Dataset).Labels[1]);
        Assert.Equal("mostly axis-aligned", DatasetReader.Open(reports["source"].Dataset).Labels[1]);

        var source = DatasetReader.Open(reports["source"].Dataset);
        var image = NiftiReader.Read(source.Training[0].Images[0]);
        Assert.Equal(Size, image.Shape);
        Assert.Equal(new[] { 2.0, 2.0, 2.0 }, image.Spacing);
        Assert.Equal(DemoData.Origin, new[] { image.Affine[0, 3], image.Affine[1, 3], image.Affine[2, 3] });
        Assert.Equal(NiftiDataType.Float32, NiftiReader.ReadHeader(source.Training[0].Images[0]).DataType);
        Assert.Equal(NiftiDataType.UInt8, NiftiReader.ReadHeader(DatasetReader.Open(reports["target_seg"].Dataset).Training[0].LabelFile!).DataType);
        Assert.Equal(DemoData.Source(0, 1, Size).Image, image.Data);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(200)]
    public void Classes_are_balanced_in_every_pair_in_a_seeded_order(int cases)
    {
        foreach (int salt in new[] { 1, 2 })
        {
            int ones = Enumerable.Range(0, cases).Sum(i => DemoData.ClassOf(i, 3, salt));
            Assert.InRange(ones, cases / 2, (cases + 1) / 2);
        }
        Assert.NotEqual(Enumerable.Range(0, 40).Select(i => DemoData.ClassOf(i, 3, 1)), Enumerable.Range(0, 40).Select(i => i % 2));
    }

    private static void CheckLayout(DemoCase c)
    {
        Assert.Equal(DemoData.BlobsPerCase, c.Blobs.Count);
        foreach (var b in c.Blobs)
        {
            Assert.InRange(b.Radius, DemoData.MinRadius, DemoData.MaxRadius);
            Assert.InRange(b.Texture, 0, DemoData.Textures - 1);
            for (int a = 0; a < 3; a++) Assert.InRange(b.Centre[a], DemoData.Margin, Size[a] - 1 - DemoData.Margin);
        }
        for (int i = 0; i < c.Blobs.Count; i++)
            for (int j = i + 1; j < c.Blobs.Count; j++)
                Assert.True(Distance(c.Blobs[i].Centre, c.Blobs[j].Centre) >= DemoData.MinSeparation, $"{c.Id}: blobs {i} and {j} closer than {DemoData.MinSeparation}");
    }

    private static double Distance(double[] a, double[] b) => Math.Sqrt(a.Zip(b, (x, y) => (x - y) * (x - y)).Sum());

    [Fact]
    public void Labels_are_the_documented_functions_of_the_blobs()
    {
        for (int i = 0; i < 60; i++)
        {
            var s = DemoData.Source(i, 11, Size);
            CheckLayout(s);
            Assert.Equal(s.Blobs.Count(b => b.AxisAligned) >= 2 ? 1 : 0, s.Label);
            Assert.Equal(DemoData.ClassOf(i, 11, 1), s.Label);

            var t = DemoData.Target(i, 11, Size);
            CheckLayout(t);
            int lesions = t.Blobs.Count(b => b.Texture == DemoData.LesionTexture);
            Assert.Equal(t.Label, lesions);   // 0 in negatives, exactly one in positives
            Assert.Equal(DemoData.ClassOf(i, 11, 2), t.Label);

            var ss = DemoData.SourceSegmentation(i, 11, Size);
            Assert.Contains(ss.Blobs, b => b.AxisAligned);
            CheckMask(ss, ss.Blobs.Where(b => b.AxisAligned));
            var ts = DemoData.TargetSegmentation(i, 11, Size);
            Assert.Single(ts.Blobs, b => b.Texture == DemoData.LesionTexture);
            CheckMask(ts, ts.Blobs.Where(b => b.Texture == DemoData.LesionTexture));
        }
    }

    /// <summary>The mask is 1 exactly on the voxels within the radius of the marked blobs.</summary>
    private static void CheckMask(DemoCase c, IEnumerable<DemoBlob> marked)
    {
        var blobs = marked.ToList();
        int v = 0, ones = 0;
        for (int i = 0; i < Size[0]; i++)
            for (int j = 0; j < Size[1]; j++)
                for (int k = 0; k < Size[2]; k++, v++)
                {
                    bool inside = blobs.Any(b => Distance(b.Centre, [i, j, k]) <= b.Radius);
                    Assert.Equal(inside ? 1 : 0, c.Mask![v]);
                    ones += inside ? 1 : 0;
                }
        // Balls of radius 3.5–4.5 voxels hold about 180–380 voxels each.
        Assert.InRange(ones, 150 * blobs.Count, 400 * blobs.Count);
    }

    /// <summary>Amplitude of the period-4 stripes along <paramref name="direction"/> in the voxels within radius − 1 of a blob (least-squares cos/sin fit).</summary>
    private static double StripeAmplitude(DemoCase c, DemoBlob b, double[] direction)
    {
        double cc = 0, ss = 0, cs = 0, yc = 0, ys = 0, mean = 0;
        var values = new List<(double Value, double Phase)>();
        int v = 0;
        for (int i = 0; i < Size[0]; i++)
            for (int j = 0; j < Size[1]; j++)
                for (int k = 0; k < Size[2]; k++, v++)
                    if (Distance(b.Centre, [i, j, k]) <= b.Radius - 1)
                        values.Add((c.Image[v], 2 * Math.PI / DemoData.StripePeriod * (direction[0] * i + direction[1] * j + direction[2] * k)));
        mean = values.Average(x => x.Value);
        foreach (var (value, phase) in values)
        {
            double cos = Math.Cos(phase), sin = Math.Sin(phase), y = value - mean;
            cc += cos * cos; ss += sin * sin; cs += cos * sin; yc += y * cos; ys += y * sin;
        }
        double det = cc * ss - cs * cs;
        double a = (yc * ss - ys * cs) / det, s = (ys * cc - yc * cs) / det;
        return Math.Sqrt(a * a + s * s);
    }

    private static readonly double[][] Directions =
        [[1, 0, 0], [0, 1, 0], [0, 0, 1], [Math.Sqrt(0.5), Math.Sqrt(0.5), 0], [Math.Sqrt(0.5), 0, Math.Sqrt(0.5)], [0, Math.Sqrt(0.5), Math.Sqrt(0.5)]];

    [Fact]
    public void Each_blob_carries_the_stripes_of_its_texture_and_no_mean_contrast()
    {
        int right = 0, total = 0;
        double inside = 0, outside = 0;
        int nIn = 0, nOut = 0;
        for (int i = 0; i < 20; i++)
        {
            var c = DemoData.Target(i, 3, Size);
            foreach (var b in c.Blobs)
            {
                var amplitudes = Directions.Select(d => StripeAmplitude(c, b, d)).ToArray();
                // The blob's own direction: near the documented 25 HU (noise of 15 HU over ~100 voxels adds a few HU).
                Assert.InRange(amplitudes[b.Texture], 0.7 * DemoData.TextureHu, 1.3 * DemoData.TextureHu);
                total++;
                if (Array.IndexOf(amplitudes, amplitudes.Max()) == b.Texture) right++;
            }
            int v = 0;
            for (int a = 0; a < Size[0]; a++)
                for (int j = 0; j < Size[1]; j++)
                    for (int k = 0; k < Size[2]; k++, v++)
                    {
                        if (c.Blobs.Any(b => Distance(b.Centre, [a, j, k]) <= b.Radius)) { inside += c.Image[v]; nIn++; }
                        else { outside += c.Image[v]; nOut++; }
                    }
        }
        Assert.Equal(total, right);
        // Blobs are not brighter or darker than tissue: only their texture tells them apart.
        Assert.InRange(inside / nIn - outside / nOut, -1.5, 1.5);
    }

    [Fact]
    public void Source_and_target_share_their_low_level_statistics()
    {
        const int n = 300;
        var source = Enumerable.Range(0, n).Select(i => DemoData.Source(i, 5, Size)).ToList();
        var target = Enumerable.Range(0, n).Select(i => DemoData.Target(i, 5, Size)).ToList();
        // Every texture makes up a sixth of the blobs in both tasks (900 blobs each: sd of a share ≈ 0.012).
        for (int t = 0; t < DemoData.Textures; t++)
        {
            double fs = source.SelectMany(c => c.Blobs).Count(b => b.Texture == t) / (3.0 * n);
            double ft = target.SelectMany(c => c.Blobs).Count(b => b.Texture == t) / (3.0 * n);
            Assert.InRange(fs, 1 / 6.0 - 0.045, 1 / 6.0 + 0.045);
            Assert.InRange(ft, 1 / 6.0 - 0.045, 1 / 6.0 + 0.045);
        }
        // The same blob sizes, and the same voxel intensity distribution.
        Assert.InRange(source.SelectMany(c => c.Blobs).Average(b => b.Radius) - target.SelectMany(c => c.Blobs).Average(b => b.Radius), -0.05, 0.05);
        var (ms, ss) = MeanSd(source);
        var (mt, st) = MeanSd(target);
        Assert.InRange(ms - mt, -0.5, 0.5);
        Assert.InRange(ss - st, -0.5, 0.5);
        Assert.InRange(ms, DemoData.TissueHu - 1, DemoData.TissueHu + 1);
    }

    private static (double Mean, double Sd) MeanSd(List<DemoCase> cases)
    {
        double sum = 0, sq = 0;
        long count = 0;
        foreach (var c in cases)
            foreach (var v in c.Image) { sum += v; sq += (double)v * v; count++; }
        double mean = sum / count;
        return (mean, Math.Sqrt(sq / count - mean * mean));
    }

    [Fact]
    public void Bad_arguments_are_refused_before_anything_is_written()
    {
        using var tmp = new TempDir();
        Assert.Throws<ArgumentException>(() => DemoData.Write(tmp.Path, DemoTask.Both, 1, Size, 0));
        Assert.Throws<ArgumentException>(() => DemoData.Write(tmp.Path, DemoTask.Both, 4, [16, 32, 32], 0));
        Assert.Throws<ArgumentException>(() => DemoData.Write(tmp.Path, DemoTask.Both, 4, Size, 0, testCases: -1));
        Assert.Throws<ArgumentException>(() => DemoData.Source(0, 0, [32, 32]));
        Assert.Empty(Directory.EnumerateFileSystemEntries(tmp.Path));
    }
}
