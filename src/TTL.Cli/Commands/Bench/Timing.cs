using System.Diagnostics;

namespace TTL.Cli.Commands.Bench;

/// <summary>Medians of repeated timings; the first (warm-up) runs are not counted.</summary>
public static class Timing
{
    public static double MedianMs(int runs, Action action, int warmup = 1)
    {
        for (int k = 0; k < warmup; k++) action();
        var times = new double[runs];
        for (int k = 0; k < runs; k++)
        {
            long t0 = Stopwatch.GetTimestamp();
            action();
            times[k] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }
        return Median(times);
    }

    public static double Median(IReadOnlyList<double> values)
    {
        var s = values.Order().ToArray();
        int n = s.Length;
        return n == 0 ? double.NaN : n % 2 == 1 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    }
}
