using System.Diagnostics;

namespace TTL.Training.Data;

/// <summary>
/// Produces an epoch's items on background worker threads with a bounded prefetch window and
/// hands them to the training thread in order. Item k of an epoch is made by
/// <c>produce(k)</c>, which must depend only on k (seeds derived from the epoch and k), so the
/// sequence is the same for any number of workers. With zero workers items are made inline.
/// <see cref="WaitTime"/> accumulates how long the consumer waited for data.
/// </summary>
public sealed class DataLoader<T>
{
    private readonly int _workers;
    private readonly int _prefetch;

    public DataLoader(int workers, int prefetch)
    {
        _workers = workers;
        _prefetch = Math.Max(1, prefetch);
    }

    public TimeSpan WaitTime { get; private set; }

    public IEnumerable<T> Run(int count, Func<int, T> produce)
    {
        if (_workers == 0)
        {
            for (int k = 0; k < count; k++)
            {
                long t0 = Stopwatch.GetTimestamp();
                var item = produce(k);
                WaitTime += Stopwatch.GetElapsedTime(t0);
                yield return item;
            }
            yield break;
        }

        var slots = new Slot[count];
        for (int k = 0; k < count; k++) slots[k] = new Slot();
        using var window = new SemaphoreSlim(_prefetch);
        using var cancel = new CancellationTokenSource();
        int next = -1;
        var threads = new Thread[Math.Min(_workers, Math.Max(1, count))];
        for (int w = 0; w < threads.Length; w++)
        {
            threads[w] = new Thread(() =>
            {
                try
                {
                    while (true)
                    {
                        window.Wait(cancel.Token);
                        int k = Interlocked.Increment(ref next);
                        if (k >= count) return;
                        try { slots[k].Value = produce(k); }
                        catch (Exception e) { slots[k].Error = e; }
                        slots[k].Ready.Set();
                    }
                }
                catch (OperationCanceledException) { }
            }) { IsBackground = true, Name = $"ttl-loader-{w}" };
            threads[w].Start();
        }
        try
        {
            for (int k = 0; k < count; k++)
            {
                long t0 = Stopwatch.GetTimestamp();
                slots[k].Ready.Wait();
                WaitTime += Stopwatch.GetElapsedTime(t0);
                var slot = slots[k];
                slots[k] = null!;
                window.Release();
                if (slot.Error is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(slot.Error).Throw();
                yield return slot.Value!;
                slot.Ready.Dispose();
            }
        }
        finally
        {
            cancel.Cancel();
            // Wake workers blocked on the window so they see the cancellation and exit.
            window.Release(threads.Length);
            foreach (var t in threads) t.Join();
        }
    }

    private sealed class Slot
    {
        public readonly ManualResetEventSlim Ready = new(false);
        public T? Value;
        public Exception? Error;
    }
}
