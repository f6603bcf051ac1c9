using TTL.Torch;
using TTL.Torch.Optim;

namespace TTL.Training;

/// <summary>
/// <c>train.amp</c> on the run's device: forward passes in an autocast region (bfloat16 or
/// float16; the loss is taken on float32 logits outside it) and, for float16, loss scaling by a
/// <see cref="torch.amp.GradScaler"/>, whose state the checkpoints carry so a resumed run continues
/// exactly. On the CPU, autocast runs in bfloat16 only.
/// </summary>
public sealed class MixedPrecision
{
    private readonly Device _device;

    private MixedPrecision(string mode, Device device, DType? dtype)
    {
        Mode = mode;
        _device = device;
        LowPrecision = dtype;
        if (dtype == DType.Float16) Scaler = new torch.amp.GradScaler();
    }

    public static MixedPrecision For(string amp, Device device) => amp switch
    {
        "none" => new(amp, device, null),
        "bf16" => new(amp, device, DType.BFloat16),
        "fp16" when device.IsCuda => new(amp, device, DType.Float16),
        "fp16" => throw new InvalidDataException("train.amp fp16 needs device cuda (float16 autocast and loss scaling are for GPUs); on the CPU use bf16"),
        _ => throw new InvalidDataException($"train.amp '{amp}' is not none, bf16 or fp16"),
    };

    /// <summary>none, bf16 or fp16.</summary>
    public string Mode { get; }

    /// <summary>The autocast type; null without mixed precision.</summary>
    public DType? LowPrecision { get; }

    /// <summary>The float16 loss scaler; null otherwise.</summary>
    public torch.amp.GradScaler? Scaler { get; }

    /// <summary>The region a forward pass runs in (null, which <c>using</c> accepts, without mixed precision).</summary>
    public IDisposable? Forward() => LowPrecision is DType t ? torch.autocast(_device, t) : null;

    public void Backward(Tensor loss)
    {
        if (Scaler is null)
        {
            loss.backward();
            return;
        }
        using var scaled = Scaler.scale(loss);
        scaled.backward();
    }

    /// <summary>Before gradients are read (clipping): they must be unscaled first.</summary>
    public void Unscale(Optimizer optimizer) => Scaler?.unscale_(optimizer);

    /// <summary>The optimizer step; with a scaler, skipped when a gradient is not finite, and the scale updated.</summary>
    public void Step(Optimizer optimizer)
    {
        if (Scaler is null)
        {
            optimizer.step();
            return;
        }
        Scaler.step(optimizer);
        Scaler.update();
    }
}
