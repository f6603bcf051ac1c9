using TTL.Torch;
using F = TTL.Torch.torch.nn.functional;

namespace TTL.Training;

/// <summary>The training losses: class-weighted cross-entropy, and soft Dice + cross-entropy for segmentation.</summary>
public static class Losses
{
    /// <summary>Cross-entropy of logits [N, K(, …)] against class indices, with optional class weights.</summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor target, Tensor? classWeights, double labelSmoothing = 0) =>
        F.cross_entropy(logits, target, classWeights, label_smoothing: labelSmoothing);

    /// <summary>
    /// nnU-Net's combination: cross-entropy plus (1 − soft Dice), the Dice computed on softmax
    /// probabilities over the foreground classes with the batch and voxels pooled
    /// (batch Dice), smoothing 1e-5 in numerator and denominator.
    /// </summary>
    public static Tensor DiceCrossEntropy(Tensor logits, Tensor target, Tensor? classWeights)
    {
        using var scope = torch.NewDisposeScope();
        long classes = logits.size(1);
        var ce = F.cross_entropy(logits, target, classWeights);
        var probs = F.softmax(logits, 1);
        // one_hot gives [N, I, J, K, C]; move classes next to the batch.
        var onehot = F.one_hot(target, classes).permute(0, 4, 1, 2, 3).to(probs.dtype);
        long[] dims = [0, 2, 3, 4];
        var intersection = (probs * onehot).sum(dims);
        var denominator = probs.sum(dims) + onehot.sum(dims);
        var dice = (intersection * 2.0 + 1e-5) / (denominator + 1e-5);
        var foreground = dice.narrow(0, 1, classes - 1).mean();
        return (ce + (1.0 - foreground)).MoveToOuterDisposeScope();
    }
}
