using TTL.Torch.Native;

namespace TTL.Torch;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>How a loss reduces over the batch (values as in ATen).</summary>
        public enum Reduction { None = 0, Mean = 1, Sum = 2 }

        /// <summary>Stateless network functions with PyTorch's names, argument orders and defaults.</summary>
        public static class functional
        {
            public static Tensor linear(Tensor input, Tensor weight, Tensor? bias = null) => Aten.linear.Call(input, weight, bias);

            public static Tensor conv3d(Tensor input, Tensor weight, Tensor? bias = null, long[]? stride = null,
                long[]? padding = null, long[]? dilation = null, long groups = 1) =>
                Aten.conv3d.Call(input, weight, bias, stride ?? [1, 1, 1], padding ?? [0, 0, 0], dilation ?? [1, 1, 1], groups);

            public static Tensor conv_transpose3d(Tensor input, Tensor weight, Tensor? bias = null, long[]? stride = null,
                long[]? padding = null, long[]? output_padding = null, long groups = 1, long[]? dilation = null) =>
                Aten.conv_transpose3d.Call(input, weight, bias, stride ?? [1, 1, 1], padding ?? [0, 0, 0],
                    output_padding ?? [0, 0, 0], groups, dilation ?? [1, 1, 1]);

            /// <summary>Max pooling; stride defaults to the kernel size.</summary>
            public static Tensor max_pool3d(Tensor input, long[] kernel_size, long[]? stride = null, long[]? padding = null,
                long[]? dilation = null, bool ceil_mode = false) =>
                Aten.max_pool3d.Call(input, kernel_size, stride ?? kernel_size, padding ?? [0, 0, 0], dilation ?? [1, 1, 1], ceil_mode);

            public static Tensor avg_pool3d(Tensor input, long[] kernel_size, long[]? stride = null, long[]? padding = null,
                bool ceil_mode = false, bool count_include_pad = true, long? divisor_override = null) =>
                Aten.avg_pool3d.Call(input, kernel_size, stride ?? kernel_size, padding ?? [0, 0, 0], ceil_mode, count_include_pad,
                    divisor_override is null ? Arg.None : divisor_override.Value);

            public static Tensor adaptive_avg_pool3d(Tensor input, long[] output_size) => Aten.adaptive_avg_pool3d.Call(input, output_size);

            public static Tensor adaptive_max_pool3d(Tensor input, long[] output_size)
            {
                var r = Aten.adaptive_max_pool3d.CallMany(input, output_size);
                r[1].Dispose();
                return r[0];
            }

            /// <summary>Batch normalisation; in training mode the running statistics are updated in place.</summary>
            public static Tensor batch_norm(Tensor input, Tensor? running_mean, Tensor? running_var, Tensor? weight = null,
                Tensor? bias = null, bool training = false, double momentum = 0.1, double eps = 1e-5) =>
                Aten.batch_norm.Call(input, weight, bias, running_mean, running_var, training, momentum, eps, true);

            public static Tensor instance_norm(Tensor input, Tensor? running_mean = null, Tensor? running_var = null,
                Tensor? weight = null, Tensor? bias = null, bool use_input_stats = true, double momentum = 0.1, double eps = 1e-5) =>
                Aten.instance_norm.Call(input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps, true);

            public static Tensor group_norm(Tensor input, long num_groups, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5) =>
                Aten.group_norm.Call(input, num_groups, weight, bias, eps, true);

            public static Tensor layer_norm(Tensor input, long[] normalized_shape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5) =>
                Aten.layer_norm.Call(input, normalized_shape, weight, bias, eps, true);

            /// <summary>
            /// Resizes a [N, C, D, H, W] tensor to <paramref name="size"/> or by <paramref name="scale_factor"/>
            /// (exactly one), mode "trilinear" or "nearest", as torch.nn.functional.interpolate does.
            /// </summary>
            public static Tensor interpolate(Tensor input, long[]? size = null, double[]? scale_factor = null,
                string mode = "nearest", bool? align_corners = null)
            {
                if ((size is null) == (scale_factor is null))
                    throw new ArgumentException("interpolate: give exactly one of size and scale_factor");
                if (scale_factor is { Length: 1 }) scale_factor = [scale_factor[0], scale_factor[0], scale_factor[0]];
                if (size is { Length: 1 }) size = [size[0], size[0], size[0]];
                return mode switch
                {
                    "trilinear" => Aten.upsample_trilinear3d.Call(input, size, align_corners ?? false, scale_factor),
                    "nearest" when align_corners is null => Aten.upsample_nearest3d.Call(input, size, scale_factor),
                    "nearest" => throw new ArgumentException("interpolate: align_corners applies to trilinear only"),
                    _ => throw new ArgumentException($"interpolate: mode '{mode}' is not one of trilinear, nearest"),
                };
            }

            /// <summary>
            /// Samples input at grid locations (normalised to [-1, 1]); mode "bilinear" (trilinear on 5-D
            /// input) or "nearest"; padding "zeros", "border" or "reflection".
            /// </summary>
            public static Tensor grid_sample(Tensor input, Tensor grid, string mode = "bilinear", string padding_mode = "zeros",
                bool align_corners = false)
            {
                long m = mode switch
                {
                    "bilinear" => 0, "nearest" => 1, "bicubic" => 2,
                    _ => throw new ArgumentException($"grid_sample: unknown mode '{mode}'"),
                };
                long p = padding_mode switch
                {
                    "zeros" => 0, "border" => 1, "reflection" => 2,
                    _ => throw new ArgumentException($"grid_sample: unknown padding_mode '{padding_mode}'"),
                };
                return Aten.grid_sampler.Call(input, grid, m, p, align_corners);
            }

            public static Tensor softmax(Tensor input, long dim) => Aten.softmax.Call(input, dim);
            public static Tensor log_softmax(Tensor input, long dim) => Aten.log_softmax.Call(input, dim);
            public static Tensor relu(Tensor input) => Aten.relu.Call(input);
            public static Tensor leaky_relu(Tensor input, double negative_slope = 0.01) => Aten.leaky_relu.Call(input, negative_slope);
            public static Tensor prelu(Tensor input, Tensor weight) => Aten.prelu.Call(input, weight);
            /// <summary>GELU, exact ("none") or the "tanh" approximation.</summary>
            public static Tensor gelu(Tensor input, string approximate = "none") => Aten.gelu.Call(input, approximate);
            public static Tensor elu(Tensor input, double alpha = 1.0) => Aten.elu.Call(input, alpha);
            public static Tensor silu(Tensor input) => Aten.silu.Call(input);
            public static Tensor sigmoid(Tensor input) => Aten.sigmoid.Call(input);
            public static Tensor tanh(Tensor input) => Aten.tanh.Call(input);

            public static Tensor dropout(Tensor input, double p = 0.5, bool training = true) => Aten.dropout.Call(input, p, training);

            /// <summary>Zeroes whole channels (Dropout3d).</summary>
            public static Tensor dropout3d(Tensor input, double p = 0.5, bool training = true) => Aten.feature_dropout.Call(input, p, training);

            /// <summary>Cross-entropy on logits [N, C, ...] against class indices [N, ...] or class probabilities.</summary>
            public static Tensor cross_entropy(Tensor input, Tensor target, Tensor? weight = null, long ignore_index = -100,
                Reduction reduction = Reduction.Mean, double label_smoothing = 0.0) =>
                Aten.cross_entropy_loss.Call(input, target, weight, (long)reduction, ignore_index, label_smoothing);

            public static Tensor binary_cross_entropy_with_logits(Tensor input, Tensor target, Tensor? weight = null,
                Tensor? pos_weight = null, Reduction reduction = Reduction.Mean) =>
                Aten.bce_with_logits.Call(input, target, weight, pos_weight, (long)reduction);

            public static Tensor mse_loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean) =>
                Aten.mse_loss.Call(input, target, (long)reduction);

            public static Tensor l1_loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean) =>
                Aten.l1_loss.Call(input, target, (long)reduction);

            public static Tensor one_hot(Tensor input, long num_classes = -1) => Aten.one_hot.Call(input, num_classes);

            /// <summary>
            /// Pads the last dimensions: <paramref name="pad"/> lists (before, after) pairs starting from the
            /// last dimension, as in PyTorch; mode "constant", "reflect" or "replicate".
            /// </summary>
            public static Tensor pad(Tensor input, long[] pad, string mode = "constant", double value = 0) => mode switch
            {
                "constant" => Aten.constant_pad_nd.Call(input, pad, value),
                "reflect" when pad.Length == 6 => Aten.reflection_pad3d.Call(input, pad),
                "replicate" when pad.Length == 6 => Aten.replication_pad3d.Call(input, pad),
                "reflect" or "replicate" => throw new ArgumentException($"pad: mode '{mode}' needs 6 values (3-D padding)"),
                _ => throw new ArgumentException($"pad: unknown mode '{mode}'"),
            };
        }
    }

    public static class linalg
    {
        /// <summary>Eigenvalues (ascending) and eigenvectors (columns) of symmetric matrices.</summary>
        public static (Tensor eigenvalues, Tensor eigenvectors) eigh(Tensor a, string UPLO = "L")
        {
            var r = Aten.linalg_eigh.CallMany(a, UPLO);
            return (r[0], r[1]);
        }

        public static (Tensor U, Tensor S, Tensor Vh) svd(Tensor a, bool full_matrices = true)
        {
            var r = Aten.linalg_svd.CallMany(a, full_matrices);
            return (r[0], r[1], r[2]);
        }

        public static Tensor cholesky(Tensor a, bool upper = false) => Aten.linalg_cholesky.Call(a, upper);

        public static (Tensor Q, Tensor R) qr(Tensor a, string mode = "reduced")
        {
            var r = Aten.linalg_qr.CallMany(a, mode);
            return (r[0], r[1]);
        }

        public static Tensor solve_triangular(Tensor a, Tensor b, bool upper, bool left = true, bool unitriangular = false) =>
            Aten.linalg_solve_triangular.Call(a, b, upper, left, unitriangular);
    }
}
