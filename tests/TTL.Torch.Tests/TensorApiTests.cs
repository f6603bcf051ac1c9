namespace TTL.Torch.Tests;

/// <summary>Creation, shape, indexing, reduction and runtime APIs on small hand-checked cases.</summary>
public class TensorApiTests
{
    private static float[] F(Tensor t) => t.to(DType.Float32).data<float>();

    [Fact]
    public void CreationFunctionsGiveRequestedShapeDtypeAndValues()
    {
        using var z = torch.zeros([2, 3], DType.Float64);
        Assert.Equal(DType.Float64, z.dtype);
        Assert.All(z.data<double>(), v => Assert.Equal(0.0, v));
        using var f = torch.full([4], 2.5);
        Assert.All(f.data<float>(), v => Assert.Equal(2.5f, v));
        using var a = torch.arange(2, 11, 3);
        Assert.Equal(new long[] { 2, 5, 8 }, a.data<long>());
        using var l = torch.linspace(0, 1, 5);
        Assert.Equal(new float[] { 0, 0.25f, 0.5f, 0.75f, 1 }, l.data<float>());
        using var r = torch.randint(3, 7, [1000]);
        var rv = r.data<long>();
        Assert.InRange(rv.Min(), 3, 6);
        Assert.InRange(rv.Max(), 3, 6);
        using var u = torch.rand(10000);
        Assert.InRange(u.mean().item<double>(), 0.47, 0.53);
        using var n = torch.randn([20000], DType.Float64);
        Assert.InRange(n.std().item<double>(), 0.97, 1.03);
        using var e = torch.empty([3, 0]);
        Assert.Equal(0, e.numel());
        using var s = torch.scalar_tensor(4);
        Assert.Equal(0, s.dim());
        Assert.Equal(4f, s.item<float>());
    }

    [Fact]
    public void ManualSeedMakesRandomNumbersReproducible()
    {
        torch.manual_seed(42);
        using var a = torch.randn(5);
        torch.manual_seed(42);
        using var b = torch.randn(5);
        Assert.Equal(a.data<float>(), b.data<float>());
    }

    [Fact]
    public void EveryDtypeRoundTripsThroughArrays()
    {
        using var i8 = torch.tensor(new sbyte[] { -3, 4 });
        Assert.Equal(DType.Int8, i8.dtype);
        using var u8 = torch.tensor(new byte[] { 200, 4 });
        Assert.Equal(new byte[] { 200, 4 }, u8.data<byte>());
        using var i32 = torch.tensor(new[] { -7, 9 });
        Assert.Equal(new[] { -7, 9 }, i32.data<int>());
        using var bo = torch.tensor(new[] { true, false });
        Assert.Equal(DType.Bool, bo.dtype);
        Assert.Equal(new[] { true, false }, bo.data<bool>());
        using var h = torch.tensor(new float[] { 1.5f, -2 }).to(DType.Float16);
        Assert.Equal(new[] { (Half)1.5f, (Half)(-2f) }, h.data<Half>());
        using var bf = torch.tensor(new float[] { 1.5f, -2 }).to(DType.BFloat16);
        Assert.Equal(DType.BFloat16, bf.dtype);
        Assert.Equal(new float[] { 1.5f, -2 }, F(bf));
        Assert.Throws<TorchException>(() => bf.data<float>());
    }

    [Fact]
    public void ShapeOperationsMatchPyTorch()
    {
        using var t = torch.arange(0, 24, 1, DType.Float32).view(2, 3, 4);
        using var p = t.permute(2, 0, 1);
        Assert.Equal(new long[] { 4, 2, 3 }, p.shape);
        Assert.Equal(new float[] { 0, 4, 8, 12, 16, 20 }, F(p.select(0, 0)));
        using var u = t.unsqueeze(1);
        Assert.Equal(new long[] { 2, 1, 3, 4 }, u.shape);
        using var sq = u.squeeze(1);
        Assert.Equal(new long[] { 2, 3, 4 }, sq.shape);
        using var fl = t.flatten(1);
        Assert.Equal(new long[] { 2, 12 }, fl.shape);
        using var c = torch.cat([t, t], 2);
        Assert.Equal(new long[] { 2, 3, 8 }, c.shape);
        using var st = torch.stack([t, t], 0);
        Assert.Equal(new long[] { 2, 2, 3, 4 }, st.shape);
        using var nr = t.narrow(2, 1, 2);
        Assert.Equal(new float[] { 1, 2, 5, 6, 9, 10, 13, 14, 17, 18, 21, 22 }, F(nr));
        using var sl = t.slice(2, 0, null, 2);
        Assert.Equal(new float[] { 0, 2, 4, 6 }, F(sl).Take(4));
        using var idx = torch.tensor(new long[] { 2, 0 });
        using var isel = t.index_select(1, idx);
        Assert.Equal(new float[] { 8, 9, 10, 11, 0, 1, 2, 3 }, F(isel).Take(8));
        using var fp = t.flip(2);
        Assert.Equal(new float[] { 3, 2, 1, 0 }, F(fp).Take(4));
        using var ex = torch.tensor(new float[] { 1, 2 }).view(2, 1).expand(2, 3);
        Assert.Equal(new float[] { 1, 1, 1, 2, 2, 2 }, F(ex));
        using var rp = torch.tensor(new float[] { 1, 2 }).repeat(3);
        Assert.Equal(new float[] { 1, 2, 1, 2, 1, 2 }, F(rp));
        using var pd = torch.nn.functional.pad(torch.ones(1, 2), [1, 2], value: 9);
        Assert.Equal(new float[] { 9, 1, 1, 9, 9 }, F(pd));
        var parts = t.split([1, 2], 1);
        Assert.Equal(new long[] { 2, 2, 4 }, parts[1].shape);
        foreach (var part in parts) part.Dispose();
        using var mask = t.gt(20.0);
        using var filled = t.masked_fill(mask, -1);
        Assert.Equal(new float[] { 20, -1, -1, -1 }, F(filled).Skip(20));
        using var byIndex = t.index(null, idx);
        Assert.Equal(new long[] { 2, 2, 4 }, byIndex.shape);
    }

    [Fact]
    public void ReductionsWithDimsAndKeepdim()
    {
        using var t = torch.tensor(new float[] { 1, 5, 3, 4, 2, 6 }, 2, 3);
        using var s = t.sum(1, keepdim: true);
        Assert.Equal(new long[] { 2, 1 }, s.shape);
        Assert.Equal(new float[] { 9, 12 }, F(s));
        using var m = t.mean(0);
        Assert.Equal(new float[] { 2.5f, 3.5f, 4.5f }, F(m));
        var (vals, inds) = t.max(1);
        Assert.Equal(new float[] { 5, 6 }, F(vals));
        Assert.Equal(new long[] { 1, 2 }, inds.data<long>());
        vals.Dispose(); inds.Dispose();
        using var am = t.argmin(1);
        Assert.Equal(new long[] { 0, 1 }, am.data<long>());
        var (tv, ti) = t.flatten().topk(2);
        Assert.Equal(new float[] { 6, 5 }, F(tv));
        Assert.Equal(new long[] { 5, 1 }, ti.data<long>());
        tv.Dispose(); ti.Dispose();
        using var v = t.var([1], unbiased: false);
        Assert.Equal(8f / 3f, F(v)[0], 5);
        using var w = torch.where(t.gt(2.5), t, torch.zeros_like(t));
        Assert.Equal(new float[] { 0, 5, 3, 4, 0, 6 }, F(w));
        using var mm = t.mm(t.T);
        Assert.Equal(new float[] { 35, 32, 32, 56 }, F(mm));
    }

    [Fact]
    public void AutogradGradAndGradModeScopes()
    {
        using var x = torch.tensor(new double[] { 1, 2 }).requires_grad_();
        using var y = (x * x * x).sum();
        var g = torch.autograd.grad([y], [x]);
        Assert.Equal(new double[] { 3, 12 }, g[0]!.data<double>());
        g[0]!.Dispose();
        Assert.True(torch.is_grad_enabled());
        using (torch.set_grad_enabled(false))
        {
            Assert.False(torch.is_grad_enabled());
            using (torch.enable_grad()) Assert.True(torch.is_grad_enabled());
            Assert.False(torch.is_grad_enabled());
        }
        Assert.True(torch.is_grad_enabled());
        using var d = x.detach();
        Assert.False(d.requires_grad);
        using var back = torch.ones([2], DType.Float64);
        using var z = x * 3.0;
        z.backward(back);
        Assert.Equal(new double[] { 3, 3 }, x.grad!.data<double>());
    }

    [Fact]
    public void ThreadsAndCudaQueriesWorkOnACpuHost()
    {
        int before = torch.get_num_threads();
        torch.set_num_threads(2);
        Assert.Equal(2, torch.get_num_threads());
        torch.set_num_threads(before);
        Assert.Equal(torch.cuda.device_count() > 0, torch.cuda.is_available());
        Assert.Matches(@"^\d+\.\d+", torch.version);
    }

    [Fact]
    public void UseAfterDisposeThrowsInsteadOfCrashing()
    {
        var t = torch.ones(3);
        t.Dispose();
        Assert.Throws<ObjectDisposedException>(() => t.sum());
        t.Dispose();
    }

    [Fact]
    public void ErrorsCarryLibtorchMessages()
    {
        using var a = torch.ones(2, 3);
        using var b = torch.ones(4, 5);
        var ex = Assert.Throws<TorchException>(() => a.mm(b));
        Assert.Contains("2x3", ex.Message);
        Assert.Throws<TorchException>(() => a.view(7));
    }
}
