using TTL.Torch.Distributed;
using TTL.Torch.Native;

namespace TTL.Torch;

public static partial class torch
{
    /// <summary>torch.distributed: c10d's Gloo process groups through the native shim.</summary>
    public static class distributed
    {
        /// <summary>Whether the native shim was built with c10d's Gloo backend.</summary>
        public static bool is_available()
        {
            NativeMethods.EnsureLoaded();
            return NativeMethods.ttl_dist_available() != 0;
        }

        internal static void RequireAvailable()
        {
            if (!is_available())
                throw new DistributedException("distributed training needs the native shim built with c10d Gloo (libgloo-dev present when build/native ran)");
        }

        /// <summary>torch.distributed.nn.functional: collectives that autograd differentiates.</summary>
        public static class nn
        {
            public static class functional
            {
                /// <summary>
                /// The sum of <paramref name="input"/> over all ranks of <paramref name="group"/>; its
                /// backward all-reduces the incoming gradient (every rank's loss depends on every
                /// rank's input). Every rank must call it, in the same order.
                /// </summary>
                public static Tensor all_reduce(Tensor input, ProcessGroup group)
                {
                    group.Guard("all_reduce (autograd)", NativeMethods.ttl_dist_all_reduce_autograd(group.RawHandle, input.Handle, out var result));
                    return new Tensor(result);
                }
            }
        }
    }
}
