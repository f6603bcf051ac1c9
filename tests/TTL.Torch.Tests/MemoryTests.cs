using F = TTL.Torch.torch.nn.functional;

namespace TTL.Torch.Tests;

[Collection("serial")]
public class MemoryTests
{
    /// <summary>Resident set size of this process in bytes (/proc/self/statm, second field, in pages).</summary>
    private static long ResidentBytes() =>
        long.Parse(File.ReadAllText("/proc/self/statm").Split(' ')[1]) * Environment.SystemPageSize;

    private static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    [Fact]
    public void TwoThousandTrainingStepsKeepResidentMemoryFlat()
    {
        torch.manual_seed(7);
        using var w1 = (torch.randn(8, 1, 3, 3, 3) * 0.2).requires_grad_();
        using var w2 = (torch.randn(8, 8, 3, 3, 3) * 0.1).requires_grad_();
        using var gamma = torch.ones([8], requires_grad: true);
        using var beta = torch.zeros([8], requires_grad: true);
        using var runMean = torch.zeros(8);
        using var runVar = torch.ones(8);
        using var head = (torch.randn(2, 8) * 0.1).requires_grad_();
        using var x = torch.randn(4, 1, 12, 12, 12);
        using var y = torch.tensor(new long[] { 0, 1, 1, 0 });
        Tensor[] parameters = [w1, w2, gamma, beta, head];

        long after100 = 0;
        long handlesLeaked = -1;
        for (int step = 1; step <= 2000; step++)
        {
            // Tensors other tests dropped without disposing are released by finalizers: settle them
            // before counting the handles one step leaves behind.
            if (step == 1000) Settle();
            long handlesBefore = TensorHandle.Live;
            using (torch.NewDisposeScope())
            {
                var h = F.relu(F.batch_norm(F.conv3d(x, w1, padding: [1, 1, 1]), runMean, runVar, gamma, beta, training: true));
                h = F.relu(F.conv3d(h, w2, stride: [2, 2, 2], padding: [1, 1, 1]));
                var logits = F.linear(h.mean([2, 3, 4]), head);
                var loss = F.cross_entropy(logits, y);
                loss.backward();
                using (torch.no_grad())
                {
                    foreach (var p in parameters)
                    {
                        p.sub_(p.grad!, alpha: 0.01);
                        p.grad = null;
                    }
                }
            }
            if (step == 1000) handlesLeaked = TensorHandle.Live - handlesBefore;
            if (step == 100)
            {
                GC.Collect();
                after100 = ResidentBytes();
            }
        }
        Settle();
        long after2000 = ResidentBytes();

        // Every tensor made inside a step's dispose scope was released deterministically.
        Assert.Equal(0, handlesLeaked);
        Assert.True(after2000 - after100 < 50L << 20,
            $"resident memory grew by {(after2000 - after100) / (1 << 20)} MB between step 100 and step 2000");
    }
}
