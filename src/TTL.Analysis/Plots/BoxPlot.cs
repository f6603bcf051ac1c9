using System.Globalization;
using System.Net;
using System.Text;

namespace TTL.Analysis.Plots;

/// <summary>
/// Box plots of values in [0, 1] per group (e.g. mean CCA per cut point over seeds): median line,
/// box from the 25th to the 75th percentile (NumPy's linear definition), whiskers to min and max,
/// every value drawn as a dot.
/// </summary>
public static class BoxPlot
{
    public sealed record Group(string Label, IReadOnlyList<double> Values);

    public static string Svg(string title, string yLabel, IReadOnlyList<Group> groups)
    {
        const int left = 60, right = 20, top = 40, bottom = 60, slot = 70, height = 400;
        int width = left + right + Math.Max(1, groups.Count) * slot;
        double plotH = height - top - bottom;
        string Y(double v) => F(top + plotH * (1 - Math.Clamp(v, 0, 1)));
        var sb = new StringBuilder();
        sb.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        sb.Append($"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n");
        sb.Append($"<text x=\"{width / 2}\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">{WebUtility.HtmlEncode(title)}</text>\n");
        for (int t = 0; t <= 5; t++)
        {
            double v = t / 5.0;
            sb.Append($"<line x1=\"{left}\" x2=\"{width - right}\" y1=\"{Y(v)}\" y2=\"{Y(v)}\" stroke=\"#e0e0e0\"/><text x=\"{left - 6}\" y=\"{Y(v)}\" text-anchor=\"end\" dominant-baseline=\"middle\">{F(v)}</text>\n");
        }
        sb.Append($"<text transform=\"translate(16 {top + plotH / 2}) rotate(-90)\" text-anchor=\"middle\">{WebUtility.HtmlEncode(yLabel)}</text>\n");
        for (int g = 0; g < groups.Count; g++)
        {
            var v = groups[g].Values.Where(double.IsFinite).Order().ToArray();
            double cx = left + slot * (g + 0.5);
            sb.Append($"<text x=\"{F(cx)}\" y=\"{height - bottom + 18}\" text-anchor=\"middle\">{WebUtility.HtmlEncode(groups[g].Label)}</text>\n");
            if (v.Length == 0) continue;
            double q1 = Quantile(v, 0.25), med = Quantile(v, 0.5), q3 = Quantile(v, 0.75);
            sb.Append($"<line x1=\"{F(cx)}\" x2=\"{F(cx)}\" y1=\"{Y(v[^1])}\" y2=\"{Y(v[0])}\" stroke=\"black\"/>");
            sb.Append($"<rect x=\"{F(cx - 18)}\" y=\"{Y(q3)}\" width=\"36\" height=\"{F(Math.Max(1, plotH * (q3 - q1)))}\" fill=\"#c6dbef\" stroke=\"black\"/>");
            sb.Append($"<line x1=\"{F(cx - 18)}\" x2=\"{F(cx + 18)}\" y1=\"{Y(med)}\" y2=\"{Y(med)}\" stroke=\"#d62728\" stroke-width=\"2\"/>");
            foreach (var x in v) sb.Append($"<circle cx=\"{F(cx + 24)}\" cy=\"{Y(x)}\" r=\"2.5\" fill=\"#1f77b4\"/>");
            sb.Append('\n');
        }
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    /// <summary>NumPy's default (linear) quantile of sorted values.</summary>
    public static double Quantile(double[] sorted, double q)
    {
        double pos = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(pos), hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }

    private static string F(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);
}
