namespace TTL.Imaging.Datasets;

/// <summary>Training and validation cases of one split.</summary>
public sealed record Split(IReadOnlyList<DatasetCase> Train, IReadOnlyList<DatasetCase> Validation);

/// <summary>
/// Ways to divide a dataset's training cases: k folds (cases shuffled with a seed, fold f is the
/// validation part), the split column of a CSV / dataset.json ("train" / "val"), or explicit id
/// lists. Classification folds are stratified so every fold sees every class in proportion.
/// </summary>
public static class DatasetSplits
{
    public static Split KFold(Dataset d, int folds, int fold, long seed)
    {
        if (folds < 2) throw new ArgumentException("k-fold needs at least 2 folds");
        if (fold < 0 || fold >= folds) throw new ArgumentException($"fold {fold} is outside 0..{folds - 1}");
        if (d.Training.Count < folds) throw new InvalidDataException($"{Path.GetFileName(d.Source)}: {d.Training.Count} training cases cannot make {folds} folds");
        var rng = new Random(unchecked((int)seed ^ (int)(seed >> 32)));
        // Stratify by class (segmentation: one stratum), shuffle each stratum, deal round-robin.
        var strata = d.Training.GroupBy(c => c.ClassLabel ?? -1).OrderBy(g => g.Key);
        var assignment = new Dictionary<DatasetCase, int>(ReferenceEqualityComparer.Instance);
        int next = 0;
        foreach (var g in strata)
        {
            var items = g.OrderBy(c => c.Id, StringComparer.Ordinal).ToArray();
            rng.Shuffle(items);
            foreach (var c in items) assignment[c] = next++ % folds;
        }
        var train = d.Training.Where(c => assignment[c] != fold).ToList();
        var val = d.Training.Where(c => assignment[c] == fold).ToList();
        return Checked(d, new Split(train, val), $"fold {fold}/{folds}");
    }

    public static Split ByColumn(Dataset d)
    {
        var unassigned = d.Training.FirstOrDefault(c => c.Split is null);
        if (unassigned is not null) throw new InvalidDataException($"{Path.GetFileName(d.Source)}: case {unassigned.Id} has no split value");
        return Checked(d, new Split(d.Training.Where(c => c.Split == "train").ToList(), d.Training.Where(c => c.Split == "val").ToList()), "split column");
    }

    public static Split Explicit(Dataset d, IReadOnlyCollection<string> trainIds, IReadOnlyCollection<string> validationIds)
    {
        var byId = d.Training.ToDictionary(c => c.Id);
        DatasetCase Find(string id) => byId.TryGetValue(id, out var c) ? c
            : throw new InvalidDataException($"{Path.GetFileName(d.Source)}: split lists case '{id}', which is not a training case");
        var overlap = trainIds.Intersect(validationIds).FirstOrDefault();
        if (overlap is not null) throw new InvalidDataException($"{Path.GetFileName(d.Source)}: case '{overlap}' is in both the training and the validation list");
        return Checked(d, new Split(trainIds.Select(Find).ToList(), validationIds.Select(Find).ToList()), "explicit lists");
    }

    private static Split Checked(Dataset d, Split s, string what)
    {
        if (s.Train.Count == 0) throw new InvalidDataException($"{Path.GetFileName(d.Source)}: the training part of {what} is empty");
        if (s.Validation.Count == 0) throw new InvalidDataException($"{Path.GetFileName(d.Source)}: the validation part of {what} is empty");
        return s;
    }
}
