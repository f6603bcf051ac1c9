using TTL.Torch.Optim;

namespace TTL.Torch;

public static partial class torch
{
    public static class amp
    {
        /// <summary>
        /// Loss scaling for float16 training, as torch.amp.GradScaler: the loss is multiplied by a
        /// scale before backward, so small float16 gradients do not flush to zero; <see cref="step"/>
        /// divides the gradients by it and updates only when all of them are finite, and
        /// <see cref="update"/> halves the scale after a step with an infinite or NaN gradient and
        /// doubles it after <c>growth_interval</c> finite steps in a row. Its state (scale and growth
        /// tracker) belongs in a checkpoint for an exact resume.
        /// </summary>
        public sealed class GradScaler(double init_scale = 65536.0, double growth_factor = 2.0, double backoff_factor = 0.5, int growth_interval = 2000)
        {
            private bool _foundInf;
            private bool _unscaled;

            public double Scale { get; private set; } = init_scale;

            /// <summary>Finite steps since the scale last changed.</summary>
            public int GrowthTracker { get; private set; }

            /// <summary>Whether the last <see cref="step"/> skipped the update (a non-finite gradient).</summary>
            public bool LastStepSkipped { get; private set; }

            public Tensor scale(Tensor loss) => loss * Scale;

            /// <summary>Divides every gradient by the scale (once per step) and notes whether any is not finite.</summary>
            public void unscale_(Optimizer optimizer)
            {
                if (_unscaled) return;
                _unscaled = true;
                using var noGrad = no_grad();
                double inverse = 1.0 / Scale;
                foreach (var group in optimizer.param_groups)
                    foreach (var p in group.Params)
                    {
                        using var g = p.grad;
                        if (g is null) continue;
                        g.mul_(inverse);
                        using var finite = g.isfinite().all();
                        if (!finite.item<bool>()) _foundInf = true;
                    }
            }

            /// <summary>Unscales (unless done already, e.g. before gradient clipping) and steps unless a gradient is not finite.</summary>
            public void step(Optimizer optimizer)
            {
                unscale_(optimizer);
                LastStepSkipped = _foundInf;
                if (!_foundInf) optimizer.step();
            }

            /// <summary>Adjusts the scale after a step, as described above.</summary>
            public void update()
            {
                if (_foundInf)
                {
                    Scale *= backoff_factor;
                    GrowthTracker = 0;
                }
                else if (++GrowthTracker == growth_interval)
                {
                    Scale *= growth_factor;
                    GrowthTracker = 0;
                }
                _foundInf = false;
                _unscaled = false;
            }

            /// <summary>Restores the state saved from <see cref="Scale"/> and <see cref="GrowthTracker"/>.</summary>
            public void load_state(double scale, int growthTracker)
            {
                Scale = scale;
                GrowthTracker = growthTracker;
            }
        }
    }
}
