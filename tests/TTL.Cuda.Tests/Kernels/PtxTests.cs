using TTL.Cuda.Driver;
using TTL.Cuda.Kernels;

namespace TTL.Cuda.Tests.Kernels;

public sealed class PtxTests
{
    [Fact]
    public void Parameters_are_read_in_every_spelling_nvrtc_versions_use()
    {
        // NVRTC 11.8 writes pointers as plain .u64; NVVM of CUDA 13 adds pointer attributes
        // (`.ptr .align 1`, optionally a state space). Both must read as one 8-byte parameter.
        const string ptx = """
            .version 9.0
            .target sm_90
            .address_size 64
            .visible .entry k(
            	.param .u64 k_param_0,
            	.param .u64 .ptr .align 1 k_param_1,
            	.param .u64 .ptr .global .align 16 k_param_2,
            	.param .align 8 .b8 k_param_3[152],
            	.param .f64 k_param_4,
            	.param .u32 k_param_5
            )
            .maxntid 256, 1, 1
            {
            	ret;
            }
            """;
        var entry = Assert.Single(Ptx.Entries(ptx));
        Assert.Equal("k", entry.Name);
        Assert.Equal(
            new[] { (8, 8, ArgKind.Int), (8, 8, ArgKind.Pointer), (8, 8, ArgKind.Pointer), (152, 8, ArgKind.Struct), (8, 8, ArgKind.Float), (4, 4, ArgKind.Int) },
            entry.Params.Select(p => (p.Size, p.Align, p.Kind)));
    }
}
