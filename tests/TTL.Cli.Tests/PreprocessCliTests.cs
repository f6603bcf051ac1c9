using System.Text.Json;
using TTL.Imaging;
using TTL.TestSupport;
using CliProcess = TTL.TestSupport.Cli;

namespace TTL.Cli.Tests;

public class PreprocessCliTests
{
    private static readonly double[,] Affine = { { 1.5, 0, 0, 0 }, { 0, 1.5, 0, 0 }, { 0, 0, 3, 0 }, { 0, 0, 0, 1 } };

    private static void Write(string path, int[] shape, Func<int, float> f)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var data = new float[shape[0] * shape[1] * shape[2]];
        for (int v = 0; v < data.Length; v++) data[v] = f(v);
        NiftiWriter.Write(new Volume(data, 1, shape, Affine), path);
    }

    [Fact]
    public void PreprocessesAnMsdDatasetAndReusesTheCacheOnTheSecondRun()
    {
        using var dir = new TempDir();
        for (int i = 0; i < 2; i++)
        {
            Write(dir.File($"imagesTr/c{i}.nii.gz"), [8, 6, 4], v => v + i);
            Write(dir.File($"labelsTr/c{i}.nii.gz"), [8, 6, 4], v => v % 5 == 0 ? 1 : 0);
        }
        File.WriteAllText(dir.File("dataset.json"),
            "{\"labels\": {\"0\": \"bg\", \"1\": \"fg\"}, \"training\": [{\"image\": \"imagesTr/c0.nii.gz\", \"label\": \"labelsTr/c0.nii.gz\"}, {\"image\": \"imagesTr/c1.nii.gz\", \"label\": \"labelsTr/c1.nii.gz\"}]}");
        File.WriteAllText(dir.File("pipeline.yaml"), "transforms:\n- name: spacing\n  pixdim: [3.0, 3.0, 3.0]\n- name: zscore\n");
        string output = dir.File("out");

        var first = CliProcess.Run("preprocess", "--data", dir.File("dataset.json"), "--pipeline", dir.File("pipeline.yaml"), "--out", output, "--json");
        Assert.True(first.ExitCode == 0, first.Stderr);
        var j1 = JsonDocument.Parse(first.Stdout).RootElement;
        Assert.Equal(2, j1.GetProperty("cases").GetInt32());
        Assert.Equal(2, j1.GetProperty("cache_misses").GetInt32());

        var image = NiftiReader.Read(Path.Combine(output, "imagesTr", "c0.nii.gz"));
        // MONAI Spacing: round_half_even((n − 1)·old / new) + 1 voxels per axis.
        Assert.Equal(new[] { 5, 3, 4 }, image.Shape);
        Assert.Equal(3.0, image.Spacing[0], 6);
        var label = NiftiReader.Read(Path.Combine(output, "labelsTr", "c0.nii.gz"));
        Assert.Equal(image.Shape, label.Shape);
        Assert.All(label.Data, v => Assert.True(v == 0 || v == 1));
        Assert.True(File.Exists(Path.Combine(output, "dataset.json")));

        var second = CliProcess.Run("preprocess", "--data", dir.File("dataset.json"), "--pipeline", dir.File("pipeline.yaml"), "--out", output, "--json");
        Assert.True(second.ExitCode == 0, second.Stderr);
        Assert.Equal(2, JsonDocument.Parse(second.Stdout).RootElement.GetProperty("cache_hits").GetInt32());
    }

    [Fact]
    public void MissingCaseFileExitsThreeNamingIt()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("dataset.json"), "{\"training\": [{\"image\": \"imagesTr/gone.nii.gz\", \"label\": 1}]}");
        File.WriteAllText(dir.File("pipeline.yaml"), "transforms:\n- name: zscore\n");
        var r = CliProcess.Run("preprocess", "--data", dir.File("dataset.json"), "--pipeline", dir.File("pipeline.yaml"), "--out", dir.File("out"));
        Assert.Equal(3, r.ExitCode);
        Assert.StartsWith("error: ", r.Stderr);
        Assert.Contains("gone.nii.gz", r.Stderr);
    }
}
