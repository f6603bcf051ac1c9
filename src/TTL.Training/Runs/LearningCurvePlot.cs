using System.Globalization;
using System.Text;

namespace TTL.Training.Runs;

/// <summary>A small SVG of training loss and the validation metric per epoch, readable in any browser.</summary>
public static class LearningCurvePlot
{
    public static string Svg(IReadOnlyList<(int Epoch, double Loss)> loss, IReadOnlyList<(int Epoch, double Value)> metric, string metricName)
    {
        const int W = 640, H = 360, L = 60, R = 60, T = 30, B = 45;
        int maxEpoch = Math.Max(1, loss.Concat(metric.Select(m => (m.Epoch, m.Value))).Select(p => p.Epoch).DefaultIfEmpty(1).Max());
        double maxLoss = loss.Where(p => double.IsFinite(p.Loss)).Select(p => p.Loss).DefaultIfEmpty(1).Max();
        if (maxLoss <= 0) maxLoss = 1;
        string X(int e) => F(L + (W - L - R) * (maxEpoch == 1 ? 0.5 : (e - 1) / (double)(maxEpoch - 1)));
        string YLoss(double v) => F(H - B - (H - T - B) * v / maxLoss);
        string YMetric(double v) => F(H - B - (H - T - B) * Math.Clamp(v, 0, 1));
        var sb = new StringBuilder();
        sb.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        sb.Append($"<rect width=\"{W}\" height=\"{H}\" fill=\"white\"/>\n");
        sb.Append($"<line x1=\"{L}\" y1=\"{H - B}\" x2=\"{W - R}\" y2=\"{H - B}\" stroke=\"black\"/>\n");
        sb.Append($"<line x1=\"{L}\" y1=\"{T}\" x2=\"{L}\" y2=\"{H - B}\" stroke=\"black\"/>\n");
        sb.Append($"<line x1=\"{W - R}\" y1=\"{T}\" x2=\"{W - R}\" y2=\"{H - B}\" stroke=\"black\"/>\n");
        sb.Append($"<text x=\"{W / 2}\" y=\"{H - 10}\" text-anchor=\"middle\">epoch (1–{maxEpoch})</text>\n");
        sb.Append($"<text x=\"{L - 8}\" y=\"{T - 10}\" text-anchor=\"middle\" fill=\"#1f77b4\">loss (0–{F(maxLoss)})</text>\n");
        sb.Append($"<text x=\"{W - R + 8}\" y=\"{T - 10}\" text-anchor=\"middle\" fill=\"#d62728\">{Escape(metricName)} (0–1)</text>\n");
        if (loss.Count > 0)
            sb.Append($"<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"{string.Join(' ', loss.Where(p => double.IsFinite(p.Loss)).Select(p => $"{X(p.Epoch)},{YLoss(p.Loss)}"))}\"/>\n");
        if (metric.Count > 0)
            sb.Append($"<polyline fill=\"none\" stroke=\"#d62728\" stroke-width=\"2\" points=\"{string.Join(' ', metric.Where(p => double.IsFinite(p.Value)).Select(p => $"{X(p.Epoch)},{YMetric(p.Value)}"))}\"/>\n");
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    private static string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);

    private static string Escape(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;");
}
