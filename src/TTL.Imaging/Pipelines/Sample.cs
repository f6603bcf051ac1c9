namespace TTL.Imaging.Pipelines;

/// <summary>
/// What a pipeline carries: an image, optionally its label on the same grid, and an id (the case
/// name) that seeds the random steps. Transforms may modify the volumes in place: a pipeline owns
/// the sample it is given.
/// </summary>
public sealed record Sample(Volume Image, Volume? Label, string Id = "");
