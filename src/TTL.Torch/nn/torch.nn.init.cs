namespace TTL.Torch;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>
        /// Weight initialisers with torch.nn.init's semantics. Each fills the tensor in place without
        /// recording gradients and returns it. The random ones draw from libtorch's generator, so
        /// after the same <c>torch.manual_seed</c> they give PyTorch's values.
        /// </summary>
        public static class init
        {
            /// <summary>The recommended gain for a nonlinearity (torch.nn.init.calculate_gain).</summary>
            public static double calculate_gain(string nonlinearity, double? param = null) => nonlinearity switch
            {
                "linear" or "conv1d" or "conv2d" or "conv3d" or "conv_transpose1d" or "conv_transpose2d"
                    or "conv_transpose3d" or "sigmoid" => 1.0,
                "tanh" => 5.0 / 3,
                "relu" => Math.Sqrt(2.0),
                "leaky_relu" => Math.Sqrt(2.0 / (1 + Math.Pow(param ?? 0.01, 2))),
                "selu" => 3.0 / 4,
                _ => throw new ArgumentException($"calculate_gain: unsupported nonlinearity '{nonlinearity}'"),
            };

            /// <summary>
            /// fan_in = size(1) × receptive field, fan_out = size(0) × receptive field, where the
            /// receptive field is the product of the sizes after the first two.
            /// </summary>
            public static (long fan_in, long fan_out) calculate_fan_in_and_fan_out(Tensor tensor)
            {
                var shape = tensor.shape;
                if (shape.Length < 2)
                    throw new ArgumentException("fan in and fan out can not be computed for a tensor with fewer than 2 dimensions");
                long receptive = 1;
                for (int k = 2; k < shape.Length; k++) receptive *= shape[k];
                return (shape[1] * receptive, shape[0] * receptive);
            }

            private static long Fan(Tensor tensor, string mode)
            {
                var (fanIn, fanOut) = calculate_fan_in_and_fan_out(tensor);
                return mode switch
                {
                    "fan_in" => fanIn,
                    "fan_out" => fanOut,
                    _ => throw new ArgumentException($"mode '{mode}' is not one of fan_in, fan_out"),
                };
            }

            public static Tensor uniform_(Tensor tensor, double a = 0, double b = 1)
            {
                using var _ = no_grad();
                return tensor.uniform_(a, b);
            }

            public static Tensor normal_(Tensor tensor, double mean = 0, double std = 1)
            {
                using var _ = no_grad();
                return tensor.normal_(mean, std);
            }

            public static Tensor constant_(Tensor tensor, double val)
            {
                using var _ = no_grad();
                return tensor.fill_(val);
            }

            public static Tensor zeros_(Tensor tensor)
            {
                using var _ = no_grad();
                return tensor.zero_();
            }

            public static Tensor ones_(Tensor tensor) => constant_(tensor, 1);

            /// <summary>U(−b, b) with b = gain · √(6 / (fan_in + fan_out)) (Glorot and Bengio, 2010).</summary>
            public static Tensor xavier_uniform_(Tensor tensor, double gain = 1)
            {
                var (fanIn, fanOut) = calculate_fan_in_and_fan_out(tensor);
                double std = gain * Math.Sqrt(2.0 / (fanIn + fanOut));
                double bound = Math.Sqrt(3.0) * std;
                return uniform_(tensor, -bound, bound);
            }

            /// <summary>N(0, std²) with std = gain · √(2 / (fan_in + fan_out)).</summary>
            public static Tensor xavier_normal_(Tensor tensor, double gain = 1)
            {
                var (fanIn, fanOut) = calculate_fan_in_and_fan_out(tensor);
                return normal_(tensor, 0, gain * Math.Sqrt(2.0 / (fanIn + fanOut)));
            }

            /// <summary>
            /// U(−b, b) with b = gain · √(3 / fan) (He et al., 2015); <paramref name="a"/> is the
            /// negative slope used by the leaky_relu gain.
            /// </summary>
            public static Tensor kaiming_uniform_(Tensor tensor, double a = 0, string mode = "fan_in", string nonlinearity = "leaky_relu")
            {
                long fan = Fan(tensor, mode);
                if (fan == 0) return tensor; // PyTorch warns and leaves zero-element tensors alone
                double std = calculate_gain(nonlinearity, a) / Math.Sqrt(fan);
                double bound = Math.Sqrt(3.0) * std;
                return uniform_(tensor, -bound, bound);
            }

            /// <summary>N(0, std²) with std = gain / √fan.</summary>
            public static Tensor kaiming_normal_(Tensor tensor, double a = 0, string mode = "fan_in", string nonlinearity = "leaky_relu")
            {
                long fan = Fan(tensor, mode);
                if (fan == 0) return tensor;
                return normal_(tensor, 0, calculate_gain(nonlinearity, a) / Math.Sqrt(fan));
            }
        }
    }
}
