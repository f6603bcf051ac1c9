namespace TTL.Torch;

/// <summary>An error raised inside libtorch (a c10::Error or std::exception), with its message.</summary>
public sealed class TorchException(string message) : Exception(message);
