using System.CommandLine;
using TTL.Imaging;
using TTL.Models;
using TTL.Models.Checkpoints;
using TTL.Models.ResNets;
using TTL.Models.Strategies;
using TTL.Torch;
using F = TTL.Torch.torch.nn.functional;

namespace TTL.Cli.Commands;

/// <summary>
/// `ttl features`: runs a pretrained body up to a cut point, in eval mode, over one NIfTI volume
/// (as stored: channel-first [1, C, I, J, K], no preprocessing) and saves the activation, or its
/// global average, as safetensors.
/// </summary>
public static class FeaturesCommand
{
    public static Command Create()
    {
        var arch = new Option<string>("--arch") { Description = "architecture: " + string.Join(", ", Architectures.Names), Required = true };
        var shortcut = new Option<string?>("--shortcut") { Description = "ResNet shortcut A or B (default: MedicalNet's for the depth)" };
        var weights = new Option<string>("--weights") { Description = "pretrained weights (.pth/.pt legacy or zip, or safetensors); state_dict and module. are unwrapped", Required = true };
        var cut = new Option<string>("--cut") { Description = "cut point: index, block name, stage name or full", DefaultValueFactory = _ => "full" };
        var input = new Option<string>("--input") { Description = "a volume (.nii or .nii.gz), used as stored", Required = true };
        var output = new Option<string>("--out") { Description = "safetensors file to write (atomically); the tensor is named 'features'", Required = true };
        var pool = new Option<string>("--pool") { Description = "none ([1, C, D, H, W]) or avg (global average, [1, C])", DefaultValueFactory = _ => "none" };
        var threads = CommonOptions.Threads();
        var json = CommonOptions.Json();
        var cmd = new Command("features", "activation of a pretrained (truncated) network at a cut point, for one volume")
        {
            arch, shortcut, weights, cut, input, output, pool, threads, json,
        };
        cmd.SetAction(pr =>
        {
            string archName = pr.GetValue(arch)!, inPath = pr.GetValue(input)!, outPath = pr.GetValue(output)!;
            string weightsPath = pr.GetValue(weights)!;
            bool average = pr.GetValue(pool) switch
            {
                "none" => false,
                "avg" => true,
                var p => throw new UsageException($"--pool must be none or avg, not '{p}'"),
            };
            Shortcut? sc = pr.GetValue(shortcut) switch
            {
                null => null,
                "A" or "a" => Shortcut.A,
                "B" or "b" => Shortcut.B,
                var s => throw new UsageException($"--shortcut must be A or B, not '{s}'"),
            };
            int t = pr.GetValue(threads);
            if (t < 1) throw new UsageException("--threads must be at least 1");
            torch.set_num_threads(t);

            var volume = NiftiReader.Read(inPath);
            var options = new ArchitectureOptions(InChannels: volume.Channels, Shortcut: sc);
            CutPoint at;
            try
            {
                using var probe = Architectures.Create(archName, options, keptBlocks: 1);
                at = probe.ResolveCut(pr.GetValue(cut)!);
            }
            catch (ArgumentException e)
            {
                throw new UsageException(e.Message);
            }
            using var network = Architectures.Create(archName, options, keptBlocks: at.Index);
            var report = PretrainedWeights.LoadInto(network, weightsPath);
            network.eval();

            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            var x = torch.tensor(volume.Data, 1, volume.Channels, volume.I, volume.J, volume.K);
            Tensor activation;
            try
            {
                activation = network.forward_to(x, at);
            }
            catch (Exception e) when (e is TorchException or ArgumentException)
            {
                throw new InvalidDataException($"{Path.GetFileName(inPath)}: a {volume.Channels}-channel {string.Join("×", volume.Shape)} volume does not fit {archName} up to {at.Name}: {FirstLine(e.Message)}");
            }
            var result = average ? F.adaptive_avg_pool3d(activation, [1, 1, 1]).flatten(1) : activation;
            var metadata = new Dictionary<string, string>
            {
                ["arch"] = archName,
                ["cut"] = at.ToString(),
                ["input"] = Path.GetFileName(inPath),
                ["weights"] = Path.GetFileName(weightsPath),
                ["pool"] = average ? "avg" : "none",
            };
            TensorRecords.SaveSafetensors(outPath, [new("features", result)], metadata);
            if (pr.GetValue(json))
                CommonOptions.PrintJson(new { Path = outPath, Arch = archName, Cut = at.Name, CutIndex = at.Index, Shape = result.shape, LoadedTensors = report.Loaded.Count });
            else
                Console.Out.WriteLine($"wrote {outPath}: features [{string.Join(", ", result.shape)}] at {at} of {archName} ({report.Loaded.Count} pretrained tensors loaded)");
            return CliApp.Ok;
        });
        return cmd;
    }

    private static string FirstLine(string s) => s.Split('\n')[0].Trim();
}
