using TTL.Torch;
using TTL.Torch.Distributed;
using TTL.Torch.Modules;

namespace TTL.Training.Distributed;

/// <summary>
/// This process's place in a data-parallel job and the c10d Gloo group that joins the ranks. A
/// single process gets <see cref="Single"/>, whose collectives are identities, so the trainer has
/// one code path. Rank 0 hosts the TCP store at MASTER_ADDR:MASTER_PORT.
/// </summary>
public sealed class DistributedContext : IDisposable
{
    private readonly TcpStore? _store;
    private readonly ProcessGroup? _group;

    public LaunchEnvironment Launch { get; }
    public int Rank => Launch.Rank;
    public int WorldSize => Launch.WorldSize;
    public bool IsMain => Launch.Rank == 0;
    public ProcessGroup? Group => _group;
    public TimeSpan Timeout { get; }

    public static DistributedContext Single { get; } = new(LaunchEnvironment.Single, null, null, TimeSpan.FromSeconds(600));

    private DistributedContext(LaunchEnvironment launch, TcpStore? store, ProcessGroup? group, TimeSpan timeout)
    {
        Launch = launch;
        _store = store;
        _group = group;
        Timeout = timeout;
    }

    /// <summary>
    /// Joins the job <paramref name="launch"/> describes (one process: no group). Gloo's transport
    /// binds the interface GLOO_SOCKET_IFNAME names if set, else loopback for a loopback master,
    /// else Gloo's default (the address this host's name resolves to).
    /// </summary>
    public static DistributedContext Join(LaunchEnvironment launch, TimeSpan timeout)
    {
        // Any process a launcher started (ranks, the demo's trainings) exits with its launcher.
        LocalLauncher.WatchLauncher();
        if (!launch.IsDistributed) return Single;
        var store = new TcpStore(launch.MasterAddr, launch.MasterPort, launch.WorldSize, isServer: launch.Rank == 0, timeout);
        try
        {
            string? iface = Environment.GetEnvironmentVariable("GLOO_SOCKET_IFNAME");
            var group = new ProcessGroup(store, launch.Rank, launch.WorldSize, timeout,
                iface: string.IsNullOrEmpty(iface) ? null : iface, hostname: launch.IsLoopback ? "127.0.0.1" : null);
            return new DistributedContext(launch, store, group, timeout);
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>Every rank's items of [0, count): i ≡ rank (mod world size).</summary>
    public IEnumerable<int> Shard(int count)
    {
        for (int i = Rank; i < count; i += WorldSize) yield return i;
    }

    /// <summary>Element-wise sums over the ranks (float64).</summary>
    public double[] Sum(double[] values) => Reduce(values, ReduceOp.SUM);

    private double[] Reduce(double[] values, ReduceOp op)
    {
        if (_group is null || values.Length == 0) return values;
        using var t = torch.tensor<double>(values);
        _group.allreduce(t, op);
        return t.data<double>();
    }

    /// <summary>
    /// How far apart the ranks' copies of the module's state are: the spread (max − min over ranks)
    /// of a float64 fingerprint of every parameter and buffer. Data-parallel ranks apply identical
    /// all-reduced gradients, so anything but 0 means they have drifted apart.
    /// </summary>
    public double StateSpread(Module module)
    {
        if (_group is null) return 0;
        double f = 0;
        int k = 0;
        using (torch.no_grad())
            foreach (var t in module.parameters().Concat(module.buffers()))
            {
                using var sum = t.to(DType.Float64).sum();
                f += sum.item<double>() * ++k;
            }
        var m = Reduce([f, -f], ReduceOp.MAX);
        return m[0] + m[1];
    }

    /// <summary>Copies rank 0's parameters and buffers into every rank's module.</summary>
    public void BroadcastState(Module module) => Broadcast(module.parameters().Concat(module.buffers()));

    public void BroadcastBuffers(Module module) => Broadcast(module.buffers());

    private void Broadcast(IEnumerable<Tensor> tensors)
    {
        if (_group is null) return;
        using var noGrad = torch.no_grad();
        foreach (var t in tensors)
        {
            if (t.is_contiguous()) _group.broadcast(t, 0);
            else
            {
                using var c = t.contiguous();
                _group.broadcast(c, 0);
                t.copy_(c);
            }
        }
    }

    private Thread? _heartbeat;
    private volatile bool _stopping;
    private static readonly TimeSpan BeatEvery = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Waits for every rank at a named point between long pieces of work (the stages of a search,
    /// each rank training its own trials for minutes or hours, longer than any collective timeout).
    /// Ranks prove they are alive by a heartbeat counter in the store, bumped by a background thread;
    /// a peer whose heartbeat stalls for <see cref="Timeout"/> (it exited, was killed or frozen) fails
    /// the wait, naming it. Rank 0 hosting the store going away fails the wait at once.
    /// </summary>
    public void StageBarrier(string tag)
    {
        if (_store is null) return;
        StartHeartbeat();
        _store.add($"ttl/stage/{tag}", 1);
        AwaitCount($"ttl/stage/{tag}", tag);
        // Rank 0 hosts the store: it leaves last, once every rank has seen the barrier complete,
        // or a rank still polling would find the store gone.
        _store.add($"ttl/stage/{tag}/seen", 1);
        if (IsMain) AwaitCount($"ttl/stage/{tag}/seen", tag);
    }

    /// <summary>Polls the counter until every rank has added to it, failing when a peer's heartbeat stalls.</summary>
    private void AwaitCount(string key, string tag)
    {
        var lastBeat = new long[WorldSize];
        var lastChange = new DateTime[WorldSize];
        Array.Fill(lastChange, DateTime.UtcNow);
        while (_store!.add(key, 0) < WorldSize)
        {
            var now = DateTime.UtcNow;
            for (int r = 0; r < WorldSize; r++)
            {
                if (r == Rank) continue;
                long beat = _store.add($"ttl/hb/{r}", 0);
                if (beat != lastBeat[r]) { lastBeat[r] = beat; lastChange[r] = now; }
                else if (now - lastChange[r] > Timeout)
                    throw new DistributedException($"rank {Rank} of {WorldSize}: waiting at '{tag}': rank {r} sent no heartbeat for {Timeout.TotalSeconds:0.#} s (it exited, was killed or is frozen)");
            }
            Thread.Sleep(200);
        }
    }

    /// <summary>
    /// Starts bumping this rank's heartbeat in the store (once; <see cref="StageBarrier"/> relies on
    /// it). Call it before long work that peers may wait for.
    /// </summary>
    public void StartHeartbeat()
    {
        if (_heartbeat is not null || _store is null) return;
        var store = _store;
        string key = $"ttl/hb/{Rank}";
        store.add(key, 1);
        _heartbeat = new Thread(() =>
        {
            try
            {
                while (!_stopping)
                {
                    store.add(key, 1);
                    Thread.Sleep(BeatEvery);
                }
            }
            catch (DistributedException) { } // the store is gone: the waiting side reports it
        }) { IsBackground = true, Name = "ttl-heartbeat" };
        _heartbeat.Start();
    }

    public void Dispose()
    {
        if (ReferenceEquals(this, Single)) return;
        _stopping = true;
        _heartbeat?.Join(BeatEvery * 3);
        _group?.Dispose();
        _store?.Dispose();
    }
}
