using TTL.Imaging.Pipelines;
using TTL.TestSupport;
using TTL.Training.Config;

namespace TTL.Training.Tests;

/// <summary>The ready-to-edit examples under data/ parse with every key known.</summary>
public class ExampleConfigTests
{
    public static TheoryData<string> Experiments() => new(Directory.GetFiles(Path.Combine(Repo.Root, "data", "experiments"), "*.yaml").Select(Path.GetFileName)!);
    public static TheoryData<string> Pipelines() => new(Directory.GetFiles(Path.Combine(Repo.Root, "data", "pipelines"), "*.yaml").Select(Path.GetFileName)!);

    [Theory]
    [MemberData(nameof(Experiments))]
    public void ExperimentConfigParsesAndNamesAnExistingPipeline(string name)
    {
        var cfg = ExperimentConfig.Load(Path.Combine(Repo.Root, "data", "experiments", name));
        Assert.False(string.IsNullOrEmpty(cfg.Data.Dataset));
        if (cfg.Data.Pipeline is not null) Pipeline.Load(cfg.Data.Pipeline);
    }

    [Theory]
    [MemberData(nameof(Pipelines))]
    public void PipelineParses(string name) => Assert.NotEmpty(Pipeline.Load(Path.Combine(Repo.Root, "data", "pipelines", name)).Steps);
}
