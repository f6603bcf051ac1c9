using System.Buffers.Binary;
using System.IO.Compression;
using TTL.TestSupport;

namespace TTL.Imaging.Tests;

/// <summary>
/// Untrusted headers: each malformed file (made here by patching a valid one) must be refused with
/// InvalidDataException naming the file and the field, before any large allocation.
/// </summary>
public sealed class MalformedNiftiTests
{
    /// <summary>A valid little-endian NIfTI-1 file: 4×5×6 int16, data at 352.</summary>
    private static byte[] Valid()
    {
        var v = TestVolumes.Make(1, [4, 5, 6], AffineMath.Identity4(), integers: true);
        using var tmp = new TempDir();
        NiftiWriter.Write(v, tmp.File("v.nii"), new NiftiWriteOptions { DataType = NiftiDataType.Int16 });
        return File.ReadAllBytes(tmp.File("v.nii"));
    }

    /// <summary>The same data as a NIfTI-2 file.</summary>
    private static byte[] ValidNifti2()
    {
        var img = NiftiReader.ReadRaw(WriteTemp(Valid(), out var tmp));
        using (tmp)
        {
            string p = tmp.File("v2.nii");
            var h = img.Header with { Version = 2 };
            File.WriteAllBytes(p, [.. h.ToBytes(2).AsSpan(0, 168), .. BitConverter.GetBytes(544L), .. h.ToBytes(2).AsSpan(176), .. new byte[4], .. img.Data]);
            return File.ReadAllBytes(p);
        }
    }

    private static string WriteTemp(byte[] bytes, out TempDir tmp, string name = "bad.nii")
    {
        tmp = new TempDir();
        File.WriteAllBytes(tmp.File(name), bytes);
        return tmp.File(name);
    }

    private static byte[] Patch(byte[] b, Action<Span<byte>> edit)
    {
        var c = (byte[])b.Clone();
        edit(c);
        return c;
    }

    private static byte[] Gzip(byte[] b)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(b);
        return ms.ToArray();
    }

    public static TheoryData<string, string, string> Cases()
    {
        var valid = Valid();
        var d = new TheoryData<string, string, string>();
        void Add(string what, byte[] bytes, string expected, string name = "bad.nii") =>
            d.Add(what, Convert.ToBase64String(bytes) + "|" + name, expected);

        Add("sizeof_hdr", Patch(valid, s => BinaryPrimitives.WriteInt32LittleEndian(s, 300)), "sizeof_hdr=300");
        Add("header cut short", valid[..200], "shorter than the 348-byte header");
        Add("magic", Patch(valid, s => s[344] = (byte)'x'), "magic=");
        Add("dim[0]=0", Patch(valid, s => BinaryPrimitives.WriteInt16LittleEndian(s[40..], 0)), "dim[0]=0, expected 1..7");
        Add("dim[0]=8", Patch(valid, s => BinaryPrimitives.WriteInt16LittleEndian(s[40..], 8)), "dim[0]=8, expected 1..7");
        Add("dim[2]=0", Patch(valid, s => BinaryPrimitives.WriteInt16LittleEndian(s[44..], 0)), "dim[2]=0, expected >= 1");
        Add("dim[3]<0", Patch(valid, s => BinaryPrimitives.WriteInt16LittleEndian(s[46..], -6)), "dim[3]=-6, expected >= 1");
        Add("bitpix", Patch(valid, s => BinaryPrimitives.WriteInt16LittleEndian(s[72..], 8)), "bitpix=8 disagrees with datatype int16");
        Add("complex", Patch(valid, s => { BinaryPrimitives.WriteInt16LittleEndian(s[70..], 32); BinaryPrimitives.WriteInt16LittleEndian(s[72..], 64); }), "datatype=complex64 is not supported");
        Add("float128", Patch(valid, s => { BinaryPrimitives.WriteInt16LittleEndian(s[70..], 1536); BinaryPrimitives.WriteInt16LittleEndian(s[72..], 128); }), "datatype=float128 is not supported");
        Add("unknown datatype", Patch(valid, s => BinaryPrimitives.WriteInt16LittleEndian(s[70..], 3)), "datatype=3 is not a NIfTI datatype code");
        Add("NaN spacing", Patch(valid, s => BinaryPrimitives.WriteSingleLittleEndian(s[80..], float.NaN)), "pixdim[1]=NaN");
        Add("zero spacing", Patch(valid, s => BinaryPrimitives.WriteSingleLittleEndian(s[88..], 0)), "pixdim[3]=0");
        Add("vox_offset inside header", Patch(valid, s => BinaryPrimitives.WriteSingleLittleEndian(s[108..], 100)), "vox_offset=100 lies inside the 348-byte header");
        Add("vox_offset negative", Patch(valid, s => BinaryPrimitives.WriteSingleLittleEndian(s[108..], -16)), "vox_offset=-16");
        Add("vox_offset past end", Patch(valid, s => BinaryPrimitives.WriteSingleLittleEndian(s[108..], 1e6f)), "vox_offset=1000000 is past the end");
        Add("file shorter than data", valid[..^10], "shorter than vox_offset 352 + 240 data bytes");
        Add("voxel limit: 2^40 voxels", Patch(valid, s =>
        {
            BinaryPrimitives.WriteInt16LittleEndian(s[42..], 32767);
            BinaryPrimitives.WriteInt16LittleEndian(s[44..], 32767);
            BinaryPrimitives.WriteInt16LittleEndian(s[46..], 1024);
        }), "voxel values exceed the limit");
        Add("voxel count overflows", Patch(valid, s =>
        {
            BinaryPrimitives.WriteInt16LittleEndian(s[40..], 7);
            for (int i = 1; i <= 7; i++) BinaryPrimitives.WriteInt16LittleEndian(s[(40 + 2 * i)..], 32767);
        }), "overflows");
        Add("scl_inter infinite", Patch(valid, s => BinaryPrimitives.WriteSingleLittleEndian(s[116..], float.PositiveInfinity)), "scl_inter=");
        Add("unit quaternion violated", Patch(valid, s =>
        {
            BinaryPrimitives.WriteInt16LittleEndian(s[254..], 0);
            BinaryPrimitives.WriteSingleLittleEndian(s[256..], 0.9f);
            BinaryPrimitives.WriteSingleLittleEndian(s[260..], 0.9f);
        }), "quatern_b/c/d");

        var gz = Gzip(valid);
        Add("truncated gzip", gz[..(gz.Length / 2)], "bad.nii.gz: ", "bad.nii.gz");
        Add("corrupt gzip", Patch(gz, s => { for (int i = 20; i < 40; i++) s[i] ^= 0x5A; }), "bad.nii.gz: ", "bad.nii.gz");
        Add("gzip claiming far more data than it can hold", Gzip(Patch(valid, s =>
        {
            BinaryPrimitives.WriteInt16LittleEndian(s[42..], 4096);
            BinaryPrimitives.WriteInt16LittleEndian(s[44..], 4096);
            BinaryPrimitives.WriteInt16LittleEndian(s[46..], 32);
        })), "too small to hold", "bad.nii.gz");
        Add("gzip ending before its data", Gzip(valid[..^50]), "data: file ends after", "bad.nii.gz");

        var v2 = ValidNifti2();
        Add("nifti2 2^40 voxels", Patch(v2, s =>
        {
            BinaryPrimitives.WriteInt64LittleEndian(s[24..], 1L << 20);
            BinaryPrimitives.WriteInt64LittleEndian(s[32..], 1L << 20);
            BinaryPrimitives.WriteInt64LittleEndian(s[40..], 1);
        }), "exceed the limit");
        Add("nifti2 overflow", Patch(v2, s =>
        {
            BinaryPrimitives.WriteInt64LittleEndian(s[24..], 1L << 40);
            BinaryPrimitives.WriteInt64LittleEndian(s[32..], 1L << 40);
        }), "overflows");
        Add("nifti2 vox_offset inside header", Patch(v2, s => BinaryPrimitives.WriteInt64LittleEndian(s[168..], 300)), "vox_offset=300 lies inside the 540-byte header");
        return d;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Malformed_file_is_refused_naming_file_and_field(string what, string encoded, string expected)
    {
        var parts = encoded.Split('|');
        string path = WriteTemp(Convert.FromBase64String(parts[0]), out var tmp, parts[1]);
        using (tmp)
        {
            long before = GC.GetTotalAllocatedBytes(precise: true);
            var ex = Assert.Throws<InvalidDataException>(() => NiftiReader.Read(path));
            long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
            Assert.StartsWith(parts[1] + ": ", ex.Message);
            Assert.Contains(expected, ex.Message);
            Assert.DoesNotContain('\n', ex.Message);
            Assert.True(allocated < 64L << 20, $"{what}: allocated {allocated} bytes before failing");
            // The raw reader applies the same checks.
            Assert.Throws<InvalidDataException>(() => NiftiReader.ReadRaw(path));
        }
    }

    [Fact]
    public void Voxel_limit_is_configurable()
    {
        string path = WriteTemp(Valid(), out var tmp);
        using (tmp)
        {
            var ex = Assert.Throws<InvalidDataException>(() => NiftiReader.Read(path, new NiftiReadOptions { MaxVoxels = 100 }));
            Assert.Contains("120 voxel values exceed the limit of 100", ex.Message);
            Assert.Equal(120, NiftiReader.Read(path, new NiftiReadOptions { MaxVoxels = 120 }).Data.Length);
        }
    }

    [Fact]
    public void Negative_spacing_is_taken_absolute_and_bad_qfac_means_one_as_nibabel_does()
    {
        var patched = Patch(Valid(), s =>
        {
            BinaryPrimitives.WriteSingleLittleEndian(s[76..], 0);
            BinaryPrimitives.WriteSingleLittleEndian(s[80..], -2);
        });
        string path = WriteTemp(patched, out var tmp);
        using (tmp)
        {
            var h = NiftiReader.ReadHeader(path);
            Assert.Equal(2, h.PixDim[1]);
            Assert.Equal(1, h.PixDim[0]);
        }
    }
}
