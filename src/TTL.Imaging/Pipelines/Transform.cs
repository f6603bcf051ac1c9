namespace TTL.Imaging.Pipelines;

/// <summary>
/// One named, serialisable preprocessing step (MONAI's transforms are the model). Deterministic
/// steps give the same output for the same input and are cached; random steps draw from the
/// generator handed to them and run per sample.
/// </summary>
public abstract class Transform
{
    /// <summary>The name under which the step appears in pipeline YAML.</summary>
    public abstract string Name { get; }

    public virtual bool IsRandom => false;

    /// <summary>Applies the step; <paramref name="rng"/> is the sample's generator (unused by deterministic steps).</summary>
    public abstract Sample Apply(Sample sample, Random rng);

    /// <summary>The step's settings in YAML order, after "name"; values are numbers, strings, bools or lists of them.</summary>
    public abstract IEnumerable<(string Key, object Value)> Parameters();
}
