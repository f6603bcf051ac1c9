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

/// <summary>
/// `ttl preprocess --device cuda` (on a GPU, or on the CUDA simulator in build/test) against the
/// CPU: every step with a GPU form runs on the device, the rest on the CPU, and the outputs agree.
/// </summary>
[Trait("Category", "Gpu")]
public class PreprocessDeviceCliTests
{
    // LPS with the first two axes swapped: reorienting to RAS permutes and flips.
    private static readonly double[,] Affine = { { 0, -1.3, 0, 40 }, { -0.9, 0, 0, 35 }, { 0, 0, 2.2, -10 }, { 0, 0, 0, 1 } };

    private const string PipelineYaml = """
        transforms:
        - name: reorient
        - name: spacing
          pixdim: [1.7, 2.0, 2.5]
        - name: clip
          min: -400
          max: 1400
        - name: percentile_clip
          lower: 1
          upper: 99
        - name: zscore
          nonzero: true
        - name: crop_foreground
          threshold: -0.5
          margin: [1, 1, 1]
        - name: center_crop_pad
          size: [11, 9, 7]
          pad_value: -2
        - name: pad_to_multiple
          multiple: [4, 4, 4]
        - name: random_flip
          axes: [0, 1, 2]
          prob: 0.6
        - name: random_rot90
          axes: [0, 2]
          prob: 0.9
        - name: random_affine
          prob: 1
          rotate: [10, 5, 5]
          scale: [0.1, 0.1, 0.1]
          translate: [1, 1, 1]
        - name: gaussian_noise
          prob: 1
          std: 0.1
        - name: scale_shift
          prob: 1
        - name: gamma
          prob: 1
        """;

    private static void Case(TempDir dir, int i)
    {
        int[] shape = [14, 13, 9];
        var rng = new Random(i);
        var img = new float[shape[0] * shape[1] * shape[2]];
        var lab = new float[img.Length];
        for (int v = 0; v < img.Length; v++)
        {
            int a = v / (shape[1] * shape[2]), b = v / shape[2] % shape[1], c = v % shape[2];
            double r = Math.Sqrt((a - 7.0) * (a - 7.0) + (b - 6.0) * (b - 6.0) + 2 * (c - 4.0) * (c - 4.0));
            img[v] = r > 6 ? 0f : (float)(900 * Math.Cos(r / 3) + 150 * rng.NextDouble() - 300);
            lab[v] = r < 2.5 ? 2 : r < 4.5 ? 1 : 0;
        }
        Directory.CreateDirectory(dir.File("imagesTr"));
        Directory.CreateDirectory(dir.File("labelsTr"));
        NiftiWriter.Write(new Volume(img, 1, shape, Affine), dir.File($"imagesTr/c{i}.nii.gz"));
        NiftiWriter.Write(new Volume(lab, 1, shape, Affine), dir.File($"labelsTr/c{i}.nii.gz"));
    }

    [GpuFact]
    public void Cuda_preprocessing_with_augmentation_equals_the_cpu_and_names_the_steps_left_on_the_cpu()
    {
        using var dir = new TempDir();
        for (int i = 0; i < 2; i++) Case(dir, i);
        File.WriteAllText(dir.File("dataset.json"), "{\"labels\": {\"0\": \"bg\", \"1\": \"a\", \"2\": \"b\"}, \"training\": [" +
            "{\"image\": \"imagesTr/c0.nii.gz\", \"label\": \"labelsTr/c0.nii.gz\"}, {\"image\": \"imagesTr/c1.nii.gz\", \"label\": \"labelsTr/c1.nii.gz\"}]}");
        File.WriteAllText(dir.File("pipeline.yaml"), PipelineYaml);
        CliResult Run(string device) => TTL.TestSupport.Cli.Run("preprocess", "--data", dir.File("dataset.json"), "--pipeline", dir.File("pipeline.yaml"),
            "--out", dir.File(device), "--augment", "--seed", "5", "--device", device, "--json");
        var cpu = Run("cpu");
        Assert.True(cpu.ExitCode == 0, cpu.Stderr);
        var gpu = Run("cuda");
        Assert.True(gpu.ExitCode == 0, gpu.Stderr);

        var j = JsonDocument.Parse(gpu.Stdout).RootElement;
        Assert.StartsWith("cuda:0", j.GetProperty("device").GetString());
        Assert.Equal(["crop_foreground", "gamma"], j.GetProperty("cpu_steps").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("cpu", JsonDocument.Parse(cpu.Stdout).RootElement.GetProperty("device").GetString());
        if (TTL.Cuda.Driver.CudaDriver.Default.IsSimulator)
        {
            Assert.EndsWith("(CUDA simulator)", j.GetProperty("device").GetString());
            Assert.Contains("not a GPU", gpu.Stderr);
        }
        for (int i = 0; i < 2; i++)
        {
            var ci = NiftiReader.Read(dir.File($"cpu/imagesTr/c{i}.nii.gz"));
            var gi = NiftiReader.Read(dir.File($"cuda/imagesTr/c{i}.nii.gz"));
            Assert.Equal(ci.Shape, gi.Shape);
            Assert.Equal(ci.Affine, gi.Affine);
            for (int v = 0; v < ci.Data.Length; v++)
                Assert.True(Math.Abs(ci.Data[v] - gi.Data[v]) <= 1e-5 * Math.Max(1, Math.Abs(ci.Data[v])), $"case {i} voxel {v}: cpu {ci.Data[v]}, cuda {gi.Data[v]}");
            Assert.Equal(NiftiReader.Read(dir.File($"cpu/labelsTr/c{i}.nii.gz")).Data, NiftiReader.Read(dir.File($"cuda/labelsTr/c{i}.nii.gz")).Data);
        }
    }

    [Fact]
    public void An_unknown_device_is_a_usage_error()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("pipeline.yaml"), "transforms:\n- name: zscore\n");
        Directory.CreateDirectory(dir.File("in"));
        NiftiWriter.Write(new Volume(new float[8], 1, [2, 2, 2], Affine), dir.File("in/a.nii.gz"));
        var r = TTL.TestSupport.Cli.Run("preprocess", "--data", dir.File("in"), "--pipeline", dir.File("pipeline.yaml"), "--out", dir.File("out"), "--device", "tpu");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--device tpu", r.Stderr);
    }
}
