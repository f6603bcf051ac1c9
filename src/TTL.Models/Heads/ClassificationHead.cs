using TTL.Torch;
using TTL.Torch.Modules;

namespace TTL.Models.Heads;

/// <summary>
/// TTL's classification head: global average pooling, optional dropout, one linear layer
/// (<c>head.fc.weight</c>). The flatten variant replaces pooling by flattening an activation of a
/// fixed spatial size, so the linear layer sees every position.
/// </summary>
public sealed class ClassificationHead : Head
{
    public long in_features { get; }
    public long classes { get; }
    public bool flatten { get; }

    /// <summary>Pooled head over <paramref name="channels"/> channels.</summary>
    public ClassificationHead(long channels, long classes, double dropout = 0) : this(channels, classes, dropout, false)
    {
        register_module("pool", torch.nn.AdaptiveAvgPool3d(1));
        RegisterRest(dropout);
    }

    private ClassificationHead(long in_features, long classes, double dropout, bool flatten)
    {
        if (classes < 1) throw new ArgumentOutOfRangeException(nameof(classes), "a classification head needs at least one class");
        this.in_features = in_features;
        this.classes = classes;
        this.flatten = flatten;
    }

    /// <summary>Flatten head for an activation of shape (C, D, H, W) (the network's input size fixes it).</summary>
    public static ClassificationHead Flatten(long[] featureShape, long classes, double dropout = 0)
    {
        if (featureShape.Length != 4) throw new ArgumentException("a flatten head needs the activation's (C, D, H, W)");
        var head = new ClassificationHead(featureShape.Aggregate(1L, (a, b) => a * b), classes, dropout, true);
        head.RegisterRest(dropout);
        return head;
    }

    private void RegisterRest(double dropout)
    {
        if (dropout > 0) register_module("dropout", torch.nn.Dropout(dropout));
        register_module("fc", torch.nn.Linear(in_features, classes));
    }

    private Module<Tensor, Tensor>? pool => GetModule("pool") as Module<Tensor, Tensor>;
    private Module<Tensor, Tensor>? dropout => GetModule("dropout") as Module<Tensor, Tensor>;
    private Linear fc => (Linear)GetModule("fc")!;

    public override Tensor forward(Tensor features)
    {
        using var pooled = pool is { } p ? p.call(features) : features.alias();
        using var flat = pooled.flatten(1);
        if (dropout is not { } d) return fc.call(flat);
        using var dropped = d.call(flat);
        return fc.call(dropped);
    }
}
