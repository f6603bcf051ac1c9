using System.IO.Compression;
using System.Numerics;
using TTL.Torch.Serialization.Pickle;

namespace TTL.Torch.Serialization;

/// <summary>
/// Files written by PyTorch's torch.save, read without Python and without running anything:
/// <list type="bullet">
/// <item>the zip format (PyTorch ≥ 1.6): `PREFIX/data.pkl` holds the object, `PREFIX/data/KEY` the
/// raw bytes of each storage (entries stored uncompressed), `PREFIX/byteorder` says "little" when
/// present, `PREFIX/version` the format version;</item>
/// <item>the legacy format (PyTorch &lt; 1.6, e.g. MedicalNet's files): a pickled magic number, the
/// protocol version (1001), a sys_info dict, the main pickle, the pickled list of storage keys, then
/// for each key an 8-byte little-endian element count followed by the raw bytes.</item>
/// </list>
/// Both main pickles refer to storages through persistent ids
/// ('storage', storage_type, key, location, numel[, view_metadata]) and are read by the restricted
/// <see cref="TorchPickleHost"/>. Every declared size is checked against the bytes the file holds
/// before anything is allocated.
/// </summary>
public static class TorchFile
{
    public const string ZipFormat = "pytorch-zip";
    public const string LegacyFormat = "pytorch-legacy";

    /// <summary>0x1950a86a20f9469cfc6c, the first pickle of every legacy file.</summary>
    private static readonly BigInteger LegacyMagic = BigInteger.Parse("119547037146038801333356");
    private const long LegacyProtocolVersion = 1001;

    /// <summary>Reads every tensor (as its own dense record) and every plain value.</summary>
    public static CheckpointContents Read(string path)
    {
        using var parsed = Parse(path);
        var loaded = new Dictionary<TorchStorage, ReadOnlyMemory<byte>>(ReferenceEqualityComparer.Instance);
        var tensors = new List<TensorRecord>(parsed.Tree.Tensors.Count);
        foreach (var (name, t) in parsed.Tree.Tensors)
        {
            var root = t.Storage.Root;
            if (!loaded.TryGetValue(root, out var bytes)) loaded[root] = bytes = parsed.Load(root);
            var data = StridedCopy.Dense(bytes, t.DType.ElementSize(), t.Storage.RootOffset + t.Offset, t.Size, t.Stride);
            tensors.Add(new TensorRecord(name, t.DType, t.Size, data));
        }
        return new CheckpointContents(parsed.Format, tensors, parsed.Tree.Values);
    }

    /// <summary>Names, dtypes, shapes and plain values, with every size checked but no tensor data read.</summary>
    public static CheckpointSummary Inspect(string path)
    {
        using var parsed = Parse(path);
        var tensors = parsed.Tree.Tensors.Select(e => new TensorInfo(e.Name, e.Tensor.DType, e.Tensor.Size)).ToList();
        return new CheckpointSummary(parsed.Format, tensors, parsed.Tree.Values);
    }

    public static bool IsZip(ReadOnlySpan<byte> head) =>
        head.Length >= 4 && head[0] == 'P' && head[1] == 'K' && ((head[2] == 3 && head[3] == 4) || (head[2] == 5 && head[3] == 6));

    /// <summary>PROTO 2 then a 10-byte LONG1: the start of the legacy magic-number pickle (its value is checked when parsing).</summary>
    public static bool IsLegacy(ReadOnlySpan<byte> head) => head.StartsWith((ReadOnlySpan<byte>)[0x80, 0x02, 0x8a, 0x0a]);

    private static Parsed Parse(string path)
    {
        string name = Path.GetFileName(path);
        var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        try
        {
            Span<byte> head = stackalloc byte[14];
            int n = fs.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            fs.Position = 0;
            if (IsZip(head[..n])) return ParseZip(fs, name);
            if (IsLegacy(head[..n])) return ParseLegacy(fs, name);
            throw Bad(name, "not a PyTorch checkpoint (neither a zip archive nor a legacy torch.save file)");
        }
        catch
        {
            fs.Dispose();
            throw;
        }
    }

    private static Parsed ParseZip(FileStream fs, string name)
    {
        ZipArchive zip;
        try { zip = new ZipArchive(fs, ZipArchiveMode.Read, leaveOpen: false); }
        catch (Exception e) when (e is InvalidDataException or IOException or ArgumentException)
        {
            throw Bad(name, "not a readable zip archive (truncated or corrupt): " + e.Message);
        }
        try
        {
            var entries = new Dictionary<string, ZipArchiveEntry>(StringComparer.Ordinal);
            foreach (var e in zip.Entries)
                if (!entries.TryAdd(e.FullName, e)) throw Bad(name, $"zip entry {e.FullName} appears twice");
            var pickles = entries.Keys.Where(k => k.EndsWith("/data.pkl", StringComparison.Ordinal) && k.IndexOf('/') == k.Length - "/data.pkl".Length).ToList();
            if (pickles.Count != 1)
                throw Bad(name, pickles.Count == 0
                    ? "zip archive has no PREFIX/data.pkl; not a torch.save file (TorchScript archives are not checkpoints)"
                    : "zip archive has several PREFIX/data.pkl entries");
            string prefix = pickles[0][..^"data.pkl".Length];
            if (entries.ContainsKey(prefix + "constants.pkl"))
                throw Bad(name, "this is a TorchScript archive (torch.jit.save), not a torch.save checkpoint");
            if (entries.TryGetValue(prefix + "byteorder", out var order))
            {
                string text = System.Text.Encoding.ASCII.GetString(ReadEntry(name, fs, order, Math.Min(order.Length, 16)));
                if (text != "little") throw Bad(name, $"byteorder is '{text}'; only little-endian checkpoints are supported");
            }

            var pkl = entries[pickles[0]];
            if (pkl.Length > Unpickler.MaxPickleBytes) throw Bad(name, $"data.pkl is {pkl.Length} bytes, over the {Unpickler.MaxPickleBytes}-byte limit");
            var pickleBytes = ReadEntry(name, fs, pkl, pkl.Length);

            var storages = new Dictionary<string, (TorchStorage Storage, ZipArchiveEntry Entry)>(StringComparer.Ordinal);
            var host = new TorchPickleHost(name, (key, dtype, numel) =>
            {
                if (storages.TryGetValue(key, out var known)) return Same(name, known.Storage, dtype, numel);
                if (!entries.TryGetValue(prefix + "data/" + key, out var entry))
                    throw Bad(name, $"storage {key} has no zip entry {prefix}data/{key}");
                long bytes = StorageBytes(name, key, dtype, numel);
                if (entry.Length != bytes)
                    throw Bad(name, $"storage {key} declares {numel} {dtype.Name()} elements ({bytes} bytes) but its zip entry holds {entry.Length}");
                var s = new TorchStorage(key, dtype, numel);
                storages[key] = (s, entry);
                return s;
            });
            object? root = new Unpickler(new MemoryStream(pickleBytes, writable: false), name, host).Load();
            var tree = CheckpointTree.Flatten(root, name);
            return new Parsed(ZipFormat, tree, s => ReadEntry(name, fs, storages[s.Key].Entry, s.Numel * s.DType.ElementSize()), zip);
        }
        catch
        {
            zip.Dispose();
            throw;
        }
    }

    /// <summary>An entry's bytes; stored entries only, so the allocation is bounded by the file.</summary>
    private static byte[] ReadEntry(string name, FileStream fs, ZipArchiveEntry entry, long bytes)
    {
        if (entry.CompressedLength != entry.Length || entry.Length > fs.Length)
            throw Bad(name, $"zip entry {entry.FullName} is compressed or larger than the file; torch.save stores entries uncompressed");
        try
        {
            using var s = entry.Open();
            var buffer = new byte[bytes];
            s.ReadExactly(buffer);
            return buffer;
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException or IOException)
        {
            throw Bad(name, $"zip entry {entry.FullName} cannot be read (file truncated or corrupt): {e.Message}");
        }
    }

    private static Parsed ParseLegacy(FileStream fs, string name)
    {
        var plain = new TorchPickleHost(name, null);
        object? magic = new Unpickler(fs, name, plain).Load();
        if (magic is not BigInteger m || m != LegacyMagic) throw Bad(name, "legacy torch.save magic number is wrong");
        object? version = new Unpickler(fs, name, plain).Load();
        if (version is not long v || v != LegacyProtocolVersion) throw Bad(name, $"legacy protocol version {PyRepr.KeySegment(version)}, expected {LegacyProtocolVersion}");
        object? sysInfo = new Unpickler(fs, name, plain).Load();
        if (sysInfo is PyDict info && info.Items.Any(kv => kv.Key is "little_endian" && kv.Value is false))
            throw Bad(name, "written on a big-endian machine; only little-endian checkpoints are supported");

        var storages = new Dictionary<string, TorchStorage>(StringComparer.Ordinal);
        var host = new TorchPickleHost(name, (key, dtype, numel) =>
        {
            if (storages.TryGetValue(key, out var known)) return Same(name, known, dtype, numel);
            StorageBytes(name, key, dtype, numel);
            return storages[key] = new TorchStorage(key, dtype, numel);
        });
        object? root = new Unpickler(fs, name, host).Load();
        object? keys = new Unpickler(fs, name, plain).Load();
        if (keys is not PyList keyList) throw Bad(name, "the list of storage keys is missing after the main pickle");

        // Storages follow in key-list order; record where each one's bytes start.
        var positions = new Dictionary<string, long>(StringComparer.Ordinal);
        Span<byte> count = stackalloc byte[8];
        foreach (var item in keyList.Items)
        {
            if (item is not string key || !storages.TryGetValue(key, out var s))
                throw Bad(name, $"storage list names {PyRepr.KeySegment(item)}, which no tensor uses");
            if (positions.ContainsKey(key)) throw Bad(name, $"storage {key} is listed twice");
            if (fs.Length - fs.Position < 8) throw Bad(name, $"file cut short: storage {key} has no size record");
            fs.ReadExactly(count);
            long stored = System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(count);
            if (stored != s.Numel) throw Bad(name, $"storage {key} records {stored} elements, the pickle declared {s.Numel}");
            long bytes = s.Numel * s.DType.ElementSize();
            long left = fs.Length - fs.Position;
            if (bytes > left) throw Bad(name, $"file cut short: storage {key} needs {bytes} bytes, {left} remain");
            positions[key] = fs.Position;
            fs.Seek(bytes, SeekOrigin.Current);
        }
        foreach (var key in storages.Keys)
            if (!positions.ContainsKey(key)) throw Bad(name, $"storage {key} is used by a tensor but has no data");

        var tree = CheckpointTree.Flatten(root, name);
        return new Parsed(LegacyFormat, tree, s =>
        {
            var buffer = new byte[s.Numel * s.DType.ElementSize()];
            fs.Position = positions[s.Key];
            fs.ReadExactly(buffer);
            return buffer;
        }, fs);
    }

    private static TorchStorage Same(string name, TorchStorage known, DType dtype, long numel) =>
        known.DType == dtype && known.Numel == numel
            ? known
            : throw Bad(name, $"storage {known.Key} is declared both as {known.Numel} {known.DType.Name()} and {numel} {dtype.Name()} elements");

    private static long StorageBytes(string name, string key, DType dtype, long numel)
    {
        try { return checked(numel * dtype.ElementSize()); }
        catch (OverflowException) { throw Bad(name, $"storage {key} declares {numel} elements, which overflows"); }
    }

    private static InvalidDataException Bad(string file, string message) => new($"{file}: {message}");

    /// <summary>A parsed file: the flattened tree, and the bytes of a root storage on demand.</summary>
    private sealed class Parsed(string format, CheckpointTree tree, Func<TorchStorage, byte[]> load, IDisposable owner) : IDisposable
    {
        public string Format { get; } = format;
        public CheckpointTree Tree { get; } = tree;
        public ReadOnlyMemory<byte> Load(TorchStorage root) => load(root);
        public void Dispose() => owner.Dispose();
    }
}
