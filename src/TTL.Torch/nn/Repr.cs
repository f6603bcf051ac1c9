using System.Globalization;

namespace TTL.Torch.Modules;

/// <summary>Python's repr of the values that appear in PyTorch's layer descriptions.</summary>
internal static class Repr
{
    public static string Bool(bool b) => b ? "True" : "False";

    /// <summary>Python's float repr: shortest round trip, "0.1", "1e-05", "2.0".</summary>
    public static string Float(double v)
    {
        if (double.IsNaN(v)) return "nan";
        if (double.IsInfinity(v)) return v > 0 ? "inf" : "-inf";
        string s = v.ToString("R", CultureInfo.InvariantCulture);
        int e = s.IndexOf('E');
        if (e >= 0)
        {
            string mantissa = s[..e];
            int exp = int.Parse(s[(e + 1)..], CultureInfo.InvariantCulture);
            return $"{mantissa}e{(exp < 0 ? "-" : "+")}{Math.Abs(exp):00}";
        }
        return s.Contains('.') ? s : s + ".0";
    }

    public static string Float(double? v) => v is null ? "None" : Float(v.Value);

    public static string Str(string s) => "'" + s + "'";

    /// <summary>A Python tuple: "(8,)" for one element, "(1, 2, 3)" otherwise.</summary>
    public static string Tuple(params long[] values) =>
        values.Length == 1 ? $"({values[0]},)" : "(" + string.Join(", ", values) + ")";

    public static string Tuple(params double[] values) =>
        values.Length == 1 ? $"({Float(values[0])},)" : "(" + string.Join(", ", values.Select(Float)) + ")";
}
