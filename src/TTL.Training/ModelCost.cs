using System.Diagnostics;
using TTL.Models;
using TTL.Torch;

namespace TTL.Training;

/// <summary>What a trained model costs at inference: MACs and latency of one forward on one input.</summary>
public sealed record ModelCost(long[] InputShape, long Macs, double LatencyMs)
{
    /// <summary>
    /// Measured on the shape the model sees in validation (the patch for segmentation, the
    /// preprocessed volume for classification): eval mode, no gradients, the run's device and
    /// mixed precision, median of 5 runs after a warm-up, at the run's thread count.
    /// </summary>
    public static ModelCost Measure(Experiment x)
    {
        var source = x.Split.Validation.Count > 0 ? x.Validation : x.Train;
        var sample = source.Prepare(0, 0, train: false);
        long[] shape = x.Config.Train.PatchSize is int[] p
            ? [1, sample.Channels, p[0], p[1], p[2]]
            : [1, sample.Channels, sample.Shape[0], sample.Shape[1], sample.Shape[2]];
        x.Model.SetTraining(false);
        var summary = ModelSummary.Of(x.Model.Network, shape);
        var times = new List<double>();
        using (torch.no_grad())
        using (var input = torch.zeros(shape, DType.Float32, x.Device))
        {
            for (int k = 0; k < 6; k++)
            {
                long t0 = Stopwatch.GetTimestamp();
                using (x.Precision.Forward())
                using (x.Model.Network.call(input)) { }
                if (x.Device.IsCuda) torch.cuda.synchronize(Math.Max(0, x.Device.Index));
                if (k > 0) times.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            }
        }
        times.Sort();
        return new ModelCost(shape, summary.TotalMacs, times[times.Count / 2]);
    }
}
