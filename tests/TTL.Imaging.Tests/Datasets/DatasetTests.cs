using TTL.Imaging.Datasets;
using TTL.TestSupport;

namespace TTL.Imaging.Tests.Datasets;

public class DatasetTests
{
    private static readonly double[,] Identity = { { 1, 0, 0, 0 }, { 0, 1, 0, 0 }, { 0, 0, 1, 0 }, { 0, 0, 0, 1 } };

    private static void WriteVolume(string path, int[] shape, Func<int, float> value, double[,]? affine = null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var data = new float[shape[0] * shape[1] * shape[2]];
        for (int v = 0; v < data.Length; v++) data[v] = value(v);
        NiftiWriter.Write(new Volume(data, 1, shape, affine ?? Identity), path);
    }

    private static string MsdSegmentation(TempDir dir, int cases = 3, Action<int, string>? tamper = null)
    {
        var entries = new List<string>();
        for (int i = 0; i < cases; i++)
        {
            string img = $"imagesTr/case{i}.nii.gz", lab = $"labelsTr/case{i}.nii.gz";
            WriteVolume(dir.File(img), [6, 5, 4], v => v * 0.5f);
            WriteVolume(dir.File(lab), [6, 5, 4], v => v % 7 == 0 ? 1 : 0);
            tamper?.Invoke(i, dir.File(lab));
            entries.Add($"{{\"image\": \"./{img}\", \"label\": \"./{lab}\"}}");
        }
        WriteVolume(dir.File("imagesTs/t0.nii.gz"), [6, 5, 4], v => 1);
        File.WriteAllText(dir.File("dataset.json"),
            $"{{\"name\": \"demo\", \"modality\": {{\"0\": \"CT\"}}, \"labels\": {{\"0\": \"background\", \"1\": \"lesion\"}}, " +
            $"\"training\": [{string.Join(", ", entries)}], \"test\": [\"./imagesTs/t0.nii.gz\"]}}");
        return dir.File("dataset.json");
    }

    [Fact]
    public void MsdSegmentationDatasetReadsCasesLabelsAndTestImages()
    {
        using var dir = new TempDir();
        var d = DatasetReader.Open(MsdSegmentation(dir));
        Assert.Equal(DatasetTask.Segmentation, d.Task);
        Assert.Equal("msd", d.Format);
        Assert.Equal(["case0", "case1", "case2"], d.Training.Select(c => c.Id));
        Assert.Equal(dir.File("labelsTr/case1.nii.gz"), d.Training[1].LabelFile);
        Assert.Equal("t0", Assert.Single(d.Test).Id);
        Assert.Equal("lesion", d.Labels[1]);
        Assert.Equal(["CT"], d.ChannelNames);
        DatasetValidator.Validate(d);
        // The folder itself is accepted too.
        Assert.Equal(3, DatasetReader.Open(dir.Path).Training.Count);
    }

    [Fact]
    public void MsdClassificationDatasetTakesIntegerLabels()
    {
        using var dir = new TempDir();
        WriteVolume(dir.File("a.nii"), [3, 3, 3], v => v);
        WriteVolume(dir.File("b.nii"), [3, 3, 3], v => -v);
        File.WriteAllText(dir.File("dataset.json"),
            "{\"labels\": {\"0\": \"benign\", \"1\": \"malignant\"}, \"training\": [{\"image\": \"a.nii\", \"label\": 1}, {\"image\": \"b.nii\", \"label\": 0, \"split\": \"val\"}]}");
        var d = DatasetReader.Open(dir.File("dataset.json"));
        Assert.Equal(DatasetTask.Classification, d.Task);
        Assert.Equal([1, 0], d.Training.Select(c => c.ClassLabel!.Value));
        Assert.Equal("val", d.Training[1].Split);
        Assert.Equal(2, d.ClassCount);
        DatasetValidator.Validate(d);
    }

    [Fact]
    public void NnUnetFolderGroupsChannelFilesPerCase()
    {
        using var dir = new TempDir();
        foreach (var id in new[] { "p01", "p02" })
        {
            WriteVolume(dir.File($"imagesTr/{id}_0000.nii.gz"), [4, 4, 4], v => v);
            WriteVolume(dir.File($"imagesTr/{id}_0001.nii.gz"), [4, 4, 4], v => 2 * v);
            WriteVolume(dir.File($"labelsTr/{id}.nii.gz"), [4, 4, 4], v => v % 3);
        }
        File.WriteAllText(dir.File("dataset.json"),
            "{\"channel_names\": {\"0\": \"T1\", \"1\": \"FLAIR\"}, \"labels\": {\"background\": 0, \"edema\": 1, \"core\": 2}, \"numTraining\": 2, \"file_ending\": \".nii.gz\"}");
        var d = DatasetReader.Open(dir.Path);
        Assert.Equal("nnunet", d.Format);
        Assert.Equal(["T1", "FLAIR"], d.ChannelNames);
        Assert.Equal(2, d.Training[0].Images.Count);
        Assert.EndsWith("p01_0001.nii.gz", d.Training[0].Images[1]);
        Assert.Equal("core", d.Labels[2]);
        DatasetValidator.Validate(d);

        File.Delete(dir.File("imagesTr/p02_0001.nii.gz"));
        var ex = Assert.Throws<InvalidDataException>(() => DatasetReader.Open(dir.Path));
        Assert.Contains("p02", ex.Message);
    }

    [Fact]
    public void CsvWithClassNamesAndSplitColumn()
    {
        using var dir = new TempDir();
        for (int i = 0; i < 4; i++) WriteVolume(dir.File($"v{i}.nii.gz"), [2, 2, 2], v => i);
        File.WriteAllText(dir.File("cases.csv"), "image,label,split\nv0.nii.gz,tumour,train\nv1.nii.gz,normal,train\n\"v2.nii.gz\",tumour,val\nv3.nii.gz,normal,test\n");
        var d = DatasetReader.Open(dir.File("cases.csv"));
        Assert.Equal(DatasetTask.Classification, d.Task);
        Assert.Equal("normal", d.Labels[0]);
        Assert.Equal("tumour", d.Labels[1]);
        Assert.Equal(3, d.Training.Count);
        Assert.Equal("v3", Assert.Single(d.Test).Id);
        var s = DatasetSplits.ByColumn(d);
        Assert.Equal(["v0", "v1"], s.Train.Select(c => c.Id));
        Assert.Equal("v2", Assert.Single(s.Validation).Id);
    }

    [Fact]
    public void KFoldIsDeterministicDisjointCoveringAndStratified()
    {
        using var dir = new TempDir();
        var lines = new List<string> { "image,label" };
        for (int i = 0; i < 20; i++)
        {
            WriteVolume(dir.File($"c{i:D2}.nii"), [2, 2, 2], v => i);
            lines.Add($"c{i:D2}.nii,{(i < 5 ? 1 : 0)}");
        }
        File.WriteAllLines(dir.File("cases.csv"), lines);
        var d = DatasetReader.Open(dir.File("cases.csv"));
        var seen = new HashSet<string>();
        for (int f = 0; f < 5; f++)
        {
            var s = DatasetSplits.KFold(d, 5, f, seed: 11);
            Assert.Empty(s.Train.Select(c => c.Id).Intersect(s.Validation.Select(c => c.Id)));
            Assert.Equal(20, s.Train.Count + s.Validation.Count);
            Assert.Equal(1, s.Validation.Count(c => c.ClassLabel == 1));
            foreach (var c in s.Validation) Assert.True(seen.Add(c.Id));
            Assert.Equal(s.Validation.Select(c => c.Id), DatasetSplits.KFold(d, 5, f, seed: 11).Validation.Select(c => c.Id));
        }
        Assert.Equal(20, seen.Count);
        Assert.NotEqual(DatasetSplits.KFold(d, 5, 0, 11).Validation.Select(c => c.Id), DatasetSplits.KFold(d, 5, 0, 12).Validation.Select(c => c.Id));
    }

    [Fact]
    public void MissingFileIsNamed()
    {
        using var dir = new TempDir();
        var json = MsdSegmentation(dir);
        File.Delete(dir.File("imagesTr/case1.nii.gz"));
        var ex = Assert.Throws<InvalidDataException>(() => DatasetValidator.Validate(DatasetReader.Open(json)));
        Assert.Contains("case1.nii.gz", ex.Message);
        Assert.Contains("does not exist", ex.Message);
    }

    [Fact]
    public void LabelOfAnotherShapeIsNamed()
    {
        using var dir = new TempDir();
        var json = MsdSegmentation(dir, tamper: (i, lab) => { if (i == 2) WriteVolume(lab, [6, 5, 3], v => 0); });
        var ex = Assert.Throws<InvalidDataException>(() => DatasetValidator.Validate(DatasetReader.Open(json)));
        Assert.Contains("case2.nii.gz", ex.Message);
        Assert.Contains("shape 6x5x3", ex.Message);
    }

    [Fact]
    public void LabelOnAnotherGridIsNamed()
    {
        using var dir = new TempDir();
        var shifted = (double[,])Identity.Clone();
        shifted[0, 3] = 4;
        var json = MsdSegmentation(dir, tamper: (i, lab) => { if (i == 0) WriteVolume(lab, [6, 5, 4], v => 0, shifted); });
        var ex = Assert.Throws<InvalidDataException>(() => DatasetValidator.Validate(DatasetReader.Open(json)));
        Assert.Contains("case0.nii.gz", ex.Message);
        Assert.Contains("affine", ex.Message);
    }

    [Fact]
    public void UnknownLabelValueIsNamed()
    {
        using var dir = new TempDir();
        var json = MsdSegmentation(dir, tamper: (i, lab) => { if (i == 1) WriteVolume(lab, [6, 5, 4], v => v == 9 ? 3 : 0); });
        var ex = Assert.Throws<InvalidDataException>(() => DatasetValidator.Validate(DatasetReader.Open(json)));
        Assert.Contains("labelsTr/case1.nii.gz", ex.Message.Replace('\\', '/'));
        Assert.Contains("label value 3", ex.Message);
    }

    [Fact]
    public void EmptySplitIsRefused()
    {
        using var dir = new TempDir();
        WriteVolume(dir.File("a.nii"), [2, 2, 2], v => 0);
        WriteVolume(dir.File("b.nii"), [2, 2, 2], v => 0);
        File.WriteAllText(dir.File("c.csv"), "image,label,split\na.nii,0,train\nb.nii,1,train\n");
        var ex = Assert.Throws<InvalidDataException>(() => DatasetSplits.ByColumn(DatasetReader.Open(dir.File("c.csv"))));
        Assert.Contains("c.csv", ex.Message);
        Assert.Contains("validation part", ex.Message);
    }

    [Fact]
    public void MalformedDescriptionsAreNamed()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("bad.csv"), "path,target\nx.nii,1\n");
        Assert.Contains("bad.csv", Assert.Throws<InvalidDataException>(() => DatasetReader.Open(dir.File("bad.csv"))).Message);
        File.WriteAllText(dir.File("dataset.json"), "{\"training\": [");
        Assert.Contains("dataset.json", Assert.Throws<InvalidDataException>(() => DatasetReader.Open(dir.File("dataset.json"))).Message);
        File.WriteAllText(dir.File("dataset.json"), "{\"training\": []}");
        Assert.Contains("no cases", Assert.Throws<InvalidDataException>(() => DatasetReader.Open(dir.File("dataset.json"))).Message);
    }
}
