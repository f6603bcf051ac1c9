using System.Text.Json;
using TTL.Imaging;
using TTL.Imaging.Datasets;
using TTL.TestSupport;
using CliProcess = TTL.TestSupport.Cli;

namespace TTL.Cli.Tests;

public sealed class DemoDataCliTests
{
    [Fact]
    public void Json_lists_each_task_with_a_dataset_that_validates()
    {
        using var tmp = new TempDir();
        string outDir = Path.Combine(tmp.Path, "demo");
        var r = CliProcess.Run("demo-data", outDir, "--task", "both", "--cases", "6", "--test", "2", "--size", "28,26,24", "--seed", "3", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        Assert.Equal(outDir, doc.RootElement.GetProperty("out").GetString());
        var tasks = doc.RootElement.GetProperty("tasks");
        Assert.Equal(["source", "source_seg", "target", "target_seg"], tasks.EnumerateObject().Select(p => p.Name).Order());
        foreach (var task in tasks.EnumerateObject())
        {
            Assert.Equal((6, 2), (task.Value.GetProperty("cases").GetInt32(), task.Value.GetProperty("test_cases").GetInt32()));
            var dataset = DatasetReader.Open(task.Value.GetProperty("dataset").GetString()!);
            Assert.Equal((6, 2), (dataset.Training.Count, dataset.Test.Count));
            DatasetValidator.Validate(dataset);
            Assert.Equal([28, 26, 24], NiftiReader.ReadHeader(dataset.Training[0].Images[0]).SpatialShape);
        }
        Assert.Equal(DatasetTask.Segmentation, DatasetReader.Open(Path.Combine(outDir, "target_seg")).Task);
    }

    [Fact]
    public void One_task_only_writes_that_task_with_its_default_size()
    {
        using var tmp = new TempDir();
        var r = CliProcess.Run("demo-data", tmp.Path, "--task", "source", "--cases", "2");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("source: 2 cases", r.Stdout);
        Assert.Equal(["source", "source_seg"], Directory.EnumerateDirectories(tmp.Path).Select(Path.GetFileName).Order());
        Assert.Equal([24, 24, 24], NiftiReader.ReadHeader(Path.Combine(tmp.Path, "source", "imagesTr", "source_0000.nii.gz")).SpatialShape);
    }

    [Theory]
    [InlineData("--task", "lesions")]
    [InlineData("--cases", "1")]
    [InlineData("--cases", "many")]
    [InlineData("--size", "32,32")]
    [InlineData("--size", "16,32,32")]
    [InlineData("--test", "-1")]
    [InlineData("--size", "32,x,32")]
    [InlineData("--threads", "0")]
    public void Bad_arguments_exit_2_and_write_nothing(string flag, string value)
    {
        using var tmp = new TempDir();
        string outDir = Path.Combine(tmp.Path, "demo");
        var r = CliProcess.Run("demo-data", outDir, flag, value);
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("error: ", r.Stderr);
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void Missing_output_folder_exits_2()
    {
        var r = CliProcess.Run("demo-data");
        Assert.Equal(2, r.ExitCode);
    }
}

public sealed class DemoCliTests
{
    [Theory]
    [InlineData("--task", "detection")]
    [InlineData("--jobs", "0")]
    [InlineData("--threads", "0")]
    public void Bad_arguments_exit_2_before_any_work(string flag, string value)
    {
        using var tmp = new TempDir();
        var r = CliProcess.Run("demo", "--out", tmp.File("d"), flag, value);
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("error: ", r.Stderr);
        Assert.False(Directory.Exists(tmp.File("d")));
    }

    [Fact]
    public void Quick_is_the_classification_demo_only()
    {
        using var tmp = new TempDir();
        var r = CliProcess.Run("demo", "--out", tmp.File("d"), "--task", "segmentation", "--quick");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--quick", r.Stderr);
    }

    [Fact]
    public void Learnability_trains_both_tasks_from_scratch_and_reports_their_test_scores()
    {
        using var tmp = new TempDir();
        var r = CliProcess.Run("demo", "--learnability", "--cases", "20", "--test", "6", "--epochs", "1", "--out", tmp.File("l"), "--json", "--seed", "4");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        Assert.Equal(["source", "target"], doc.RootElement.EnumerateArray().Select(e => e.GetProperty("task").GetString()));
        foreach (var e in doc.RootElement.EnumerateArray())
        {
            Assert.Equal((18, 6), (e.GetProperty("train_cases").GetInt32(), e.GetProperty("test_cases").GetInt32()));
            Assert.InRange(e.GetProperty("test").GetProperty("auroc").GetDouble(), 0, 1);
            Assert.True(File.Exists(Path.Combine(e.GetProperty("run").GetString()!, "test_cases.csv")));
        }
    }
}
