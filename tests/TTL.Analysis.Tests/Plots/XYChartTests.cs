using System.Globalization;
using System.Xml.Linq;
using TTL.Analysis.Plots;

namespace TTL.Analysis.Tests.Plots;

/// <summary>The report charts: well-formed SVG whose marks sit where the data say.</summary>
public sealed class XYChartTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    [Fact]
    public void Draws_one_group_per_series_with_its_points_error_bars_and_labels()
    {
        var svg = XYChart.Svg("t", new XYChart.Axes("x", "y", YMin: 0, YMax: 1),
        [
            new XYChart.Series("a", [new(1, 0.2), new(2, 0.4, 0.3, 0.5), new(3, 0.6)], "#ff0000"),
            new XYChart.Series("b", [new(2, 0.9, Label: "note")], "#00ff00", Line: false),
        ]);
        var doc = XDocument.Parse(svg);
        var groups = doc.Descendants(Svg + "g").Where(g => (string?)g.Attribute("class") == "series").ToList();
        Assert.Equal(["a", "b"], groups.Select(g => (string)g.Attribute("data-label")!));
        Assert.Equal(3, groups[0].Elements(Svg + "circle").Count());
        Assert.Single(groups[0].Elements(Svg + "polyline"));
        Assert.Single(groups[0].Elements(Svg + "line"));          // the one error bar
        Assert.Empty(groups[1].Elements(Svg + "polyline"));
        Assert.Equal("note", groups[1].Element(Svg + "text")!.Value);

        // y = 0.9 sits 90 % of the way up the plot area; the error bar spans 0.3..0.5.
        double Y(XElement e, string attr) => double.Parse((string)e.Attribute(attr)!, CultureInfo.InvariantCulture);
        var axis = doc.Descendants(Svg + "line").First(l => (string?)l.Attribute("x1") == (string?)l.Attribute("x2") && (string?)l.Attribute("stroke") == "black");
        double top = Y(axis, "y1"), bottom = Y(axis, "y2");
        Assert.Equal(bottom - 0.9 * (bottom - top), Y(groups[1].Element(Svg + "circle")!, "cy"), 1);
        var bar = groups[0].Element(Svg + "line")!;
        Assert.Equal(bottom - 0.3 * (bottom - top), Y(bar, "y1"), 1);
        Assert.Equal(bottom - 0.5 * (bottom - top), Y(bar, "y2"), 1);
    }

    [Fact]
    public void A_log_axis_puts_decades_equally_apart_and_names_its_ticks()
    {
        var svg = XYChart.Svg("t", new XYChart.Axes("x", "y", LogX: true), [new XYChart.Series("s", [new(10, 1), new(100, 2), new(1000, 3)], "#000000")]);
        var xs = XDocument.Parse(svg).Descendants(Svg + "circle").Select(c => double.Parse((string)c.Attribute("cx")!, CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(xs[1] - xs[0], xs[2] - xs[1], 1);
        Assert.Contains(">100<", svg);
    }

    [Fact]
    public void Named_ticks_escaped_text_and_no_finite_point()
    {
        var svg = XYChart.Svg("a < b", new XYChart.Axes("x", "y", XTickLabels: new Dictionary<double, string> { [1] = "stem", [2] = "layer1.0" }),
            [new XYChart.Series("s&t", [new(1, 0.5), new(2, 0.7), new(3, double.NaN)], "#000000")]);
        XDocument.Parse(svg);
        Assert.Contains("a &lt; b", svg);
        Assert.Contains(">layer1.0<", svg);
        Assert.Throws<ArgumentException>(() => XYChart.Svg("t", new XYChart.Axes("x", "y"), [new XYChart.Series("s", [new(1, double.NaN)], "#000000")]));
    }
}
