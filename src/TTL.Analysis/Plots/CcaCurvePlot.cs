using System.Globalization;
using System.Net;
using System.Text;

namespace TTL.Analysis.Plots;

/// <summary>
/// The sorted canonical-correlation curve of Raghu et al.'s figures as a standalone SVG: one
/// polyline per series (coefficient index on x, correlation on y in [0, 1]), axes, ticks, legend.
/// </summary>
public static class CcaCurvePlot
{
    public sealed record Series(string Label, IReadOnlyList<double> Values, string Color, bool Dashed = false);

    private const int Width = 640, Height = 400, Left = 60, Right = 20, Top = 40, Bottom = 50;

    public static string Svg(string title, IReadOnlyList<Series> series)
    {
        int count = Math.Max(2, series.Max(s => s.Values.Count));
        double plotW = Width - Left - Right, plotH = Height - Top - Bottom;
        string X(double i) => F(Left + plotW * i / (count - 1));
        string Y(double v) => F(Top + plotH * (1 - Math.Clamp(v, 0, 1)));

        var sb = new StringBuilder();
        sb.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        sb.Append($"<rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>\n");
        sb.Append($"<text x=\"{Width / 2}\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">{Escape(title)}</text>\n");
        for (int t = 0; t <= 5; t++)
        {
            double v = t / 5.0;
            sb.Append($"<line x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{Y(v)}\" y2=\"{Y(v)}\" stroke=\"#e0e0e0\"/>");
            sb.Append($"<text x=\"{Left - 6}\" y=\"{Y(v)}\" text-anchor=\"end\" dominant-baseline=\"middle\">{F(v)}</text>\n");
        }
        foreach (int i in XTicks(count))
            sb.Append($"<text x=\"{X(i)}\" y=\"{Height - Bottom + 16}\" text-anchor=\"middle\">{i + 1}</text>\n");
        sb.Append($"<line x1=\"{Left}\" y1=\"{Top}\" x2=\"{Left}\" y2=\"{Height - Bottom}\" stroke=\"black\"/>");
        sb.Append($"<line x1=\"{Left}\" y1=\"{Height - Bottom}\" x2=\"{Width - Right}\" y2=\"{Height - Bottom}\" stroke=\"black\"/>\n");
        sb.Append($"<text x=\"{Left + plotW / 2}\" y=\"{Height - 12}\" text-anchor=\"middle\">canonical direction (sorted)</text>\n");
        sb.Append($"<text transform=\"translate(16 {Top + plotH / 2}) rotate(-90)\" text-anchor=\"middle\">correlation</text>\n");
        int row = 0;
        foreach (var s in series)
        {
            var points = string.Join(' ', s.Values.Select((v, i) => $"{X(i)},{Y(v)}"));
            string dash = s.Dashed ? " stroke-dasharray=\"6 4\"" : "";
            sb.Append($"<polyline fill=\"none\" stroke=\"{s.Color}\" stroke-width=\"2\"{dash} points=\"{points}\"/>\n");
            int ly = Top + 10 + 18 * row++;
            sb.Append($"<line x1=\"{Width - Right - 170}\" x2=\"{Width - Right - 145}\" y1=\"{ly}\" y2=\"{ly}\" stroke=\"{s.Color}\" stroke-width=\"2\"{dash}/>");
            sb.Append($"<text x=\"{Width - Right - 140}\" y=\"{ly}\" dominant-baseline=\"middle\">{Escape(s.Label)}</text>\n");
        }
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    private static IEnumerable<int> XTicks(int count)
    {
        int step = Math.Max(1, (int)Math.Ceiling(count / 8.0));
        for (int i = 0; i < count; i += step) yield return i;
        if ((count - 1) % step != 0) yield return count - 1;
    }

    private static string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);

    private static string Escape(string s) => WebUtility.HtmlEncode(s);
}
