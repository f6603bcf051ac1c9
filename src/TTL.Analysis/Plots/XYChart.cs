using System.Globalization;
using System.Net;
using System.Text;

namespace TTL.Analysis.Plots;

/// <summary>
/// A standalone SVG chart of (x, y) series: lines and/or markers, optional vertical error bars
/// (an interval per point), optional point labels, a linear or logarithmic x axis, and a legend.
/// Enough for learning curves, metric-per-cut and accuracy-versus-cost (Pareto) views.
/// </summary>
public static class XYChart
{
    /// <summary>One point; <paramref name="Lo"/>..<paramref name="Hi"/> draws an error bar, <paramref name="Label"/> a note beside the marker.</summary>
    public sealed record Point(double X, double Y, double? Lo = null, double? Hi = null, string? Label = null);

    public sealed record Series(string Label, IReadOnlyList<Point> Points, string Color, bool Line = true, bool Markers = true, bool Dashed = false);

    /// <summary>
    /// Axis titles and ranges; <paramref name="XTickLabels"/> replaces numeric x ticks by names (cut
    /// points, blocks); <paramref name="IntegerX"/> keeps x ticks on whole numbers (epochs).
    /// </summary>
    public sealed record Axes(string X, string Y, bool LogX = false, double? YMin = null, double? YMax = null,
        IReadOnlyDictionary<double, string>? XTickLabels = null, bool IntegerX = false);

    /// <summary>A qualitative palette, distinguishable in print and for common colour-vision deficiencies.</summary>
    public static readonly string[] Palette =
        ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#999999", "#8C564B", "#F0E442", "#7F3C8D", "#11A579"];

    private const int Left = 60, Right = 170, Top = 40, Bottom = 52;

    public static string Svg(string title, Axes axes, IReadOnlyList<Series> series, int width = 580, int height = 380)
    {
        var points = series.SelectMany(s => s.Points).Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList();
        if (points.Count == 0) throw new ArgumentException($"chart '{title}' has no finite point");
        double Tx(double x) => axes.LogX ? Math.Log10(x) : x;
        double x0 = points.Min(p => Tx(p.X)), x1 = points.Max(p => Tx(p.X));
        if (x1 - x0 < 1e-12) { x0 -= 0.5; x1 += 0.5; }
        double padX = (x1 - x0) * 0.05;
        x0 -= padX; x1 += padX;
        double y0 = axes.YMin ?? points.Min(p => Math.Min(p.Y, p.Lo ?? p.Y));
        double y1 = axes.YMax ?? points.Max(p => Math.Max(p.Y, p.Hi ?? p.Y));
        if (y1 - y0 < 1e-12) { y0 -= 0.5; y1 += 0.5; }
        if (axes.YMin is null || axes.YMax is null)
        {
            double padY = (y1 - y0) * 0.08;
            if (axes.YMin is null) y0 -= padY;
            if (axes.YMax is null) y1 += padY;
        }
        double plotW = width - Left - Right, plotH = height - Top - Bottom;
        double X(double x) => Left + plotW * (Tx(x) - x0) / (x1 - x0);
        double Y(double y) => Top + plotH * (1 - (Math.Clamp(y, y0, y1) - y0) / (y1 - y0));

        var sb = new StringBuilder();
        sb.Append(Inv($"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\">\n"));
        sb.Append(Inv($"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n"));
        sb.Append(Inv($"<text x=\"{Left + plotW / 2:0.#}\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">{Escape(title)}</text>\n"));
        foreach (double v in Ticks(y0, y1, 6))
        {
            sb.Append(Inv($"<line x1=\"{Left}\" x2=\"{Left + plotW:0.#}\" y1=\"{Y(v):0.##}\" y2=\"{Y(v):0.##}\" stroke=\"#e4e4e4\"/>"));
            sb.Append(Inv($"<text x=\"{Left - 6}\" y=\"{Y(v):0.##}\" text-anchor=\"end\" dominant-baseline=\"middle\">{Number(v)}</text>\n"));
        }
        var xTicks = axes.XTickLabels is { } names
            ? names.Select(kv => (kv.Key, kv.Value))
            : axes.LogX
                ? Ticks(x0, x1, 6, integers: true).Select(e => (Math.Pow(10, e), Number(Math.Pow(10, e))))
                : Ticks(x0, x1, 8, axes.IntegerX).Select(v => (v, Number(v)));
        foreach (var (v, label) in xTicks)
        {
            if (Tx(v) < x0 - 1e-9 || Tx(v) > x1 + 1e-9) continue;
            sb.Append(Inv($"<line x1=\"{X(v):0.##}\" x2=\"{X(v):0.##}\" y1=\"{Top}\" y2=\"{Top + plotH:0.#}\" stroke=\"#f0f0f0\"/>"));
            sb.Append(Inv($"<text x=\"{X(v):0.##}\" y=\"{Top + plotH + 16:0.#}\" text-anchor=\"middle\">{Escape(label)}</text>\n"));
        }
        sb.Append(Inv($"<line x1=\"{Left}\" y1=\"{Top}\" x2=\"{Left}\" y2=\"{Top + plotH:0.#}\" stroke=\"black\"/>"));
        sb.Append(Inv($"<line x1=\"{Left}\" y1=\"{Top + plotH:0.#}\" x2=\"{Left + plotW:0.#}\" y2=\"{Top + plotH:0.#}\" stroke=\"black\"/>\n"));
        sb.Append(Inv($"<text x=\"{Left + plotW / 2:0.#}\" y=\"{height - 14}\" text-anchor=\"middle\">{Escape(axes.X)}</text>\n"));
        sb.Append(Inv($"<text transform=\"translate(16 {Top + plotH / 2:0.#}) rotate(-90)\" text-anchor=\"middle\">{Escape(axes.Y)}</text>\n"));

        int row = 0;
        foreach (var s in series)
        {
            var finite = s.Points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).OrderBy(p => p.X).ToList();
            string dash = s.Dashed ? " stroke-dasharray=\"6 4\"" : "";
            sb.Append(Inv($"<g class=\"series\" data-label=\"{Escape(s.Label)}\">"));
            foreach (var p in finite.Where(p => p.Lo is not null && p.Hi is not null))
                sb.Append(Inv($"<line x1=\"{X(p.X):0.##}\" x2=\"{X(p.X):0.##}\" y1=\"{Y(p.Lo!.Value):0.##}\" y2=\"{Y(p.Hi!.Value):0.##}\" stroke=\"{s.Color}\" stroke-width=\"1.5\" opacity=\"0.7\"/>"));
            if (s.Line && finite.Count > 1)
                sb.Append(Inv($"<polyline fill=\"none\" stroke=\"{s.Color}\" stroke-width=\"2\"{dash} points=\"{string.Join(' ', finite.Select(p => Inv($"{X(p.X):0.##},{Y(p.Y):0.##}")))}\"/>"));
            if (s.Markers || finite.Count == 1)
                foreach (var p in finite)
                    sb.Append(Inv($"<circle cx=\"{X(p.X):0.##}\" cy=\"{Y(p.Y):0.##}\" r=\"3.5\" fill=\"{s.Color}\"/>"));
            foreach (var p in finite.Where(p => p.Label is not null))
                sb.Append(Inv($"<text x=\"{X(p.X) + 6:0.##}\" y=\"{Y(p.Y) - 6:0.##}\" font-size=\"10\" fill=\"{s.Color}\">{Escape(p.Label!)}</text>"));
            sb.Append("</g>\n");
            double ly = Top + 8 + 17 * row++;
            double lx = Left + plotW + 14;
            sb.Append(Inv($"<line x1=\"{lx:0.#}\" x2=\"{lx + 22:0.#}\" y1=\"{ly:0.#}\" y2=\"{ly:0.#}\" stroke=\"{s.Color}\" stroke-width=\"2\"{dash}/>"));
            sb.Append(Inv($"<text x=\"{lx + 28:0.#}\" y=\"{ly:0.#}\" dominant-baseline=\"middle\" font-size=\"11\">{Escape(Shorten(s.Label, 22))}</text>\n"));
        }
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    /// <summary>About <paramref name="count"/> round tick values covering [lo, hi].</summary>
    private static IEnumerable<double> Ticks(double lo, double hi, int count, bool integers = false)
    {
        double raw = (hi - lo) / count;
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = new[] { 1, 2, 2.5, 5, 10 }.Select(m => m * magnitude).First(s => s >= raw);
        if (integers) step = Math.Max(1, Math.Round(step));
        for (double v = Math.Ceiling(lo / step) * step; v <= hi + step * 1e-9; v += step) yield return Math.Round(v / step) * step;
    }

    private static string Number(double v) =>
        v == 0 ? "0" : Math.Abs(v) >= 1e4 || (Math.Abs(v) < 1e-3 && v != 0) ? v.ToString("0.##E+0", CultureInfo.InvariantCulture) : v.ToString("0.###", CultureInfo.InvariantCulture);

    private static string Shorten(string s, int max) => s.Length <= max ? s : s[..(max - 1)] + "…";

    private static string Escape(string s) => WebUtility.HtmlEncode(s);

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
