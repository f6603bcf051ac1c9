namespace TTL.Torch.Distributed;

/// <summary>
/// A collective or store operation failed: a peer rank exited or stopped answering within the
/// group's timeout, the rendezvous did not complete, or the network broke. The message names the
/// operation and this rank, and carries c10d's own text.
/// </summary>
public sealed class DistributedException(string message) : Exception(message);
