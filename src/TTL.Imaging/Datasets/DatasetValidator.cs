namespace TTL.Imaging.Datasets;

/// <summary>
/// Checks a dataset before anything trains on it: every file exists and has a readable header,
/// a case's channel files share one grid, each label map has its image's shape and affine, label
/// maps hold only declared label values, class labels are declared classes. The first problem is
/// thrown as an InvalidDataException naming the file.
/// </summary>
public static class DatasetValidator
{
    /// <summary>Largest difference between two affines' entries (mm) still counted as the same grid.</summary>
    public const double AffineTolerance = 1e-3;

    public static void Validate(Dataset d, bool readLabelValues = true, int threads = 0)
    {
        var cases = d.Training.Concat(d.Test).ToList();
        var declared = d.Labels.Keys.ToHashSet();
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount };
        // Report the first failing case in dataset order, whatever order the workers finish in.
        var errors = new Exception?[cases.Count];
        Parallel.For(0, cases.Count, options, (i, state) =>
        {
            try { Check(d, cases[i], declared, readLabelValues); }
            catch (InvalidDataException e) { errors[i] = e; }
            catch (IOException e) { errors[i] = new InvalidDataException(e.Message, e); }
        });
        var first = errors.FirstOrDefault(e => e is not null);
        if (first is not null) throw first;
    }

    private static void Check(Dataset d, DatasetCase c, HashSet<int> declared, bool readLabelValues)
    {
        NiftiHeader? reference = null;
        string? referenceFile = null;
        foreach (var image in c.Images)
        {
            if (!File.Exists(image)) throw new InvalidDataException($"{image}: image of case {c.Id} does not exist");
            var h = NiftiReader.ReadHeader(image);
            if (reference is null) { reference = h; referenceFile = image; continue; }
            CheckSameGrid(h, image, reference, referenceFile!, "channel");
        }
        if (c.ClassLabel is int k && !declared.Contains(k))
            throw new InvalidDataException($"{Path.GetFileName(d.Source)}: case {c.Id} has class {k}, which is not a declared class ({string.Join(", ", declared.Order())})");
        if (c.LabelFile is null)
        {
            if (d.Task == DatasetTask.Segmentation && c.Split != "test")
                throw new InvalidDataException($"{Path.GetFileName(d.Source)}: training case {c.Id} has no label file");
            return;
        }
        if (!File.Exists(c.LabelFile)) throw new InvalidDataException($"{c.LabelFile}: label of case {c.Id} does not exist");
        var lh = NiftiReader.ReadHeader(c.LabelFile);
        CheckSameGrid(lh, c.LabelFile, reference!, referenceFile!, "label");
        if (!readLabelValues || declared.Count == 0) return;
        var label = NiftiReader.Read(c.LabelFile);
        foreach (var v in label.Data)
        {
            if (v != MathF.Round(v) || !declared.Contains((int)v))
                throw new InvalidDataException($"{c.LabelFile}: label value {v} is not a declared label ({string.Join(", ", declared.Order())})");
        }
    }

    private static void CheckSameGrid(NiftiHeader h, string file, NiftiHeader reference, string referenceFile, string what)
    {
        var s = h.SpatialShape;
        var r = reference.SpatialShape;
        if (!s.SequenceEqual(r))
            throw new InvalidDataException($"{file}: {what} shape {string.Join("x", s)} differs from {Path.GetFileName(referenceFile)}'s {string.Join("x", r)}");
        var a = h.BestAffine();
        var b = reference.BestAffine();
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 4; j++)
                if (Math.Abs(a[i, j] - b[i, j]) > AffineTolerance)
                    throw new InvalidDataException($"{file}: {what} affine differs from {Path.GetFileName(referenceFile)}'s (entry [{i},{j}]: {a[i, j]:G6} vs {b[i, j]:G6})");
    }
}
