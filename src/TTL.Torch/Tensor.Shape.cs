using TTL.Torch.Native;

namespace TTL.Torch;

// Views, reshaping, indexing, padding and conversion, named as in PyTorch.
public sealed partial class Tensor
{
    public Tensor view(params long[] shape) => Aten.view.Call(this, shape);
    public Tensor reshape(params long[] shape) => Aten.reshape.Call(this, shape);
    public Tensor permute(params long[] dims) => Aten.permute.Call(this, dims);
    public Tensor transpose(long dim0, long dim1) => Aten.transpose.Call(this, dim0, dim1);
    /// <summary>The transpose of a 2-D tensor.</summary>
    public Tensor T => transpose(0, 1);
    public Tensor squeeze() => Aten.squeeze.Call(this);
    public Tensor squeeze(long dim) => Aten.squeeze_dim.Call(this, dim);
    public Tensor unsqueeze(long dim) => Aten.unsqueeze.Call(this, dim);
    public Tensor flatten(long start_dim = 0, long end_dim = -1) => Aten.flatten.Call(this, start_dim, end_dim);
    public Tensor narrow(long dim, long start, long length) => Aten.narrow.Call(this, dim, start, length);
    /// <summary>Elements start..end (exclusive) with a step along dim; null bounds mean the ends.</summary>
    public Tensor slice(long dim, long? start, long? end, long step = 1) =>
        Aten.slice.Call(this, dim, start is null ? Arg.None : start.Value, end is null ? Arg.None : end.Value, step);
    public Tensor select(long dim, long index) => Aten.select.Call(this, dim, index);
    public Tensor index_select(long dim, Tensor index) => Aten.index_select.Call(this, dim, index);
    /// <summary>Advanced indexing: one index tensor (or null for ':') per leading dimension.</summary>
    public Tensor index(params Tensor?[] indices) => Aten.index.Call(this, Arg.OptionalTensors(indices));
    public Tensor index_put_(Tensor?[] indices, Tensor values, bool accumulate = false)
    {
        Aten.index_put_.CallVoid(this, Arg.OptionalTensors(indices), values, accumulate);
        return this;
    }
    public Tensor gather(long dim, Tensor index) => Aten.gather.Call(this, dim, index);
    public Tensor scatter(long dim, Tensor index, double value) => Aten.scatter_value.Call(this, dim, index, value);
    public Tensor masked_fill(Tensor mask, double value) => Aten.masked_fill.Call(this, mask, value);
    public Tensor masked_select(Tensor mask) => Aten.masked_select.Call(this, mask);
    public Tensor flip(params long[] dims) => Aten.flip.Call(this, dims);
    public Tensor contiguous() => Aten.contiguous.Call(this);
    public Tensor expand(params long[] size) => Aten.expand.Call(this, size);
    public Tensor repeat(params long[] repeats) => Aten.repeat.Call(this, repeats);
    public Tensor[] split(long[] sizes, long dim = 0) => Aten.split_with_sizes.CallMany(this, sizes, dim);
    public Tensor[] chunk(long chunks, long dim = 0) => Aten.chunk.CallMany(this, chunks, dim);
    public Tensor[] unbind(long dim = 0) => Aten.unbind.CallMany(this, dim);

    public Tensor clone() => Aten.clone.Call(this);

    public Tensor to(DType dtype) => Aten.to_dtype.Call(this, dtype);
    public Tensor to(Device device) => Aten.to_dtype_layout.Call(this, Arg.None, Arg.None, device);
    public Tensor to(Device device, DType dtype) => Aten.to_dtype_layout.Call(this, dtype, Arg.None, device);
    public Tensor cpu() => to(Device.CPU);
    public Tensor cuda(int index = -1) => to(Device.CUDA(index));
    public Tensor @float() => to(DType.Float32);
    public Tensor @double() => to(DType.Float64);
    public Tensor @long() => to(DType.Int64);
}
