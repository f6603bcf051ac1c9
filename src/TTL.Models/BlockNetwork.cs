using System.Globalization;
using TTL.Models.Heads;
using TTL.Torch;
using TTL.Torch.Modules;

namespace TTL.Models;

/// <summary>
/// A network seen as an ordered list of blocks whose ends are its <see cref="CutPoint"/>s, the way
/// truncated transfer learning needs it:
/// <list type="bullet">
/// <item>a body of blocks 1..<see cref="KeptBlocks"/> (all of them for the full network), registered
/// under exactly the module names of the original architecture, so a pretrained state dict loads
/// strictly into whatever part of the body is kept;</item>
/// <item>an optional new <see cref="head"/>, registered as <c>head</c> (<c>head.fc.weight</c>), never
/// loaded from a pretrained file.</item>
/// </list>
/// A subclass builds its modules in its constructor for a given number of kept blocks, lists the
/// cut points of its full architecture (<see cref="AllCutPoints"/>), runs one block
/// (<see cref="ForwardBlock"/>) and can rebuild itself with fewer blocks (<see cref="Build"/>);
/// this class derives from those the features API, cut resolution and <see cref="Truncate"/>.
/// A network whose forward pass is not a chain of blocks (a U-Net, whose decoder consumes skip
/// connections) overrides <see cref="forward_to"/>, <see cref="features"/> and <see cref="forward"/>.
/// </summary>
public abstract class BlockNetwork : Module<Tensor, Tensor>
{
    protected BlockNetwork(int keptBlocks)
    {
        if (keptBlocks < 1) throw new ArgumentOutOfRangeException(nameof(keptBlocks), "a network keeps at least one block");
        KeptBlocks = keptBlocks;
    }

    /// <summary>The architecture's name as the CLI spells it (<c>resnet50</c>, <c>cbr-small</c>).</summary>
    public abstract string Architecture { get; }

    /// <summary>Every cut point of the full (untruncated) architecture, in forward order.</summary>
    public abstract IReadOnlyList<CutPoint> AllCutPoints { get; }

    /// <summary>How many blocks the body keeps (the index of the last kept cut point).</summary>
    public int KeptBlocks { get; }

    /// <summary>The cut points of the kept body.</summary>
    public IReadOnlyList<CutPoint> CutPoints => AllCutPoints.Take(KeptBlocks).ToList();

    /// <summary>The cut the body ends at.</summary>
    public CutPoint Cut => AllCutPoints[KeptBlocks - 1];

    /// <summary>True when every block of the architecture is kept.</summary>
    public bool IsFull => KeptBlocks == AllCutPoints.Count;

    /// <summary>The new head on top of the body, or null (then <see cref="forward"/> returns the body's activation).</summary>
    public Head? head => GetModule("head") as Head;

    /// <summary>Runs the block at 0-based <paramref name="position"/> (the block ending at cut point position + 1).</summary>
    protected abstract Tensor ForwardBlock(int position, Tensor x);

    /// <summary>A fresh network of the same architecture and settings keeping blocks 1..<paramref name="keptBlocks"/>, with no head.</summary>
    protected abstract BlockNetwork Build(int keptBlocks);

    /// <summary>Attaches (or replaces, or with null removes) the head.</summary>
    public BlockNetwork SetHead(Head? newHead)
    {
        register_module("head", newHead);
        return this;
    }

    /// <summary>The body up to the head, then the head (which sees the input's spatial size).</summary>
    public override Tensor forward(Tensor x)
    {
        var body = forward_to(x, Cut);
        if (head is not { } h) return body;
        try { return h.Run(body, x.shape[2..]); }
        finally { body.Dispose(); }
    }

    /// <summary>The activation at <paramref name="cut"/>: runs the blocks up to it and no further.</summary>
    public virtual Tensor forward_to(Tensor x, CutPoint cut)
    {
        CheckKept(cut);
        var y = ForwardBlock(0, x);
        for (int p = 1; p < cut.Index; p++)
        {
            var next = ForwardBlock(p, y);
            y.Dispose();
            y = next;
        }
        return y;
    }

    /// <summary>The activations at several cuts from one pass (in the order given); the caller disposes them.</summary>
    public virtual IReadOnlyList<Tensor> features(Tensor x, IReadOnlyList<CutPoint> cuts)
    {
        foreach (var c in cuts) CheckKept(c);
        var wanted = cuts.Select(c => c.Index).ToHashSet();
        var kept = new Dictionary<int, Tensor>();
        var y = x;
        for (int p = 0; p < wanted.DefaultIfEmpty(0).Max(); p++)
        {
            var next = ForwardBlock(p, y);
            if (!ReferenceEquals(y, x) && !wanted.Contains(p)) y.Dispose();
            y = next;
            if (wanted.Contains(p + 1)) kept[p + 1] = y;
        }
        // A cut asked for twice gets its own handle each time, so every returned tensor can be disposed.
        var given = new HashSet<int>();
        return cuts.Select(c => given.Add(c.Index) ? kept[c.Index] : kept[c.Index].alias()).ToList();
    }

    /// <summary>
    /// Runs the kept body once, handing each cut's activation to <paramref name="visit"/> (valid only
    /// during the call) before going on; returns the last activation. Summaries and activation capture
    /// use it to see every block without holding every activation at once.
    /// </summary>
    public virtual Tensor forward_each(Tensor x, Action<CutPoint, Tensor> visit)
    {
        var y = x;
        for (int p = 0; p < KeptBlocks; p++)
        {
            var next = ForwardBlock(p, y);
            if (!ReferenceEquals(y, x)) y.Dispose();
            y = next;
            visit(AllCutPoints[p], y);
        }
        return y;
    }

    /// <summary>
    /// The cut point named by <paramref name="spec"/>: its 1-based index (<c>7</c>), its block name
    /// (<c>layer2.0</c>), a stage name meaning that stage's last block (<c>layer2</c>), or <c>full</c>
    /// (the last block of the architecture). Resolves against the full architecture's cut points.
    /// </summary>
    public CutPoint ResolveCut(string spec) => ResolveCut(AllCutPoints, spec);

    /// <inheritdoc cref="ResolveCut(string)"/>
    public static CutPoint ResolveCut(IReadOnlyList<CutPoint> cuts, string spec)
    {
        spec = spec.Trim();
        if (int.TryParse(spec, NumberStyles.None, CultureInfo.InvariantCulture, out int index))
            return index >= 1 && index <= cuts.Count
                ? cuts[index - 1]
                : throw new ArgumentException($"cut {index} is out of range: this network has cut points 1..{cuts.Count}");
        if (spec.Equals("full", StringComparison.OrdinalIgnoreCase)) return cuts[^1];
        if (cuts.FirstOrDefault(c => c.Name == spec) is { } named) return named;
        if (cuts.LastOrDefault(c => c.Name.StartsWith(spec + ".", StringComparison.Ordinal)) is { } stageEnd) return stageEnd;
        throw new ArgumentException($"unknown cut '{spec}': give an index 1..{cuts.Count}, 'full', or one of {string.Join(", ", cuts.Select(c => c.Name))}");
    }

    /// <summary>
    /// TTL's truncation: a new network keeping blocks 1..<paramref name="cut"/> with this network's
    /// weights for them (same names, copied), and <paramref name="newHead"/> on top. This network is
    /// left untouched; dispose it when it is no longer needed.
    /// </summary>
    public BlockNetwork Truncate(CutPoint cut, Head? newHead = null)
    {
        CheckKept(cut);
        var truncated = Build(cut.Index);
        var mine = state_dict();
        try
        {
            var kept = truncated.state_dict();
            var source = kept.Keys.ToDictionary(k => k, k => mine[k]);
            foreach (var t in kept.Values) t.Dispose();
            truncated.load_state_dict(source, strict: true);
        }
        finally
        {
            foreach (var t in mine.Values) t.Dispose();
        }
        truncated.train(training);
        return truncated.SetHead(newHead);
    }

    /// <summary>The cut point that owns a state-dict key of this architecture's body, or null (a head's key, a foreign key).</summary>
    public CutPoint? OwnerOf(string key) =>
        AllCutPoints.FirstOrDefault(c => c.Prefixes.Any(p => key.StartsWith(p, StringComparison.Ordinal)));

    private void CheckKept(CutPoint cut)
    {
        if (cut.Index < 1 || cut.Index > KeptBlocks || AllCutPoints[cut.Index - 1].Name != cut.Name)
            throw new ArgumentException($"cut {cut} is not part of this {Architecture} body (it keeps cut points 1..{KeptBlocks})");
    }
}
