using System.CommandLine;
using System.Globalization;
using System.Text;
using TTL.Imaging;
using TTL.Imaging.Datasets;
using TTL.Imaging.Pipelines;
using TTL.Models.Strategies;
using TTL.Torch;
using TTL.Training;
using TTL.Training.Inference;
using F = TTL.Torch.torch.nn.functional;

namespace TTL.Cli.Commands;

/// <summary>
/// `ttl predict`: inference with a trained run on new volumes. Segmentation: sliding window over
/// the preprocessed volume, arg-max, brought back to the original image's grid and written as
/// NIfTI with the original affine (OUT/&lt;case&gt;.nii.gz). Classification: a CSV of class
/// probabilities (OUT if it ends in .csv, else OUT/predictions.csv).
/// </summary>
public static class PredictCommand
{
    public static Command Create()
    {
        var run = new Option<string>("--run") { Description = "run directory made by ttl train", Required = true };
        var input = new Option<string>("--in") { Description = "a NIfTI file or a folder of them", Required = true };
        var output = new Option<string>("--out") { Description = "output folder (segmentation) or CSV file / folder (classification)", Required = true };
        var overlap = new Option<double?>("--overlap") { Description = "sliding-window overlap in [0, 1) (default: the run's)" };
        var tta = new Option<bool>("--tta") { Description = "average over the 8 flips of the three spatial axes (segmentation)" };
        var checkpoint = new Option<string>("--checkpoint") { Description = "best or last", DefaultValueFactory = _ => "best" };
        var threads = CommonOptions.Threads();
        var json = CommonOptions.Json();
        var quiet = CommonOptions.Quiet();
        var cmd = new Command("predict", "inference on new volumes: NIfTI label maps in the original space, or a CSV of class probabilities")
            { run, input, output, overlap, tta, checkpoint, threads, json, quiet };
        cmd.SetAction(pr =>
        {
            if (pr.GetValue(checkpoint) is not ("best" or "last")) throw new UsageException($"--checkpoint {pr.GetValue(checkpoint)}: expected best or last");
            if (pr.GetValue(overlap) is double o && !(o >= 0 && o < 1)) throw new UsageException($"--overlap {o}: expected a value in [0, 1)");
            torch.set_num_threads(pr.GetValue(threads));
            var files = Inputs(pr.GetValue(input)!);
            using var trained = TrainedModel.Load(pr.GetValue(run)!, pr.GetValue(checkpoint)!);
            var pipeline = trained.Pipeline ?? new Pipeline([]);
            bool quietRun = pr.GetValue(quiet) || pr.GetValue(json) || Console.IsErrorRedirected;
            var written = trained.Task == TaskKind.Segmentation
                ? Segment(trained, pipeline, files, pr.GetValue(output)!, pr.GetValue(overlap) ?? trained.Config.Train.Overlap, pr.GetValue(tta), quietRun)
                : Classify(trained, pipeline, files, pr.GetValue(output)!);
            if (pr.GetValue(json)) CommonOptions.PrintJson(new { task = trained.Task.ToString().ToLowerInvariant(), cases = files.Count, outputs = written });
            else if (!pr.GetValue(quiet)) Console.WriteLine($"{files.Count} volume(s) → {string.Join(", ", written.Take(3))}{(written.Count > 3 ? ", …" : "")}");
            return CliApp.Ok;
        });
        return cmd;
    }

    private static List<string> Inputs(string path)
    {
        if (File.Exists(path)) return [Path.GetFullPath(path)];
        if (!Directory.Exists(path)) throw new FileNotFoundException($"{path}: no such file or folder", path);
        var files = Directory.EnumerateFiles(path)
            .Where(f => f.EndsWith(".nii", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".nii.gz", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0) throw new InvalidDataException($"{path}: no .nii or .nii.gz files");
        return files;
    }

    private static Sample Preprocess(Pipeline pipeline, string file) =>
        pipeline.ApplyDeterministic(CaseLoader.Load(new DatasetCase(DatasetReader.CaseId(file), [file])));

    private static List<string> Segment(TrainedModel m, Pipeline pipeline, List<string> files, string outDir, double overlap, bool tta, bool quiet)
    {
        Directory.CreateDirectory(outDir);
        var patch = m.Config.Train.PatchSize ?? throw new InvalidDataException("the run's config has no train.patch_size");
        var options = new SlidingWindowOptions { PatchSize = patch, Overlap = overlap, BatchSize = m.Config.Train.BatchSize, FlipTta = tta };
        var written = new List<string>();
        foreach (var file in files)
        {
            var s = Preprocess(pipeline, file);
            using var scope = torch.NewDisposeScope();
            using var volume = torch.tensor(s.Image.Data, s.Image.Channels, s.Image.I, s.Image.J, s.Image.K);
            var logits = SlidingWindow.Predict(volume, t => m.Model.Network.call(t), options);
            string target = Path.Combine(outDir, DatasetReader.CaseId(file) + ".nii.gz");
            PredictionWriter.ForImage(file).WriteLabels(PredictionWriter.LabelVolume(logits.argmax(0), s.Image.Affine), target);
            written.Add(target);
            if (!quiet) Console.Error.WriteLine($"{Path.GetFileName(file)} → {target}");
        }
        return written;
    }

    private static List<string> Classify(TrainedModel m, Pipeline pipeline, List<string> files, string output)
    {
        string csv = output.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) ? output : Path.Combine(output, "predictions.csv");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(csv))!);
        var sb = new StringBuilder("image," + string.Join(",", Enumerable.Range(0, m.Classes).Select(k => $"prob_{k}")) + ",predicted\n");
        using var noGrad = torch.no_grad();
        foreach (var file in files)
        {
            var s = Preprocess(pipeline, file);
            using var scope = torch.NewDisposeScope();
            using var x = torch.tensor(s.Image.Data, 1, s.Image.Channels, s.Image.I, s.Image.J, s.Image.K);
            Tensor logits;
            try { logits = m.Model.Network.call(x); }
            catch (TorchException e) { throw new InvalidDataException($"{Path.GetFileName(file)}: the model cannot take this volume ({e.Message.Split('\n')[0]})"); }
            var p = F.softmax(logits, 1).to(DType.Float64).data<double>();
            int best = Array.IndexOf(p, p.Max());
            sb.Append(CsvField(file)).Append(',')
              .Append(string.Join(",", p.Select(v => v.ToString("G9", CultureInfo.InvariantCulture)))).Append(',').Append(best).Append('\n');
        }
        TTL.Training.Runs.RunFiles.WriteText(csv, sb.ToString());
        return [csv];
    }

    private static string CsvField(string s) => s.Contains(',') || s.Contains('"') ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
}
