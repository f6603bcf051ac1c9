namespace TTL.Training.Metrics;

/// <summary>Classification metrics of one evaluation; binary-only ones are null for more classes.</summary>
public sealed record ClassificationReport(
    int N,
    double Accuracy,
    double BalancedAccuracy,
    double Auroc,
    double Auprc,
    double F1,
    double? Sensitivity,
    double? Specificity);

/// <summary>
/// Classification metrics with scikit-learn's definitions (the tests compare against it):
/// AUROC is the Mann–Whitney statistic with ties counted one half (= roc_auc_score);
/// AUPRC is average precision, Σ (Rₙ − Rₙ₋₁)·Pₙ over distinct score thresholds
/// (= average_precision_score, not the trapezoid); with more than two classes both are
/// macro averages of one-vs-rest; F1 is the positive class's for two classes and the macro
/// average (over classes present in truth or prediction, 0 where undefined) otherwise;
/// balanced accuracy is the mean recall over classes present in the truth.
/// </summary>
public static class ClassificationMetrics
{
    /// <summary>
    /// Metrics from class probabilities (row-major N × K) and true labels in 0..K-1. Predictions are
    /// the arg-max class, which for K = 2 is the 0.5 threshold on the positive probability.
    /// </summary>
    public static ClassificationReport Compute(ReadOnlySpan<double> probabilities, ReadOnlySpan<int> labels, int classes)
    {
        int n = labels.Length;
        if (classes < 2) throw new ArgumentException("classification needs at least two classes");
        if (probabilities.Length != n * classes)
            throw new ArgumentException($"{probabilities.Length} probabilities for {n} samples × {classes} classes");
        foreach (var y in labels)
            if ((uint)y >= (uint)classes) throw new ArgumentException($"label {y} is outside 0..{classes - 1}");

        var predicted = new int[n];
        for (int i = 0; i < n; i++)
        {
            int best = 0;
            for (int k = 1; k < classes; k++)
                if (probabilities[i * classes + k] > probabilities[i * classes + best]) best = k;
            predicted[i] = best;
        }

        var confusion = new long[classes, classes];
        for (int i = 0; i < n; i++) confusion[labels[i], predicted[i]]++;
        long correct = 0;
        for (int k = 0; k < classes; k++) correct += confusion[k, k];

        var scores = new double[n];
        var isPositive = new bool[n];
        double auroc, auprc;
        if (classes == 2)
        {
            for (int i = 0; i < n; i++) { scores[i] = probabilities[i * 2 + 1]; isPositive[i] = labels[i] == 1; }
            auroc = Auroc(scores, isPositive);
            auprc = AveragePrecision(scores, isPositive);
        }
        else
        {
            double sumRoc = 0, sumPr = 0;
            for (int k = 0; k < classes; k++)
            {
                for (int i = 0; i < n; i++) { scores[i] = probabilities[i * classes + k]; isPositive[i] = labels[i] == k; }
                sumRoc += Auroc(scores, isPositive);
                sumPr += AveragePrecision(scores, isPositive);
            }
            auroc = sumRoc / classes;
            auprc = sumPr / classes;
        }

        return new ClassificationReport(
            n,
            (double)correct / n,
            BalancedAccuracy(confusion, classes),
            auroc,
            auprc,
            classes == 2 ? F1(confusion, 1) : MacroF1(confusion, classes),
            classes == 2 ? Recall(confusion, 2, 1) : null,
            classes == 2 ? Recall(confusion, 2, 0) : null);
    }

    /// <summary>Area under the ROC curve; NaN when only one class is present.</summary>
    public static double Auroc(ReadOnlySpan<double> scores, ReadOnlySpan<bool> positive)
    {
        int n = scores.Length;
        var order = SortedIndices(scores);
        // Average ranks over ties, then the Mann–Whitney U of the positives.
        double rankSumPositive = 0;
        long positives = 0;
        int i = 0;
        while (i < n)
        {
            int j = i;
            while (j + 1 < n && scores[order[j + 1]] == scores[order[i]]) j++;
            double averageRank = 0.5 * (i + j) + 1;
            for (int k = i; k <= j; k++)
                if (positive[order[k]]) { rankSumPositive += averageRank; positives++; }
            i = j + 1;
        }
        long negatives = n - positives;
        if (positives == 0 || negatives == 0) return double.NaN;
        return (rankSumPositive - positives * (positives + 1) / 2.0) / ((double)positives * negatives);
    }

    /// <summary>Average precision; NaN when there is no positive.</summary>
    public static double AveragePrecision(ReadOnlySpan<double> scores, ReadOnlySpan<bool> positive)
    {
        int n = scores.Length;
        var order = SortedIndices(scores);
        long totalPositive = 0;
        foreach (var p in positive) if (p) totalPositive++;
        if (totalPositive == 0) return double.NaN;
        double ap = 0, previousRecall = 0;
        long truePositive = 0, seen = 0;
        // Walk thresholds from the highest score down; tied scores enter together.
        for (int i = n - 1; i >= 0;)
        {
            int j = i;
            while (j - 1 >= 0 && scores[order[j - 1]] == scores[order[i]]) j--;
            for (int k = j; k <= i; k++) if (positive[order[k]]) truePositive++;
            seen += i - j + 1;
            double recall = (double)truePositive / totalPositive;
            double precision = (double)truePositive / seen;
            ap += (recall - previousRecall) * precision;
            previousRecall = recall;
            i = j - 1;
        }
        return ap;
    }

    private static int[] SortedIndices(ReadOnlySpan<double> scores)
    {
        var order = new int[scores.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        var keys = scores.ToArray();
        Array.Sort(keys, order);
        return order;
    }

    private static double Recall(long[,] confusion, int classes, int k)
    {
        long row = 0;
        for (int j = 0; j < classes; j++) row += confusion[k, j];
        return row == 0 ? double.NaN : (double)confusion[k, k] / row;
    }

    private static double BalancedAccuracy(long[,] confusion, int classes)
    {
        double sum = 0;
        int present = 0;
        for (int k = 0; k < classes; k++)
        {
            double r = Recall(confusion, classes, k);
            if (!double.IsNaN(r)) { sum += r; present++; }
        }
        return sum / present;
    }

    private static double F1(long[,] confusion, int k)
    {
        int classes = confusion.GetLength(0);
        long tp = confusion[k, k], fp = 0, fn = 0;
        for (int j = 0; j < classes; j++)
        {
            if (j == k) continue;
            fp += confusion[j, k];
            fn += confusion[k, j];
        }
        long denominator = 2 * tp + fp + fn;
        return denominator == 0 ? 0 : 2.0 * tp / denominator;
    }

    private static double MacroF1(long[,] confusion, int classes)
    {
        double sum = 0;
        int used = 0;
        for (int k = 0; k < classes; k++)
        {
            long inTruth = 0, inPrediction = 0;
            for (int j = 0; j < classes; j++) { inTruth += confusion[k, j]; inPrediction += confusion[j, k]; }
            if (inTruth == 0 && inPrediction == 0) continue;
            sum += F1(confusion, k);
            used++;
        }
        return used == 0 ? 0 : sum / used;
    }
}
