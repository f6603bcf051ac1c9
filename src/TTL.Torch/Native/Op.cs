using System.Runtime.InteropServices;
using System.Text;

namespace TTL.Torch.Native;

/// <summary>
/// An ATen operator called through the dispatcher by name (a boxed call). The handle is looked up
/// once; arguments not given take the schema's defaults. Autograd sees these calls like typed ones.
/// </summary>
internal sealed unsafe class Op
{
    private const int MaxOutputs = 8;

    private readonly string _name;
    private readonly string _overload;
    private IntPtr _handle;

    public Op(string name, string overload = "")
    {
        _name = name;
        _overload = overload;
    }

    public override string ToString() => _overload.Length == 0 ? _name : $"{_name}.{_overload}";

    private IntPtr Handle
    {
        get
        {
            if (_handle != IntPtr.Zero) return _handle;
            NativeMethods.EnsureLoaded();
            var name = Encoding.UTF8.GetBytes(_name + "\0");
            var overload = Encoding.UTF8.GetBytes(_overload + "\0");
            fixed (byte* n = name, o = overload)
                NativeMethods.Check(NativeMethods.ttl_op_find(n, o, out _handle));
            return _handle;
        }
    }

    /// <summary>The operator's schema as libtorch prints it (for error messages and docs).</summary>
    public string Schema
    {
        get
        {
            var buf = new byte[4096];
            fixed (byte* b = buf) NativeMethods.Check(NativeMethods.ttl_op_schema(Handle, b, buf.Length));
            return Encoding.UTF8.GetString(buf, 0, Array.IndexOf(buf, (byte)0));
        }
    }

    /// <summary>Calls an operator that returns one tensor.</summary>
    public Tensor Call(params ReadOnlySpan<Arg> args)
    {
        Span<Value> outs = stackalloc Value[MaxOutputs];
        int n = Invoke(args, outs);
        if (n != 1 || outs[0].Tag != Tag.Tensor)
        {
            Release(outs[..n]);
            throw new TorchException($"{this}: expected one tensor result, got {n} values");
        }
        return new Tensor(outs[0].P);
    }

    /// <summary>Calls an operator that returns several tensors (a tuple) or a tensor list.</summary>
    public Tensor[] CallMany(params ReadOnlySpan<Arg> args)
    {
        Span<Value> outs = stackalloc Value[MaxOutputs];
        int n = Invoke(args, outs);
        if (n == 1 && outs[0].Tag == Tag.TensorList)
        {
            var handles = (IntPtr*)outs[0].P;
            var list = new Tensor[outs[0].Length];
            for (int k = 0; k < list.Length; k++) list[k] = new Tensor(handles[k]);
            NativeMethods.ttl_free_array(outs[0].P, (int)Tag.TensorList);
            return list;
        }
        var result = new Tensor[n];
        for (int k = 0; k < n; k++)
        {
            if (outs[k].Tag != Tag.Tensor)
            {
                for (int j = 0; j < k; j++) result[j].Dispose();
                Release(outs[k..n]);
                throw new TorchException($"{this}: result {k} is not a tensor");
            }
            result[k] = new Tensor(outs[k].P);
        }
        return result;
    }

    /// <summary>Calls an operator that returns a scalar (int, float or bool), as a double.</summary>
    public double CallScalar(params ReadOnlySpan<Arg> args)
    {
        Span<Value> outs = stackalloc Value[MaxOutputs];
        int n = Invoke(args, outs);
        if (n != 1) { Release(outs[..n]); throw new TorchException($"{this}: expected one scalar result, got {n} values"); }
        return outs[0].Tag switch
        {
            Tag.Int or Tag.Bool => outs[0].I,
            Tag.Double => outs[0].D,
            _ => throw Fail(outs[..1], "a scalar"),
        };
    }

    /// <summary>Calls an operator whose result is ignored (in-place operators return self).</summary>
    public void CallVoid(params ReadOnlySpan<Arg> args)
    {
        Span<Value> outs = stackalloc Value[MaxOutputs];
        int n = Invoke(args, outs);
        Release(outs[..n]);
    }

    private TorchException Fail(Span<Value> outs, string what)
    {
        Release(outs);
        return new TorchException($"{this}: result is not {what}");
    }

    private static void Release(Span<Value> values)
    {
        foreach (ref var v in values)
        {
            if (v.Tag == Tag.Tensor) NativeMethods.ttl_tensor_free(v.P);
            else if (v.Tag is Tag.TensorList)
            {
                var handles = (IntPtr*)v.P;
                for (int k = 0; k < v.Length; k++) NativeMethods.ttl_tensor_free(handles[k]);
                NativeMethods.ttl_free_array(v.P, (int)v.Tag);
            }
            else if (v.Tag is Tag.IntList) NativeMethods.ttl_free_array(v.P, (int)v.Tag);
        }
    }

    private int Invoke(ReadOnlySpan<Arg> args, Span<Value> outs)
    {
        IntPtr handle = Handle;
        Span<Value> values = stackalloc Value[args.Length];
        // Pins for list arguments; most calls have none, so no allocation on the common path.
        GCHandle[]? pins = null;
        int pinCount = 0;
        try
        {
            for (int k = 0; k < args.Length; k++)
            {
                ref readonly var a = ref args[k];
                ref var v = ref values[k];
                v.Tag = a.Tag;
                switch (a.Tag)
                {
                    case Tag.Tensor:
                        v.P = ((Tensor)a.Obj!).Handle;
                        break;
                    case Tag.Int:
                    case Tag.Bool:
                        v.I = a.I;
                        break;
                    case Tag.Double:
                        v.D = a.D;
                        break;
                    case Tag.Device:
                        v.I = a.I;
                        v.Length = (int)a.D;
                        break;
                    case Tag.IntList:
                    case Tag.DoubleList:
                    case Tag.BoolList:
                    {
                        var arr = (Array)a.Obj!;
                        object pinned = a.Tag == Tag.BoolList ? ToBytes((bool[])arr) : arr;
                        v.P = Pin(pinned, ref pins, ref pinCount);
                        v.Length = arr.Length;
                        break;
                    }
                    case Tag.TensorList:
                    case Tag.OptionalTensorList:
                    {
                        var tensors = (Tensor?[])a.Obj!;
                        var ptrs = new IntPtr[tensors.Length];
                        for (int j = 0; j < tensors.Length; j++) ptrs[j] = tensors[j]?.Handle ?? IntPtr.Zero;
                        v.P = Pin(ptrs, ref pins, ref pinCount);
                        v.Length = tensors.Length;
                        break;
                    }
                    case Tag.String:
                        v.P = Pin(Encoding.UTF8.GetBytes((string)a.Obj! + "\0"), ref pins, ref pinCount);
                        break;
                }
            }
            int n;
            fixed (Value* pa = values)
            fixed (Value* po = outs)
                NativeMethods.Check(NativeMethods.ttl_op_call(handle, pa, args.Length, po, outs.Length, out n));
            return n;
        }
        finally
        {
            for (int k = 0; k < pinCount; k++) pins![k].Free();
            // Tensors referenced only from args must outlive the native call.
            foreach (ref readonly var a in args) GC.KeepAlive(a.Obj);
        }
    }

    private static byte[] ToBytes(bool[] b)
    {
        var r = new byte[b.Length];
        for (int k = 0; k < b.Length; k++) r[k] = b[k] ? (byte)1 : (byte)0;
        return r;
    }

    private static IntPtr Pin(object array, ref GCHandle[]? pins, ref int count)
    {
        pins ??= new GCHandle[4];
        if (count == pins.Length) Array.Resize(ref pins, count * 2);
        pins[count] = GCHandle.Alloc(array, GCHandleType.Pinned);
        return pins[count++].AddrOfPinnedObject();
    }
}
