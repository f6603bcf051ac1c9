using TTL.Imaging;
using TTL.Imaging.Cuda;
using TTL.Imaging.Pipelines;

namespace TTL.Cuda.Tests.Gpu;

/// <summary>Pipelines on the GPU (GpuPipeline) against the CPU transforms, images with and without labels, and no device memory left behind.</summary>
[Trait("Category", "Gpu")]
[Collection(GpuCollection.Name)]
public sealed class GpuPipelineTests
{
    private const string Yaml = """
        transforms:
        - name: reorient
          axcodes: RAS
        - name: resize
          shape: [15, 12, 11]
        - name: window
          level: 40
          width: 400
        - name: crop_foreground
          threshold: 0.2
        - name: center_crop_pad
          size: [13, 13, 9]
        - name: random_flip
          axes: [0, 1, 2]
          prob: 0.7
        - name: random_rot90
          axes: [1, 2]
          prob: 1
        - name: random_affine
          prob: 1
          rotate: [12, 0, 6]
          scale: [0.1, 0.1, 0.1]
        - name: gaussian_noise
          prob: 1
          std: 0.05
        - name: scale_shift
          prob: 1
        """;

    private static readonly double[,] Lps = { { -0.9, 0, 0, 60 }, { 0, -1.1, 0, 50 }, { 0, 0, 2.0, -30 }, { 0, 0, 0, 1 } };

    [GpuFact]
    public void Image_only_and_image_label_samples_come_out_as_on_the_cpu_and_free_their_device_memory()
    {
        var pipeline = Pipeline.FromYaml(Yaml);
        var gpu = Gpus.Device;
        var (free, _) = gpu.Context.MemoryInfo();
        Assert.Equal(["crop_foreground"], PipelineRunner.On(gpu).CpuSteps(pipeline));
        foreach (bool withLabel in new[] { false, true })
            for (long seed = 1; seed <= 3; seed++)
            {
                Sample Make()
                {
                    var image = Gpus.RandomVolume(1, [17, 14, 9], 20, Lps);
                    var label = new Volume(image.Data.Select(v => v > 500 ? 2f : v > 0 ? 1f : 0f).ToArray(), 1, image.Shape, Lps);
                    return new Sample(image, withLabel ? label : null, "case" + seed);
                }
                var cpu = pipeline.Apply(Make(), seed);
                var runner = PipelineRunner.On(gpu);
                var g = runner.ApplyRandom(pipeline, runner.ApplyDeterministic(pipeline, Make()), seed);
                Assert.Equal(cpu.Image.Shape, g.Image.Shape);
                Assert.Equal(cpu.Image.Affine, g.Image.Affine);
                Gpus.Close(cpu.Image.Data, g.Image.Data, 1e-5, $"image (label: {withLabel}, seed {seed})");
                if (withLabel) Assert.Equal(cpu.Label!.Data, g.Label!.Data);
                else Assert.Null(g.Label);
            }
        Assert.Equal(free, gpu.Context.MemoryInfo().Free);
    }
}
