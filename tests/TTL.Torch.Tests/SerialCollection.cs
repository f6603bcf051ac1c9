namespace TTL.Torch.Tests;

/// <summary>Tests that measure the process (memory, handle counts) run alone, after the parallel ones.</summary>
[CollectionDefinition("serial", DisableParallelization = true)]
public sealed class SerialCollection;
