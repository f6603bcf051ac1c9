using TTL.Torch.Serialization;

namespace TTL.Torch;

/// <summary>Conversions between tensors and the file-format records of TTL.Torch.Serialization.</summary>
public static class TensorRecords
{
    /// <summary>The tensor's elements (copied to the CPU, dense row-major) as a named record.</summary>
    public static TensorRecord ToRecord(this Tensor t, string name) => new(name, t.dtype, t.shape, t.bytes());

    /// <summary>A new CPU tensor holding a copy of the record's data.</summary>
    public static Tensor ToTensor(this TensorRecord r) => torch.FromBytes(r.Data.Span, r.DType, r.Shape);

    /// <summary>Writes named tensors to a safetensors file (atomically).</summary>
    public static void SaveSafetensors(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors,
        IReadOnlyDictionary<string, string>? metadata = null) =>
        Safetensors.Write(path, tensors.Select(kv => kv.Value.ToRecord(kv.Key)), metadata);

    /// <summary>Reads every tensor of a safetensors file; the caller disposes them.</summary>
    public static Dictionary<string, Tensor> LoadSafetensors(string path) =>
        Safetensors.Read(path).Tensors.ToDictionary(r => r.Name, r => r.ToTensor());
}
