namespace TTL.Training.Distributed;

/// <summary>Slurm's compressed host lists: "gpu[01-03,07],login2" is gpu01, gpu02, gpu03, gpu07, login2.</summary>
public static class SlurmNodeList
{
    public static string First(string list) => Expand(list).FirstOrDefault()
        ?? throw new LaunchException($"node list '{list}' names no host");

    public static IEnumerable<string> Expand(string list)
    {
        foreach (var item in SplitTopLevel(list))
        {
            int open = item.IndexOf('[');
            if (open < 0) { yield return item; continue; }
            int close = item.IndexOf(']', open);
            if (close < 0) throw new LaunchException($"node list '{list}': unbalanced '['");
            string prefix = item[..open], suffix = item[(close + 1)..];
            foreach (var range in item[(open + 1)..close].Split(','))
            {
                var bounds = range.Split('-');
                if (bounds.Length > 2 || !int.TryParse(bounds[0], out int lo) || (bounds.Length == 2 && !int.TryParse(bounds[1], out _)))
                    throw new LaunchException($"node list '{list}': '{range}' is not a number or a range");
                int hi = bounds.Length == 2 ? int.Parse(bounds[1]) : lo;
                int width = bounds[0].Length; // zero padding is kept: gpu[01-03]
                for (int n = lo; n <= hi; n++) yield return prefix + n.ToString().PadLeft(width, '0') + suffix;
            }
        }
    }

    /// <summary>Splits on the commas that are not inside brackets.</summary>
    private static IEnumerable<string> SplitTopLevel(string list)
    {
        int depth = 0, start = 0;
        for (int i = 0; i < list.Length; i++)
        {
            if (list[i] == '[') depth++;
            else if (list[i] == ']') depth--;
            else if (list[i] == ',' && depth == 0)
            {
                if (i > start) yield return list[start..i].Trim();
                start = i + 1;
            }
        }
        if (start < list.Length) yield return list[start..].Trim();
    }
}
