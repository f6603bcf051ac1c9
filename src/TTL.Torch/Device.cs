namespace TTL.Torch;

public enum DeviceType { CPU = 0, CUDA = 1 }

/// <summary>Where a tensor lives: "cpu", "cuda" or "cuda:N" (index -1 = the current device).</summary>
public readonly record struct Device(DeviceType Type, int Index = -1)
{
    public static readonly Device CPU = new(DeviceType.CPU);
    public static Device CUDA(int index = -1) => new(DeviceType.CUDA, index);

    public bool IsCuda => Type == DeviceType.CUDA;

    public static Device Parse(string text)
    {
        string s = text.Trim().ToLowerInvariant();
        if (s == "cpu") return CPU;
        if (s == "cuda") return CUDA();
        if (s.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(s.AsSpan(5), out int i) && i >= 0) return CUDA(i);
        throw new ArgumentException($"unknown device '{text}': expected cpu, cuda or cuda:N");
    }

    public override string ToString() => Type == DeviceType.CPU ? "cpu" : Index < 0 ? "cuda" : $"cuda:{Index}";

    public static implicit operator Device(string text) => Parse(text);
}
