using System.Globalization;

namespace TTL.Models.Strategies;

/// <summary>The transfer strategies of ARCHITECTURE.md.</summary>
public enum StrategyKind
{
    /// <summary>Random initialisation, no pretrained weights.</summary>
    Scratch,
    /// <summary>Pretrained body, new head, everything fine-tuned.</summary>
    Full,
    /// <summary>Frozen pretrained body, only the new head trains (linear probing).</summary>
    Linear,
    /// <summary>Layer-wise fine-tuning: blocks 1..K frozen (or at a lower learning rate), the rest fine-tuned.</summary>
    Lwft,
    /// <summary>TransFusion: pretrained blocks 1..K, blocks above K slimmed and randomly initialised.</summary>
    Transfusion,
    /// <summary>Every weight tensor drawn i.i.d. from N(mean, std) of the pretrained tensor.</summary>
    MeanVar,
    /// <summary>TTL: blocks 1..K kept with their pretrained weights, the rest dropped, new head.</summary>
    Truncate,
    /// <summary>
    /// The practitioners' two-phase recipe: the new head trains on the frozen pretrained body for a
    /// few epochs, then the blocks above K are unfrozen and fine-tuned with SGD at a lower learning rate.
    /// </summary>
    TwoPhase,
}

/// <summary>
/// A parsed strategy string: <c>scratch</c>, <c>full</c>, <c>linear</c>, <c>meanvar</c>,
/// <c>lwft:K</c> (option <c>body_lr=M</c>: train blocks 1..K at M × the learning rate instead of
/// freezing them), <c>transfusion:K</c> (option <c>slim=F</c>, default 2), <c>truncate:K</c>,
/// <c>twophase:K</c> (options <c>head_epochs=E</c>, default 5: epochs of the head alone on the
/// frozen body; <c>lr_factor=F</c>, default 0.1: the second phase's learning rate as a fraction of the
/// schedule's).
/// K is a cut point as <see cref="BlockNetwork.ResolveCut(string)"/> reads it: an index, a block
/// name, a stage name or <c>full</c>. Options follow the cut after commas: <c>lwft:7,body_lr=0.1</c>.
/// </summary>
public sealed record Strategy(StrategyKind Kind, string? Cut = null, double SlimFactor = 2, double? BodyLrMultiplier = null,
    int HeadEpochs = Strategy.DefaultHeadEpochs, double LrFactor = Strategy.DefaultLrFactor)
{
    public const int DefaultHeadEpochs = 5;
    public const double DefaultLrFactor = 0.1;

    /// <summary>Whether the strategy string names a cut point (lwft, transfusion, truncate, twophase).</summary>
    public bool TakesCut => Kind is StrategyKind.Lwft or StrategyKind.Transfusion or StrategyKind.Truncate or StrategyKind.TwoPhase;

    public static Strategy Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string spec = text.Trim();
        int colon = spec.IndexOf(':');
        string name = (colon < 0 ? spec : spec[..colon]).ToLowerInvariant();
        string[] parts = colon < 0 ? [] : spec[(colon + 1)..].Split(',');
        var kind = name switch
        {
            "scratch" => StrategyKind.Scratch,
            "full" => StrategyKind.Full,
            "linear" => StrategyKind.Linear,
            "lwft" => StrategyKind.Lwft,
            "transfusion" => StrategyKind.Transfusion,
            "meanvar" => StrategyKind.MeanVar,
            "truncate" => StrategyKind.Truncate,
            "twophase" => StrategyKind.TwoPhase,
            _ => throw new FormatException($"strategy '{text}': unknown name '{name}'; expected scratch, full, linear, lwft:K, transfusion:K, meanvar, truncate:K or twophase:K"),
        };
        if (!new Strategy(kind).TakesCut)
        {
            if (colon >= 0) throw new FormatException($"strategy '{text}': {name} takes no cut or options");
            return new Strategy(kind);
        }
        if (parts.Length == 0 || parts[0].Trim().Length == 0)
            throw new FormatException($"strategy '{text}': {name} needs a cut point, e.g. {name}:7 or {name}:layer2");
        var strategy = new Strategy(kind, parts[0].Trim());
        foreach (var option in parts.Skip(1))
        {
            var kv = option.Split('=', 2);
            string key = kv[0].Trim();
            if (kv.Length != 2 || !double.TryParse(kv[1].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
                throw new FormatException($"strategy '{text}': option '{option.Trim()}' is not key=number");
            strategy = (kind, key) switch
            {
                (StrategyKind.Transfusion, "slim") when value >= 1 => strategy with { SlimFactor = value },
                (StrategyKind.Transfusion, "slim") => throw new FormatException($"strategy '{text}': slim must be at least 1, got {kv[1].Trim()}"),
                (StrategyKind.Lwft, "body_lr") when value > 0 && value <= 1 => strategy with { BodyLrMultiplier = value },
                (StrategyKind.Lwft, "body_lr") => throw new FormatException($"strategy '{text}': body_lr must be in (0, 1], got {kv[1].Trim()}"),
                (StrategyKind.TwoPhase, "head_epochs") when value >= 1 && value == Math.Floor(value) && value <= 100_000 => strategy with { HeadEpochs = (int)value },
                (StrategyKind.TwoPhase, "head_epochs") => throw new FormatException($"strategy '{text}': head_epochs must be a whole number of epochs, at least 1, got {kv[1].Trim()}"),
                (StrategyKind.TwoPhase, "lr_factor") when value > 0 && value <= 1 => strategy with { LrFactor = value },
                (StrategyKind.TwoPhase, "lr_factor") => throw new FormatException($"strategy '{text}': lr_factor must be in (0, 1], got {kv[1].Trim()}"),
                _ => throw new FormatException($"strategy '{text}': unknown option '{key}' for {name} (lwft takes body_lr, transfusion takes slim, twophase takes head_epochs and lr_factor)"),
            };
        }
        return strategy;
    }

    /// <summary>The same strategy with another cut (the options kept): what a search over K trains.</summary>
    public Strategy WithCut(string cut) =>
        TakesCut ? this with { Cut = cut } : throw new InvalidOperationException($"{this} takes no cut point");

    public override string ToString()
    {
        string name = Kind.ToString().ToLowerInvariant();
        if (Cut is null) return name;
        string s = $"{name}:{Cut}";
        if (Kind == StrategyKind.Transfusion && SlimFactor != 2) s += ",slim=" + SlimFactor.ToString(CultureInfo.InvariantCulture);
        if (BodyLrMultiplier is { } m) s += ",body_lr=" + m.ToString(CultureInfo.InvariantCulture);
        if (Kind == StrategyKind.TwoPhase && HeadEpochs != DefaultHeadEpochs) s += ",head_epochs=" + HeadEpochs.ToString(CultureInfo.InvariantCulture);
        if (Kind == StrategyKind.TwoPhase && LrFactor != DefaultLrFactor) s += ",lr_factor=" + LrFactor.ToString(CultureInfo.InvariantCulture);
        return s;
    }
}
