namespace TTL.Torch.Distributed;

/// <summary>c10d's reduction operators (the values match the shim's table).</summary>
public enum ReduceOp
{
    SUM = 0,
    PRODUCT = 1,
    MIN = 2,
    MAX = 3,
}
