namespace TTL.Torch.Modules;

/// <summary>
/// A 3-D size argument (kernel size, stride, padding, …) given as one number or as a triple, as
/// PyTorch's layers accept. It remembers which form it was given in, because PyTorch prints
/// pooling arguments as given (<c>kernel_size=2</c>) and convolution arguments as triples.
/// </summary>
public readonly record struct Size3(long D, long H, long W)
{
    /// <summary>True when built from a single number.</summary>
    public bool IsScalar { get; init; }

    public long[] ToArray() => [D, H, W];

    public bool All(long v) => D == v && H == v && W == v;

    public static implicit operator Size3(long v) => new(v, v, v) { IsScalar = true };
    public static implicit operator Size3(int v) => new(v, v, v) { IsScalar = true };
    public static implicit operator Size3((long, long, long) t) => new(t.Item1, t.Item2, t.Item3);
    public static implicit operator Size3((int, int, int) t) => new(t.Item1, t.Item2, t.Item3);

    /// <summary>The triple form, as PyTorch's <c>_triple</c> makes it.</summary>
    public Size3 AsTriple() => this with { IsScalar = false };

    /// <summary>Python's repr of the value as given: "2" or "(2, 2, 2)".</summary>
    public override string ToString() => IsScalar ? D.ToString() : Repr.Tuple(D, H, W);
}
