using System.Diagnostics;
using TTL.Torch.Distributed;

namespace TTL.Torch.Tests;

/// <summary>
/// c10d through the shim: two ranks of a Gloo group on loopback, each on its own thread of this
/// process (a group is per-object, so two ranks can share a process for these checks).
/// </summary>
public class DistributedTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Runs body(rank, group) on two threads, one per rank, and rethrows the first failure.</summary>
    private static void TwoRanks(Action<int, ProcessGroup> body, TimeSpan? timeout = null)
    {
        int port = TcpStore.FreeLoopbackPort();
        var tasks = Enumerable.Range(0, 2).Select(rank => Task.Factory.StartNew(() =>
        {
            using var store = new TcpStore("127.0.0.1", port, 2, isServer: rank == 0, Timeout);
            using var group = new ProcessGroup(store, rank, 2, timeout ?? Timeout, hostname: "127.0.0.1");
            body(rank, group);
        }, TaskCreationOptions.LongRunning)).ToArray();
        Task.WaitAll(tasks);
    }

    [Fact]
    public void TheShimIsBuiltWithGloo() => Assert.True(torch.distributed.is_available());

    [Fact]
    public void AllReduceSumsAndBroadcastCopiesAcrossTwoRanks()
    {
        var sums = new float[2][];
        var copies = new float[2][];
        TwoRanks((rank, group) =>
        {
            using var t = torch.tensor<float>([rank + 1f, 10f * (rank + 1), -rank]);
            group.allreduce(t);
            sums[rank] = t.data<float>();
            using var b = torch.tensor<float>([rank, rank, rank]);
            group.broadcast(b, src: 1);
            copies[rank] = b.data<float>();
            using var m = torch.tensor<float>([rank + 3f]);
            group.allreduce(m, ReduceOp.MAX);
            Assert.Equal(4f, m.item<float>());
            group.barrier();
        });
        foreach (var s in sums) Assert.Equal(new[] { 3f, 30f, -1f }, s);
        foreach (var c in copies) Assert.Equal(new[] { 1f, 1f, 1f }, c);
    }

    [Fact]
    public void DifferentiableAllReduceSumsTheGradientsOfEveryRank()
    {
        // loss_r = Σ w_r · allreduce(x_r · (r + 1)), so d(Σ_r loss_r)/dx_r = (r + 1) · Σ_r' w_r'.
        var grads = new float[2][];
        var values = new float[2][];
        TwoRanks((rank, group) =>
        {
            using var x = torch.tensor<float>([1f, 2f]).requires_grad_();
            using var w = torch.tensor<float>([rank + 1f, 5f]);
            using var y = torch.distributed.nn.functional.all_reduce(x * (rank + 1.0), group);
            values[rank] = y.detach().data<float>();
            using var loss = (y * w).sum();
            loss.backward();
            grads[rank] = x.grad!.data<float>();
        });
        foreach (var v in values) Assert.Equal(new[] { 3f, 6f }, v);
        Assert.Equal(new[] { 3f, 10f }, grads[0]);
        Assert.Equal(new[] { 6f, 20f }, grads[1]);
    }

    [Fact]
    public void SyncBatchNormOnTwoHalvesEqualsBatchNormOnTheWholeBatch()
    {
        torch.manual_seed(7);
        using var whole = torch.randn([4, 3, 3, 4, 5]) * 2.0 + 1.0;
        using var upstream = torch.randn([4, 3, 3, 4, 5]);
        using var reference = torch.nn.BatchNorm3d(3);
        using (torch.no_grad()) { reference.weight!.copy_(torch.tensor<float>([0.5f, 1.5f, -1f])); reference.bias!.copy_(torch.tensor<float>([0.1f, 0f, 2f])); }
        using var x = whole.clone().requires_grad_();
        using var yRef = reference.call(x);
        (yRef * upstream).sum().backward();

        var outs = new Tensor[2];
        var inGrads = new Tensor[2];
        var wGrads = new Tensor[2];
        var bGrads = new Tensor[2];
        var stats = new Tensor[2][];
        TwoRanks((rank, group) =>
        {
            using var bn = torch.nn.BatchNorm3d(3);
            using (torch.no_grad()) { bn.weight!.copy_(reference.weight!.detach()); bn.bias!.copy_(reference.bias!.detach()); }
            torch.nn.SyncBatchNorm.convert_sync_batchnorm(bn, group);
            using var half = whole.narrow(0, 2 * rank, 2).clone().requires_grad_();
            var y = bn.call(half);
            (y * upstream.narrow(0, 2 * rank, 2)).sum().backward();
            outs[rank] = y.detach();
            inGrads[rank] = half.grad!;
            wGrads[rank] = bn.weight!.grad!;
            bGrads[rank] = bn.bias!.grad!;
            stats[rank] = [bn.running_mean!.clone(), bn.running_var!.clone()];
        });
        AssertClose(yRef.detach(), torch.cat(outs), 1e-5);
        AssertClose(x.grad!, torch.cat(inGrads), 1e-5);
        // Each rank holds the gradient of its own half; their sum is the whole batch's.
        AssertClose(reference.weight!.grad!, wGrads[0] + wGrads[1], 1e-4);
        AssertClose(reference.bias!.grad!, bGrads[0] + bGrads[1], 1e-4);
        foreach (var s in stats)
        {
            AssertClose(reference.running_mean!, s[0], 1e-6);
            AssertClose(reference.running_var!, s[1], 1e-6);
        }
    }

    [Fact]
    public void ACollectiveFailsWithinTheTimeoutWhenThePeerDoesNotTakePart()
    {
        var error = new Exception?[1];
        var watch = Stopwatch.StartNew();
        var release = new ManualResetEventSlim();
        TwoRanks((rank, group) =>
        {
            if (rank == 1) { release.Wait(TimeSpan.FromSeconds(30)); return; } // alive, but silent
            using var t = torch.ones([4]);
            error[0] = Record.Exception(() => group.allreduce(t));
            release.Set();
        }, timeout: TimeSpan.FromSeconds(2));
        Assert.IsType<DistributedException>(error[0]);
        Assert.Contains("rank 0 of 2: all_reduce failed", error[0]!.Message);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}");
    }

    [Fact]
    public void ARendezvousThatMissesARankFailsNamingTheAddress()
    {
        int port = TcpStore.FreeLoopbackPort();
        var watch = Stopwatch.StartNew();
        var e = Assert.Throws<DistributedException>(() => new TcpStore("127.0.0.1", port, 2, isServer: true, TimeSpan.FromSeconds(2)));
        Assert.Contains($"rendezvous at 127.0.0.1:{port}", e.Message);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}");
    }

    private static void AssertClose(Tensor expected, Tensor actual, double rtol)
    {
        var e = expected.detach().contiguous().data<float>();
        var a = actual.detach().contiguous().data<float>();
        Assert.Equal(e.Length, a.Length);
        double scale = Math.Max(1e-6, e.Max(v => Math.Abs(v)));
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(e[i] - a[i]) <= rtol * scale, $"[{i}] expected {e[i]}, got {a[i]} (tolerance {rtol} × {scale})");
    }
}
