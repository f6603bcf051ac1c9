using TTL.Torch.Optim;

namespace TTL.Torch;

// Optimizer and scheduler factories with PyTorch's names: torch.optim.SGD(...), torch.optim.lr_scheduler.StepLR(...).
public static partial class torch
{
    public static class optim
    {
        public static SGD SGD(IEnumerable<Tensor> parameters, double lr, double momentum = 0, double dampening = 0,
            double weight_decay = 0, bool nesterov = false, bool maximize = false) =>
            new(parameters, lr, momentum, dampening, weight_decay, nesterov, maximize);

        public static SGD SGD(IEnumerable<ParamGroup> groups, double lr, double momentum = 0, double dampening = 0,
            double weight_decay = 0, bool nesterov = false, bool maximize = false) =>
            new(groups, lr, momentum, dampening, weight_decay, nesterov, maximize);

        public static Adam Adam(IEnumerable<Tensor> parameters, double lr = 1e-3, (double, double)? betas = null, double eps = 1e-8,
            double weight_decay = 0, bool amsgrad = false, bool maximize = false) =>
            new(parameters, lr, betas, eps, weight_decay, amsgrad, maximize);

        public static Adam Adam(IEnumerable<ParamGroup> groups, double lr = 1e-3, (double, double)? betas = null, double eps = 1e-8,
            double weight_decay = 0, bool amsgrad = false, bool maximize = false) =>
            new(groups, lr, betas, eps, weight_decay, amsgrad, maximize);

        public static AdamW AdamW(IEnumerable<Tensor> parameters, double lr = 1e-3, (double, double)? betas = null, double eps = 1e-8,
            double weight_decay = 1e-2, bool amsgrad = false, bool maximize = false) =>
            new(parameters, lr, betas, eps, weight_decay, amsgrad, maximize);

        public static AdamW AdamW(IEnumerable<ParamGroup> groups, double lr = 1e-3, (double, double)? betas = null, double eps = 1e-8,
            double weight_decay = 1e-2, bool amsgrad = false, bool maximize = false) =>
            new(groups, lr, betas, eps, weight_decay, amsgrad, maximize);

        public static class lr_scheduler
        {
            public static StepLR StepLR(Optimizer optimizer, long step_size, double gamma = 0.1, long last_epoch = -1) =>
                new(optimizer, step_size, gamma, last_epoch);

            public static ExponentialLR ExponentialLR(Optimizer optimizer, double gamma, long last_epoch = -1) =>
                new(optimizer, gamma, last_epoch);

            public static LinearLR LinearLR(Optimizer optimizer, double start_factor = 1.0 / 3, double end_factor = 1.0,
                long total_iters = 5, long last_epoch = -1) => new(optimizer, start_factor, end_factor, total_iters, last_epoch);

            public static CosineAnnealingLR CosineAnnealingLR(Optimizer optimizer, long T_max, double eta_min = 0, long last_epoch = -1) =>
                new(optimizer, T_max, eta_min, last_epoch);

            public static PolynomialLR PolynomialLR(Optimizer optimizer, long total_iters = 5, double power = 1.0, long last_epoch = -1) =>
                new(optimizer, total_iters, power, last_epoch);

            public static SequentialLR SequentialLR(Optimizer optimizer, LRScheduler[] schedulers, long[] milestones, long last_epoch = -1) =>
                new(optimizer, schedulers, milestones, last_epoch);

            /// <summary>
            /// Cosine annealing after a linear warm-up, built as PyTorch users do it:
            /// SequentialLR([LinearLR(start_factor, total_iters: warmup_epochs), CosineAnnealingLR(T_max: epochs − warmup_epochs, eta_min)],
            /// milestones: [warmup_epochs]). So for e &lt; W: lr = initial_lr · (start_factor + (1 − start_factor) · e / W);
            /// for e ≥ W: lr = eta_min + (initial_lr − eta_min) · (1 + cos(π (e − W) / (epochs − W))) / 2.
            /// </summary>
            public static SequentialLR CosineAnnealingWithWarmup(Optimizer optimizer, long warmup_epochs, long epochs,
                double start_factor = 1e-3, double eta_min = 0)
            {
                if (warmup_epochs <= 0 || warmup_epochs >= epochs)
                    throw new ArgumentException($"warm-up needs 0 < warmup_epochs < epochs, got {warmup_epochs} and {epochs}");
                var warmup = new LinearLR(optimizer, start_factor, 1.0, warmup_epochs);
                var cosine = new CosineAnnealingLR(optimizer, epochs - warmup_epochs, eta_min);
                return new SequentialLR(optimizer, [warmup, cosine], [warmup_epochs]);
            }

            /// <summary>nnU-Net's poly schedule: lr = initial_lr · (1 − epoch / max_epochs)^exponent.</summary>
            public static PolynomialLR PolyLR(Optimizer optimizer, long max_epochs, double exponent = 0.9) =>
                new(optimizer, max_epochs, exponent);

            public static ReduceLROnPlateau ReduceLROnPlateau(Optimizer optimizer, string mode = "min", double factor = 0.1,
                long patience = 10, double threshold = 1e-4, string threshold_mode = "rel", long cooldown = 0, double min_lr = 0,
                double eps = 1e-8) =>
                new(optimizer, mode, factor, patience, threshold, threshold_mode, cooldown, min_lr, eps);
        }
    }
}
