namespace TTL.Imaging.Intensity;

/// <summary>
/// A CT display window in Hounsfield units: level (centre) and width, so the visible range is
/// [level − width/2, level + width/2]. The presets are the customary radiology windows.
/// </summary>
public sealed record CtWindow(double Level, double Width)
{
    public double Lower => Level - Width / 2;
    public double Upper => Level + Width / 2;

    public static readonly IReadOnlyDictionary<string, CtWindow> Presets = new Dictionary<string, CtWindow>(StringComparer.OrdinalIgnoreCase)
    {
        ["lung"] = new(-600, 1500),
        ["mediastinum"] = new(50, 350),
        ["soft_tissue"] = new(50, 400),
        ["abdomen"] = new(40, 400),
        ["liver"] = new(60, 160),
        ["brain"] = new(40, 80),
        ["subdural"] = new(75, 215),
        ["stroke"] = new(40, 40),
        ["bone"] = new(400, 1800),
    };

    public static CtWindow Preset(string name) =>
        Presets.TryGetValue(name, out var w) ? w
            : throw new ArgumentException($"unknown CT window '{name}'; presets: {string.Join(", ", Presets.Keys)}");
}
