using System.Globalization;
using System.Net;
using System.Text;

namespace TTL.Analysis.Plots;

/// <summary>A square matrix of similarities in [0, 1] (block vs block) as an SVG heatmap with the values printed.</summary>
public static class HeatmapPlot
{
    public static string Svg(string title, IReadOnlyList<string> labels, double[,] values)
    {
        int n = labels.Count;
        const int cell = 56, left = 110, top = 50;
        int width = left + n * cell + 20, height = top + n * cell + 90;
        var sb = new StringBuilder();
        sb.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"11\">\n");
        sb.Append($"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n");
        sb.Append($"<text x=\"{width / 2}\" y=\"24\" text-anchor=\"middle\" font-size=\"14\">{WebUtility.HtmlEncode(title)}</text>\n");
        for (int i = 0; i < n; i++)
        {
            sb.Append($"<text x=\"{left - 6}\" y=\"{top + i * cell + cell / 2}\" text-anchor=\"end\" dominant-baseline=\"middle\">{WebUtility.HtmlEncode(labels[i])}</text>\n");
            sb.Append($"<text transform=\"translate({left + i * cell + cell / 2} {top + n * cell + 8}) rotate(45)\">{WebUtility.HtmlEncode(labels[i])}</text>\n");
            for (int j = 0; j < n; j++)
            {
                double v = values[i, j];
                string fill = double.IsFinite(v) ? Color(v) : "#ffffff";
                sb.Append($"<rect x=\"{left + j * cell}\" y=\"{top + i * cell}\" width=\"{cell}\" height=\"{cell}\" fill=\"{fill}\" stroke=\"white\"/>");
                string text = double.IsFinite(v) ? v.ToString("0.00", CultureInfo.InvariantCulture) : "–";
                sb.Append($"<text x=\"{left + j * cell + cell / 2}\" y=\"{top + i * cell + cell / 2}\" text-anchor=\"middle\" dominant-baseline=\"middle\" fill=\"{(v > 0.6 ? "white" : "black")}\">{text}</text>\n");
            }
        }
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    /// <summary>White (0) to dark blue (1).</summary>
    private static string Color(double v)
    {
        v = Math.Clamp(v, 0, 1);
        int r = (int)Math.Round(255 - 222 * v), g = (int)Math.Round(255 - 178 * v), b = (int)Math.Round(255 - 75 * v);
        return $"#{r:x2}{g:x2}{b:x2}";
    }
}
