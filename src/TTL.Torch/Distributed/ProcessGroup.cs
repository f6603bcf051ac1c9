using System.Text;
using TTL.Torch.Native;

namespace TTL.Torch.Distributed;

/// <summary>
/// A c10d Gloo process group (what <c>torch.distributed.init_process_group("gloo")</c> creates):
/// collectives over dense CPU tensors, in place. Every rank must issue the same collectives in the
/// same order. A collective fails with a <see cref="DistributedException"/> when a peer's
/// connection closes (the peer exited) or nothing arrives within <see cref="Timeout"/> (the peer
/// hangs): a group never waits forever.
/// </summary>
public sealed unsafe class ProcessGroup : IDisposable
{
    private IntPtr _handle;
    private readonly TcpStore _store;

    public int Rank { get; }
    public int Size { get; }
    public TimeSpan Timeout { get; }

    /// <param name="store">The rendezvous store (kept alive by the caller as long as the group).</param>
    /// <param name="iface">A network interface for Gloo's transport (GLOO_SOCKET_IFNAME), or null.</param>
    /// <param name="hostname">An address to bind when no interface is named (e.g. 127.0.0.1), or null for Gloo's default.</param>
    public ProcessGroup(TcpStore store, int rank, int size, TimeSpan timeout, string? iface = null, string? hostname = null, int threads = 2)
    {
        if (rank < 0 || rank >= size) throw new ArgumentOutOfRangeException(nameof(rank), $"rank {rank} is outside 0..{size - 1}");
        _store = store;
        Rank = rank;
        Size = size;
        Timeout = timeout;
        var i = Encoding.UTF8.GetBytes((iface ?? "") + "\0");
        var h = Encoding.UTF8.GetBytes((hostname ?? "") + "\0");
        fixed (byte* ip = i, hp = h)
            Guard("creating the Gloo process group", NativeMethods.ttl_pg_gloo(store.Handle, rank, size, (long)timeout.TotalMilliseconds, ip, hp, threads, out _handle));
    }

    private IntPtr Handle => _handle != IntPtr.Zero ? _handle : throw new ObjectDisposedException(nameof(ProcessGroup));

    public TcpStore Store => _store;

    /// <summary>Starts an in-place all-reduce of a contiguous CPU tensor; wait on the returned work.</summary>
    public Work allreduce_async(Tensor tensor, ReduceOp op = ReduceOp.SUM)
    {
        RequireDense(tensor, "all_reduce");
        Guard("all_reduce", NativeMethods.ttl_pg_allreduce(Handle, tensor.Handle, (int)op, out var w));
        return new Work(this, "all_reduce", w, tensor);
    }

    public void allreduce(Tensor tensor, ReduceOp op = ReduceOp.SUM)
    {
        using var w = allreduce_async(tensor, op);
        w.wait();
    }

    /// <summary>Overwrites <paramref name="tensor"/> on every rank with rank <paramref name="src"/>'s.</summary>
    public void broadcast(Tensor tensor, int src = 0)
    {
        RequireDense(tensor, "broadcast");
        Guard("broadcast", NativeMethods.ttl_pg_broadcast(Handle, tensor.Handle, src, out var w));
        using var work = new Work(this, "broadcast", w, tensor);
        work.wait();
    }

    public void barrier()
    {
        Guard("barrier", NativeMethods.ttl_pg_barrier(Handle, out var w));
        using var work = new Work(this, "barrier", w, null);
        work.wait();
    }

    private static void RequireDense(Tensor t, string what)
    {
        if (!t.is_contiguous()) throw new ArgumentException($"{what}: the tensor must be contiguous");
        if (t.device.Type != DeviceType.CPU) throw new ArgumentException($"{what}: the Gloo group takes CPU tensors");
    }

    internal void Guard(string what, int status)
    {
        if (status == 0) return;
        var message = System.Runtime.InteropServices.Marshal.PtrToStringUTF8(NativeMethods.ttl_last_error()) ?? "unknown c10d error";
        throw new DistributedException($"rank {Rank} of {Size}: {what} failed ({Explain(message)}): {OneLine(message)}");
    }

    internal static string OneLine(string s) => string.Join(' ', s.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private static string Explain(string message) =>
        message.Contains("Timed out", StringComparison.OrdinalIgnoreCase) ? "a peer rank did not answer within the timeout"
        : message.Contains("closed", StringComparison.OrdinalIgnoreCase) || message.Contains("reset", StringComparison.OrdinalIgnoreCase)
            ? "a peer rank exited or its connection broke"
        : "c10d error";

    internal IntPtr RawHandle => Handle;

    public void Dispose()
    {
        if (_handle == IntPtr.Zero) return;
        NativeMethods.ttl_pg_free(_handle);
        _handle = IntPtr.Zero;
    }
}

/// <summary>An asynchronous collective in flight; <see cref="wait"/> raises its failure.</summary>
public sealed class Work : IDisposable
{
    private IntPtr _handle;
    private readonly ProcessGroup _group;
    private readonly string _what;
    // The tensor is referenced until the collective completes so it cannot be released under it.
    private Tensor? _tensor;

    internal Work(ProcessGroup group, string what, IntPtr handle, Tensor? tensor)
    {
        _group = group;
        _what = what;
        _handle = handle;
        _tensor = tensor;
    }

    public void wait()
    {
        if (_handle == IntPtr.Zero) throw new ObjectDisposedException(nameof(Work));
        _group.Guard(_what, NativeMethods.ttl_work_wait(_handle));
        _tensor = null;
    }

    public void Dispose()
    {
        if (_handle == IntPtr.Zero) return;
        NativeMethods.ttl_work_free(_handle);
        _handle = IntPtr.Zero;
        _tensor = null;
    }
}
