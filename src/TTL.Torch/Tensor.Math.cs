using TTL.Torch.Native;

namespace TTL.Torch;

// Elementwise arithmetic, comparisons, logic, reductions and linear algebra, named as in PyTorch.
public sealed partial class Tensor
{
    // ---- operators --------------------------------------------------------------------------

    // Arithmetic operators go through the shim's typed fast path (ttl_binary), not a boxed call.
    private enum BinaryOp { Add = 0, Sub = 1, Mul = 2, Div = 3 }

    private static Tensor Binary(BinaryOp op, Tensor a, Tensor b, double alpha = 1)
    {
        NativeMethods.Check(NativeMethods.ttl_binary((int)op, a.Handle, b.Handle, alpha, out var r));
        GC.KeepAlive(a);
        GC.KeepAlive(b);
        return new Tensor(r);
    }

    private static Tensor Binary(BinaryOp op, Tensor a, double value, bool integral)
    {
        NativeMethods.Check(NativeMethods.ttl_binary_scalar((int)op, a.Handle, value, integral ? 1 : 0, out var r));
        GC.KeepAlive(a);
        return new Tensor(r);
    }

    public static Tensor operator +(Tensor a, Tensor b) => Binary(BinaryOp.Add, a, b);
    public static Tensor operator +(Tensor a, double b) => Binary(BinaryOp.Add, a, b, false);
    public static Tensor operator +(double a, Tensor b) => Binary(BinaryOp.Add, b, a, false);
    public static Tensor operator +(Tensor a, long b) => Binary(BinaryOp.Add, a, b, true);
    public static Tensor operator -(Tensor a, Tensor b) => Binary(BinaryOp.Sub, a, b);
    public static Tensor operator -(Tensor a, double b) => Binary(BinaryOp.Sub, a, b, false);
    public static Tensor operator -(double a, Tensor b) => Aten.rsub_s.Call(b, a);
    public static Tensor operator -(Tensor a, long b) => Binary(BinaryOp.Sub, a, b, true);
    public static Tensor operator -(Tensor a) => Aten.neg.Call(a);
    public static Tensor operator *(Tensor a, Tensor b) => Binary(BinaryOp.Mul, a, b);
    public static Tensor operator *(Tensor a, double b) => Binary(BinaryOp.Mul, a, b, false);
    public static Tensor operator *(double a, Tensor b) => Binary(BinaryOp.Mul, b, a, false);
    public static Tensor operator *(Tensor a, long b) => Binary(BinaryOp.Mul, a, b, true);
    public static Tensor operator /(Tensor a, Tensor b) => Binary(BinaryOp.Div, a, b);
    public static Tensor operator /(Tensor a, double b) => Binary(BinaryOp.Div, a, b, false);
    public static Tensor operator /(double a, Tensor b) { using var r = Aten.reciprocal.Call(b); return Binary(BinaryOp.Mul, r, a, false); }
    public static Tensor operator %(Tensor a, double b) => Aten.remainder_s.Call(a, b);
    public static Tensor operator !(Tensor a) => Aten.logical_not.Call(a);
    public static Tensor operator &(Tensor a, Tensor b) => Aten.logical_and.Call(a, b);
    public static Tensor operator |(Tensor a, Tensor b) => Aten.logical_or.Call(a, b);
    public static Tensor operator ^(Tensor a, Tensor b) => Aten.logical_xor.Call(a, b);

    public Tensor add(Tensor other, double alpha = 1) => Binary(BinaryOp.Add, this, other, alpha);
    public Tensor sub(Tensor other, double alpha = 1) => Binary(BinaryOp.Sub, this, other, alpha);
    public Tensor mul(Tensor other) => Binary(BinaryOp.Mul, this, other);
    public Tensor div(Tensor other) => Binary(BinaryOp.Div, this, other);
    /// <summary>Division with rounding: "trunc" or "floor".</summary>
    public Tensor div(Tensor other, string rounding_mode) => Aten.div_mode.Call(this, other, rounding_mode);
    public Tensor pow(Tensor exponent) => Aten.pow_tt.Call(this, exponent);
    public Tensor pow(double exponent) => Aten.pow_ts.Call(this, exponent);

    // ---- in place (used by optimizers and initialisers) ----------------------------------

    public Tensor add_(Tensor other, double alpha = 1) { Aten.add_.CallVoid(this, other, alpha); return this; }
    public Tensor add_(double other) { Aten.add_s_.CallVoid(this, other); return this; }
    public Tensor sub_(Tensor other, double alpha = 1) { Aten.sub_.CallVoid(this, other, alpha); return this; }
    public Tensor mul_(Tensor other) { Aten.mul_.CallVoid(this, other); return this; }
    public Tensor mul_(double other) { Aten.mul_s_.CallVoid(this, other); return this; }
    public Tensor div_(Tensor other) { Aten.div_.CallVoid(this, other); return this; }
    public Tensor div_(double other) { Aten.div_s_.CallVoid(this, other); return this; }
    public Tensor addcmul_(Tensor t1, Tensor t2, double value = 1) { Aten.addcmul_.CallVoid(this, t1, t2, value); return this; }
    public Tensor addcdiv_(Tensor t1, Tensor t2, double value = 1) { Aten.addcdiv_.CallVoid(this, t1, t2, value); return this; }
    public Tensor lerp_(Tensor end, double weight) { Aten.lerp_s_.CallVoid(this, end, weight); return this; }
    public Tensor clamp_(double? min = null, double? max = null) { Aten.clamp_.CallVoid(this, Opt(min), Opt(max)); return this; }
    public Tensor sqrt_() { Aten.sqrt_.CallVoid(this); return this; }
    public Tensor zero_() { Aten.zero_.CallVoid(this); return this; }
    public Tensor fill_(double value) { Aten.fill_.CallVoid(this, value); return this; }
    public Tensor copy_(Tensor src) { Aten.copy_.CallVoid(this, src); return this; }
    public Tensor normal_(double mean = 0, double std = 1) { Aten.normal_.CallVoid(this, mean, std); return this; }
    public Tensor uniform_(double from = 0, double to = 1) { Aten.uniform_.CallVoid(this, from, to); return this; }
    public Tensor relu_() { Aten.relu_.CallVoid(this); return this; }

    // ---- unary ----------------------------------------------------------------------------

    public Tensor exp() => Aten.exp.Call(this);
    public Tensor log() => Aten.log.Call(this);
    public Tensor log1p() => Aten.log1p.Call(this);
    public Tensor sqrt() => Aten.sqrt.Call(this);
    public Tensor rsqrt() => Aten.rsqrt.Call(this);
    public Tensor abs() => Aten.abs.Call(this);
    public Tensor neg() => Aten.neg.Call(this);
    public Tensor sign() => Aten.sign.Call(this);
    public Tensor floor() => Aten.floor.Call(this);
    public Tensor ceil() => Aten.ceil.Call(this);
    public Tensor round() => Aten.round.Call(this);
    public Tensor sin() => Aten.sin.Call(this);
    public Tensor cos() => Aten.cos.Call(this);
    public Tensor reciprocal() => Aten.reciprocal.Call(this);
    public Tensor sigmoid() => Aten.sigmoid.Call(this);
    public Tensor tanh() => Aten.tanh.Call(this);
    public Tensor relu() => Aten.relu.Call(this);
    public Tensor isnan() => Aten.isnan.Call(this);
    public Tensor isfinite() => Aten.isfinite.Call(this);
    public Tensor clamp(double? min = null, double? max = null) => Aten.clamp.Call(this, Opt(min), Opt(max));
    public Tensor clamp(Tensor? min, Tensor? max) => Aten.clamp_t.Call(this, min, max);
    public Tensor maximum(Tensor other) => Aten.maximum.Call(this, other);
    public Tensor minimum(Tensor other) => Aten.minimum.Call(this, other);

    private static Arg Opt(double? v) => v is null ? Arg.None : (Arg)v.Value;

    // ---- comparison and logic --------------------------------------------------------------

    public Tensor eq(Tensor other) => Aten.eq.Call(this, other);
    public Tensor eq(double other) => Aten.eq_s.Call(this, other);
    public Tensor ne(Tensor other) => Aten.ne.Call(this, other);
    public Tensor ne(double other) => Aten.ne_s.Call(this, other);
    public Tensor lt(Tensor other) => Aten.lt.Call(this, other);
    public Tensor lt(double other) => Aten.lt_s.Call(this, other);
    public Tensor le(Tensor other) => Aten.le.Call(this, other);
    public Tensor le(double other) => Aten.le_s.Call(this, other);
    public Tensor gt(Tensor other) => Aten.gt.Call(this, other);
    public Tensor gt(double other) => Aten.gt_s.Call(this, other);
    public Tensor ge(Tensor other) => Aten.ge.Call(this, other);
    public Tensor ge(double other) => Aten.ge_s.Call(this, other);
    public Tensor logical_and(Tensor other) => Aten.logical_and.Call(this, other);
    public Tensor logical_or(Tensor other) => Aten.logical_or.Call(this, other);
    public Tensor logical_xor(Tensor other) => Aten.logical_xor.Call(this, other);
    public Tensor logical_not() => Aten.logical_not.Call(this);
    public bool allclose(Tensor other, double rtol = 1e-5, double atol = 1e-8, bool equal_nan = false) =>
        Aten.allclose.CallScalar(this, other, rtol, atol, equal_nan) != 0;
    public bool equal(Tensor other) => Aten.equal.CallScalar(this, other) != 0;
    public Tensor any() => Aten.any.Call(this);
    public Tensor all() => Aten.all.Call(this);

    // ---- reductions -----------------------------------------------------------------------

    // No bare-dtype overloads: a literal 0 converts to any enum and would pick them over a dim.
    public Tensor sum() => Aten.sum.Call(this);
    public Tensor sum(long[] dim, bool keepdim = false, DType? dtype = null) => Aten.sum_dim.Call(this, dim, keepdim, dtype);
    public Tensor sum(long dim, bool keepdim = false) => sum([dim], keepdim);
    public Tensor mean() => Aten.mean.Call(this);
    public Tensor mean(long[] dim, bool keepdim = false, DType? dtype = null) => Aten.mean_dim.Call(this, dim, keepdim, dtype);
    public Tensor mean(long dim, bool keepdim = false) => mean([dim], keepdim);
    /// <summary>Variance over all elements or the given dims; unbiased (n - 1) by default like PyTorch.</summary>
    public Tensor var(long[]? dim = null, bool unbiased = true, bool keepdim = false) => Aten.var_dim.Call(this, dim, unbiased, keepdim);
    public Tensor std(long[]? dim = null, bool unbiased = true, bool keepdim = false) => Aten.std_dim.Call(this, dim, unbiased, keepdim);
    public Tensor max() => Aten.max.Call(this);
    public (Tensor values, Tensor indices) max(long dim, bool keepdim = false) => Pair(Aten.max_dim.CallMany(this, dim, keepdim));
    public Tensor min() => Aten.min.Call(this);
    public (Tensor values, Tensor indices) min(long dim, bool keepdim = false) => Pair(Aten.min_dim.CallMany(this, dim, keepdim));
    public Tensor argmax(long? dim = null, bool keepdim = false) => Aten.argmax.Call(this, dim is null ? Arg.None : dim.Value, keepdim);
    public Tensor argmin(long? dim = null, bool keepdim = false) => Aten.argmin.Call(this, dim is null ? Arg.None : dim.Value, keepdim);
    public (Tensor values, Tensor indices) topk(long k, long dim = -1, bool largest = true, bool sorted = true) =>
        Pair(Aten.topk.CallMany(this, k, dim, largest, sorted));
    public (Tensor values, Tensor indices) sort(long dim = -1, bool descending = false) => Pair(Aten.sort.CallMany(this, dim, descending));
    public Tensor cumsum(long dim) => Aten.cumsum.Call(this, dim);
    /// <summary>The p-norm of all elements (or along dims).</summary>
    public Tensor norm(double p = 2, long[]? dim = null, bool keepdim = false) => Aten.norm.Call(this, p, dim, keepdim);

    private static (Tensor, Tensor) Pair(Tensor[] r) => (r[0], r[1]);

    // ---- linear algebra -------------------------------------------------------------------

    public Tensor matmul(Tensor other) => Aten.matmul.Call(this, other);
    public Tensor mm(Tensor other) => Aten.mm.Call(this, other);
    public Tensor bmm(Tensor other) => Aten.bmm.Call(this, other);
}
