using TTL.Torch;

namespace TTL.Torch.Tests;

public class TensorBasicsTests
{
    [Fact]
    public void FromArrayAndBackRoundTripsValuesAndShape()
    {
        var data = new float[] { 1, 2, 3, 4, 5, 6 };
        using var t = torch.tensor(data, 2, 3);
        Assert.Equal(new long[] { 2, 3 }, t.shape);
        Assert.Equal(DType.Float32, t.dtype);
        Assert.Equal(data, t.data<float>());
    }

    [Fact]
    public void ArithmeticFollowsPyTorchSemantics()
    {
        using var a = torch.tensor(new float[] { 1, 2, 3 });
        using var b = torch.tensor(new float[] { 4, 5, 6 });
        using var c = a * b + 1.0;
        Assert.Equal(new float[] { 5, 11, 19 }, c.data<float>());
        using var s = c.sum();
        Assert.Equal(35f, s.item<float>());
        using var i = torch.tensor(new long[] { 7, 8 });
        using var j = i + 2L;
        Assert.Equal(DType.Int64, j.dtype);
        using var k = i / 2.0;
        Assert.Equal(DType.Float32, k.dtype);
    }

    [Fact]
    public void TransposedViewCopiesOutDense()
    {
        using var t = torch.arange(0, 6, 1, DType.Float32).view(2, 3);
        using var tt = t.transpose(0, 1);
        Assert.False(tt.is_contiguous());
        Assert.Equal(new float[] { 0, 3, 1, 4, 2, 5 }, tt.data<float>());
    }

    [Fact]
    public void LibtorchErrorBecomesManagedExceptionWithItsMessage()
    {
        using var input = torch.randn(1, 3, 4, 4, 4);
        using var weight = torch.randn(8, 2, 3, 3, 3);
        var ex = Assert.Throws<TorchException>(() => torch.nn.functional.conv3d(input, weight));
        Assert.Contains("channels", ex.Message);
        // The process and the binding keep working after the error.
        using var ok = torch.nn.functional.conv3d(input, torch.randn(8, 3, 3, 3, 3));
        Assert.Equal(new long[] { 1, 8, 2, 2, 2 }, ok.shape);
    }

    [Fact]
    public void BackwardFillsLeafGradients()
    {
        using var x = torch.tensor(new double[] { 1, 2, 3 }).requires_grad_();
        using var y = (x * x).sum();
        y.backward();
        using var g = x.grad!;
        Assert.Equal(new double[] { 2, 4, 6 }, g.data<double>());
    }

    [Fact]
    public void NoGradScopeStopsRecording()
    {
        using var x = torch.ones([2], requires_grad: true);
        using (torch.no_grad())
        {
            using var y = x * 2.0;
            Assert.False(y.requires_grad);
        }
        using var z = x * 2.0;
        Assert.True(z.requires_grad);
    }

    [Fact]
    public void DisposeScopeFreesIntermediatesButKeepsMovedTensors()
    {
        Tensor kept;
        Tensor dropped;
        using (var scope = torch.NewDisposeScope())
        {
            using var a = torch.ones(3);
            dropped = a + 1.0;
            kept = (dropped * 2.0).MoveToOuterDisposeScope();
        }
        Assert.True(dropped.IsDisposed);
        Assert.False(kept.IsDisposed);
        Assert.Equal(new float[] { 4, 4, 4 }, kept.data<float>());
        kept.Dispose();
    }
}
