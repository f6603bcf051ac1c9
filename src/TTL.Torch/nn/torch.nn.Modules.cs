using TTL.Torch.Modules;

namespace TTL.Torch;

// Layer factories with PyTorch's names and defaults: torch.nn.Conv3d(1, 8, 3, padding: 1), …
public static partial class torch
{
    public static partial class nn
    {
        public static Conv3d Conv3d(long in_channels, long out_channels, Size3 kernel_size, Size3? stride = null,
            Size3? padding = null, Size3? dilation = null, long groups = 1, bool bias = true, string padding_mode = "zeros",
            Device? device = null, DType dtype = DType.Float32) =>
            new(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, padding_mode, device, dtype);

        public static ConvTranspose3d ConvTranspose3d(long in_channels, long out_channels, Size3 kernel_size, Size3? stride = null,
            Size3? padding = null, Size3? output_padding = null, long groups = 1, bool bias = true, Size3? dilation = null,
            string padding_mode = "zeros", Device? device = null, DType dtype = DType.Float32) =>
            new(in_channels, out_channels, kernel_size, stride, padding, output_padding, groups, bias, dilation, padding_mode, device, dtype);

        public static Linear Linear(long in_features, long out_features, bool bias = true, Device? device = null,
            DType dtype = DType.Float32) => new(in_features, out_features, bias, device, dtype);

        public static BatchNorm3d BatchNorm3d(long num_features, double eps = 1e-5, double? momentum = 0.1, bool affine = true,
            bool track_running_stats = true, Device? device = null, DType dtype = DType.Float32) =>
            new(num_features, eps, momentum, affine, track_running_stats, device, dtype);

        /// <summary>torch.nn.SyncBatchNorm's conversion: batch norm whose statistics span the ranks of a group.</summary>
        public static class SyncBatchNorm
        {
            /// <summary>Makes every BatchNorm3d inside <paramref name="module"/> share its training statistics over <paramref name="group"/>; returns the module.</summary>
            public static T convert_sync_batchnorm<T>(T module, TTL.Torch.Distributed.ProcessGroup? group) where T : Module
            {
                foreach (var m in module.modules())
                    if (m is Modules.BatchNorm3d bn) bn.process_group = group;
                return module;
            }
        }

        public static InstanceNorm3d InstanceNorm3d(long num_features, double eps = 1e-5, double? momentum = 0.1, bool affine = false,
            bool track_running_stats = false, Device? device = null, DType dtype = DType.Float32) =>
            new(num_features, eps, momentum, affine, track_running_stats, device, dtype);

        public static GroupNorm GroupNorm(long num_groups, long num_channels, double eps = 1e-5, bool affine = true,
            Device? device = null, DType dtype = DType.Float32) => new(num_groups, num_channels, eps, affine, device, dtype);

        public static LayerNorm LayerNorm(long[] normalized_shape, double eps = 1e-5, bool elementwise_affine = true,
            Device? device = null, DType dtype = DType.Float32) => new(normalized_shape, eps, elementwise_affine, device, dtype);

        public static LayerNorm LayerNorm(long normalized_shape, double eps = 1e-5, bool elementwise_affine = true,
            Device? device = null, DType dtype = DType.Float32) => new(normalized_shape, eps, elementwise_affine, device, dtype);

        public static ReLU ReLU(bool inplace = false) => new(inplace);

        public static LeakyReLU LeakyReLU(double negative_slope = 0.01, bool inplace = false) => new(negative_slope, inplace);

        public static PReLU PReLU(long num_parameters = 1, double init = 0.25, Device? device = null, DType dtype = DType.Float32) =>
            new(num_parameters, init, device, dtype);

        public static GELU GELU(string approximate = "none") => new(approximate);

        public static Sigmoid Sigmoid() => new();

        public static Softmax Softmax(long? dim = null) => new(dim);

        public static Dropout Dropout(double p = 0.5, bool inplace = false) => new(p, inplace);

        public static Dropout3d Dropout3d(double p = 0.5, bool inplace = false) => new(p, inplace);

        public static MaxPool3d MaxPool3d(Size3 kernel_size, Size3? stride = null, Size3? padding = null, Size3? dilation = null,
            bool ceil_mode = false) => new(kernel_size, stride, padding, dilation, ceil_mode);

        public static AvgPool3d AvgPool3d(Size3 kernel_size, Size3? stride = null, Size3? padding = null, bool ceil_mode = false,
            bool count_include_pad = true, long? divisor_override = null) =>
            new(kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override);

        public static AdaptiveAvgPool3d AdaptiveAvgPool3d(Size3 output_size) => new(output_size);

        public static AdaptiveMaxPool3d AdaptiveMaxPool3d(Size3 output_size) => new(output_size);

        public static Upsample Upsample(long[]? size = null, double[]? scale_factor = null, string mode = "nearest",
            bool? align_corners = null) => new(size, scale_factor, mode, align_corners);

        public static Upsample Upsample(double scale_factor, string mode = "nearest", bool? align_corners = null) =>
            new(scale_factor, mode, align_corners);

        public static Flatten Flatten(long start_dim = 1, long end_dim = -1) => new(start_dim, end_dim);

        public static Identity Identity() => new();

        public static Sequential Sequential(params Module<Tensor, Tensor>[] layers) => new(layers);

        public static Sequential Sequential(IEnumerable<(string name, Module<Tensor, Tensor> module)> layers) => new(layers);

        public static ModuleList<T> ModuleList<T>(params T[] modules) where T : Module => new(modules);

        public static ModuleDict<T> ModuleDict<T>(IEnumerable<(string name, T module)>? modules = null) where T : Module => new(modules);
    }
}
