using System.Text;
using TTL.Torch.Native;

namespace TTL.Torch.Distributed;

/// <summary>
/// c10d's TCP key-value store (torch.distributed.TCPStore): rank 0 hosts it on MASTER_PORT, every
/// rank connects to it. Process groups rendezvous through it; the toolkit also uses it for
/// light-weight coordination (stage barriers and heartbeats of a distributed search).
/// </summary>
public sealed unsafe class TcpStore : IDisposable
{
    private IntPtr _handle;

    public string Host { get; }
    public int Port { get; }
    public int WorldSize { get; }
    public TimeSpan Timeout { get; }

    /// <summary>
    /// Connects (and, with <paramref name="isServer"/>, hosts). Returns once all
    /// <paramref name="worldSize"/> ranks are connected; fails after <paramref name="timeout"/>.
    /// </summary>
    public TcpStore(string host, int port, int worldSize, bool isServer, TimeSpan timeout)
    {
        if (port is < 1 or > 65535) throw new ArgumentOutOfRangeException(nameof(port), $"port {port} is not in 1..65535");
        if (worldSize < 1) throw new ArgumentOutOfRangeException(nameof(worldSize), "world size must be >= 1");
        torch.distributed.RequireAvailable();
        Host = host;
        Port = port;
        WorldSize = worldSize;
        Timeout = timeout;
        var h = Encoding.UTF8.GetBytes(host + "\0");
        fixed (byte* hp = h)
            Guard($"rendezvous at {host}:{port} ({(isServer ? "hosting" : "joining")}, world size {worldSize}, timeout {timeout.TotalSeconds:0.#} s)",
                NativeMethods.ttl_store_tcp(hp, port, worldSize, isServer ? 1 : 0, (long)timeout.TotalMilliseconds, out _handle));
        try { AwaitAllRanks(isServer); }
        catch { Dispose(); throw; }
    }

    /// <summary>
    /// c10d's own wait for workers gives up silently at the timeout (the failure then surfaces later,
    /// as a store timeout inside the process group's creation); counting arrivals here names it.
    /// </summary>
    private void AwaitAllRanks(bool isServer)
    {
        long joined = add("ttl/joined", 1);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (joined < WorldSize)
        {
            if (watch.Elapsed > Timeout)
                throw new DistributedException($"rendezvous at {Host}:{Port} failed: {joined} of {WorldSize} ranks joined within {Timeout.TotalSeconds:0.#} s" +
                    (isServer ? "" : " (this rank reached the store host)"));
            Thread.Sleep(20);
            joined = add("ttl/joined", 0);
        }
    }

    /// <summary>A TCP port on 127.0.0.1 that is free now (for a store hosted on loopback: local launchers, tests).</summary>
    public static int FreeLoopbackPort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    internal IntPtr Handle => _handle != IntPtr.Zero ? _handle : throw new ObjectDisposedException(nameof(TcpStore));

    public void set(string key, ReadOnlySpan<byte> value)
    {
        var k = Key(key);
        fixed (byte* kp = k)
        fixed (byte* vp = value)
            Guard($"store set '{key}'", NativeMethods.ttl_store_set(Handle, kp, vp, value.Length));
    }

    public void set(string key, string value) => set(key, Encoding.UTF8.GetBytes(value));

    /// <summary>The value of <paramref name="key"/>, waiting for it up to the store's timeout.</summary>
    public byte[] get(string key)
    {
        var k = Key(key);
        IntPtr data;
        long len;
        fixed (byte* kp = k) Guard($"store get '{key}'", NativeMethods.ttl_store_get(Handle, kp, out data, out len));
        try { return new ReadOnlySpan<byte>((void*)data, checked((int)len)).ToArray(); }
        finally { NativeMethods.ttl_dist_free_bytes(data); }
    }

    public string get_string(string key) => Encoding.UTF8.GetString(get(key));

    /// <summary>Atomically adds <paramref name="delta"/> to the counter <paramref name="key"/> (created at 0); returns the new value.</summary>
    public long add(string key, long delta)
    {
        var k = Key(key);
        long value;
        fixed (byte* kp = k) Guard($"store add '{key}'", NativeMethods.ttl_store_add(Handle, kp, delta, out value));
        return value;
    }

    /// <summary>Whether all the keys exist, without waiting.</summary>
    public bool check(params string[] keys)
    {
        var bytes = keys.Select(Key).ToArray();
        var handles = bytes.Select(b => System.Runtime.InteropServices.GCHandle.Alloc(b, System.Runtime.InteropServices.GCHandleType.Pinned)).ToArray();
        try
        {
            var ptrs = stackalloc byte*[keys.Length];
            for (int i = 0; i < keys.Length; i++) ptrs[i] = (byte*)handles[i].AddrOfPinnedObject();
            Guard("store check", NativeMethods.ttl_store_check(Handle, ptrs, keys.Length, out int present));
            return present != 0;
        }
        finally
        {
            foreach (var h in handles) h.Free();
        }
    }

    private static byte[] Key(string key) => Encoding.UTF8.GetBytes(key + "\0");

    internal static void Guard(string what, int status)
    {
        if (status == 0) return;
        var message = System.Runtime.InteropServices.Marshal.PtrToStringUTF8(NativeMethods.ttl_last_error()) ?? "unknown c10d error";
        throw new DistributedException($"{what} failed: {ProcessGroup.OneLine(message)}");
    }

    public void Dispose()
    {
        if (_handle == IntPtr.Zero) return;
        NativeMethods.ttl_store_free(_handle);
        _handle = IntPtr.Zero;
    }
}
