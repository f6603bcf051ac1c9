using System.Buffers.Binary;
using System.Text;

namespace TTL.Imaging;

/// <summary>
/// A NIfTI-1 (348-byte) or NIfTI-2 (540-byte) header as a typed record, in either byte order.
/// Every field is kept at the width of NIfTI-2 (64-bit integers, doubles), so one record serves
/// both versions. <see cref="Parse"/> validates untrusted bytes in one place; the geometry
/// (<see cref="QForm"/>, <see cref="SForm"/>, <see cref="BestAffine"/>) follows nibabel's
/// <c>Nifti1Header</c>, including the fixes nibabel applies silently on load (qfac other than ±1
/// means 1, negative pixdims are taken absolute, unknown transform codes mean 0).
/// </summary>
public sealed record NiftiHeader
{
    public const int Nifti1Size = 348;
    public const int Nifti2Size = 540;

    /// <summary>1 or 2.</summary>
    public int Version { get; init; } = 1;

    /// <summary>Byte order of the file this header came from (the writer always writes little-endian).</summary>
    public bool BigEndian { get; init; }

    /// <summary>Magic <c>ni1</c>/<c>ni2</c>: header and data in separate .hdr/.img files.</summary>
    public bool IsPair { get; init; }

    /// <summary>dim[0..7]: dim[0] is the number of dimensions.</summary>
    public long[] Dim { get; init; } = [3, 1, 1, 1, 1, 1, 1, 1];

    /// <summary>pixdim[0..7]: pixdim[0] is qfac, pixdim[1..3] the voxel size.</summary>
    public double[] PixDim { get; init; } = [1, 1, 1, 1, 1, 1, 1, 1];

    public NiftiDataType DataType { get; init; } = NiftiDataType.Float32;
    public int BitPix { get; init; } = 32;
    public long VoxOffset { get; init; }
    public double SclSlope { get; init; } = 1;
    public double SclInter { get; init; }
    public double CalMax { get; init; }
    public double CalMin { get; init; }
    public double SliceDuration { get; init; }
    public double TOffset { get; init; }
    public long SliceStart { get; init; }
    public long SliceEnd { get; init; }
    public int SliceCode { get; init; }
    public int DimInfo { get; init; }
    public int XyztUnits { get; init; }
    public int IntentCode { get; init; }
    public double IntentP1 { get; init; }
    public double IntentP2 { get; init; }
    public double IntentP3 { get; init; }
    public string IntentName { get; init; } = "";
    public string Descrip { get; init; } = "";
    public string AuxFile { get; init; } = "";
    public int QFormCode { get; init; }
    public int SFormCode { get; init; }
    public double QuaternB { get; init; }
    public double QuaternC { get; init; }
    public double QuaternD { get; init; }
    public double QOffsetX { get; init; }
    public double QOffsetY { get; init; }
    public double QOffsetZ { get; init; }
    public double[] SRowX { get; init; } = [0, 0, 0, 0];
    public double[] SRowY { get; init; } = [0, 0, 0, 0];
    public double[] SRowZ { get; init; } = [0, 0, 0, 0];

    public int SizeOfHeader => Version == 2 ? Nifti2Size : Nifti1Size;

    public int Ndim => (int)Dim[0];

    /// <summary>All dimensions, dim[1..dim[0]].</summary>
    public long[] Shape => Dim.AsSpan(1, Ndim).ToArray();

    /// <summary>The three spatial dimensions, 1 where the file has fewer.</summary>
    public int[] SpatialShape => [(int)Dim[1], Ndim >= 2 ? (int)Dim[2] : 1, Ndim >= 3 ? (int)Dim[3] : 1];

    /// <summary>Product of the dimensions beyond the third (time, components…): these become channels.</summary>
    public long ExtraCount
    {
        get
        {
            long n = 1;
            for (int d = 4; d <= Ndim; d++) n *= Dim[d];
            return n;
        }
    }

    /// <summary>Voxels over all dimensions (validated not to overflow).</summary>
    public long VoxelCount
    {
        get
        {
            long n = 1;
            for (int d = 1; d <= Ndim; d++) n *= Dim[d];
            return n;
        }
    }

    public long DataBytes => VoxelCount * NiftiDataTypes.BytesPerVoxel(DataType);

    /// <summary>Channels of the <see cref="Volume"/> this header's data becomes (RGB adds three per voxel).</summary>
    public long Channels => ExtraCount * (DataType == NiftiDataType.Rgb24 ? 3 : 1);

    /// <summary>Whether scl_slope/scl_inter change the stored values (nibabel: slope 0 or non-finite means no scaling).</summary>
    public bool HasScaling => DataType != NiftiDataType.Rgb24 && SclSlope != 0 && double.IsFinite(SclSlope) && !(SclSlope == 1 && SclInter == 0);

    /// <summary>The slope and intercept that apply to the stored values (1, 0 when none does).</summary>
    public (double Slope, double Inter) Scaling => HasScaling ? (SclSlope, SclInter) : (1.0, 0.0);

    /// <summary>Spatial unit from xyzt_units bits 0–2.</summary>
    public string SpatialUnit => (XyztUnits & 7) switch
    {
        1 => "meter",
        2 => "mm",
        3 => "micron",
        _ => "unknown",
    };

    /// <summary>Temporal unit from xyzt_units bits 3–5.</summary>
    public string TimeUnit => (XyztUnits & 56) switch
    {
        8 => "sec",
        16 => "msec",
        24 => "usec",
        32 => "hz",
        40 => "ppm",
        48 => "rads",
        _ => "unknown",
    };

    /// <summary>The qform matrix: rotation from the quaternion (w filled as nibabel's <c>fillpositive</c>), pixdim scaling, qfac on the third axis, qoffset.</summary>
    public double[,] QForm()
    {
        double b = QuaternB, c = QuaternC, d = QuaternD;
        double w2 = 1.0 - (b * b + c * c + d * d);
        double w = w2 < 0 ? 0 : Math.Sqrt(w2);
        var r = AffineMath.QuaternionToMatrix(w, b, c, d);
        double qfac = PixDim[0] == -1 ? -1 : 1;
        double[] vox = [PixDim[1], PixDim[2], PixDim[3] * qfac];
        var m = AffineMath.Identity4();
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) m[i, j] = r[i, j] * vox[j];
        m[0, 3] = QOffsetX; m[1, 3] = QOffsetY; m[2, 3] = QOffsetZ;
        return m;
    }

    public double[,] SForm()
    {
        var m = AffineMath.Identity4();
        for (int j = 0; j < 4; j++)
        {
            m[0, j] = SRowX[j];
            m[1, j] = SRowY[j];
            m[2, j] = SRowZ[j];
        }
        return m;
    }

    /// <summary>Analyze-style affine from dims and pixdims: x flipped, origin at the centre of the grid.</summary>
    public double[,] BaseAffine()
    {
        var shape = SpatialShape;
        double[] zooms = [PixDim[1], Ndim >= 2 ? PixDim[2] : 1, Ndim >= 3 ? PixDim[3] : 1];
        zooms[0] = -zooms[0];
        var m = AffineMath.Identity4();
        for (int i = 0; i < 3; i++)
        {
            m[i, i] = zooms[i];
            m[i, 3] = -(shape[i] - 1) / 2.0 * zooms[i];
        }
        return m;
    }

    /// <summary>sform when sform_code is set, else qform when qform_code is set, else <see cref="BaseAffine"/>.</summary>
    public double[,] BestAffine() => SFormCode != 0 ? SForm() : QFormCode != 0 ? QForm() : BaseAffine();

    /// <summary>
    /// This header with the qform set from an affine as nibabel's <c>set_qform</c> does: voxel sizes
    /// from column lengths, qfac = −1 when the rotation part is improper, the nearest rotation
    /// (polar decomposition, shears dropped) as a quaternion.
    /// </summary>
    public NiftiHeader WithQForm(double[,] affine, int code)
    {
        var zooms = AffineMath.ColumnNorms3(affine);
        var r = new double[3, 3];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) r[i, j] = zooms[j] == 0 ? 0 : affine[i, j] / zooms[j];
        double qfac = 1;
        if (AffineMath.Determinant3(r) <= 0)
        {
            qfac = -1;
            for (int i = 0; i < 3; i++) r[i, 2] = -r[i, 2];
        }
        var (_, x, y, z) = AffineMath.MatrixToQuaternion(AffineMath.NearestOrthogonal(r));
        var pix = (double[])PixDim.Clone();
        pix[0] = qfac;
        for (int i = 0; i < 3; i++) pix[i + 1] = zooms[i];
        return this with
        {
            QFormCode = code,
            QuaternB = x, QuaternC = y, QuaternD = z,
            QOffsetX = affine[0, 3], QOffsetY = affine[1, 3], QOffsetZ = affine[2, 3],
            PixDim = pix,
        };
    }

    public NiftiHeader WithSForm(double[,] affine, int code) => this with
    {
        SFormCode = code,
        SRowX = [affine[0, 0], affine[0, 1], affine[0, 2], affine[0, 3]],
        SRowY = [affine[1, 0], affine[1, 1], affine[1, 2], affine[1, 3]],
        SRowZ = [affine[2, 0], affine[2, 1], affine[2, 2], affine[2, 3]],
    };

    /// <summary>This header with another shape (dim[0] from the length) and pixdims of unused dimensions reset to 1.</summary>
    public NiftiHeader WithShape(ReadOnlySpan<long> shape)
    {
        if (shape.Length is < 1 or > 7) throw new ArgumentException("1 to 7 dimensions", nameof(shape));
        var dim = new long[8];
        var pix = (double[])PixDim.Clone();
        dim[0] = shape.Length;
        for (int d = 1; d < 8; d++)
        {
            dim[d] = d <= shape.Length ? shape[d - 1] : 1;
            if (d > shape.Length) pix[d] = 1;
        }
        return this with { Dim = dim, PixDim = pix };
    }

    public NiftiHeader WithDataType(NiftiDataType type) => this with { DataType = type, BitPix = NiftiDataTypes.BitsPerVoxel(type) };

    /// <summary>
    /// Size of the header that starts with these 4 bytes (sizeof_hdr): 348 or 540, and the byte
    /// order in which it reads so.
    /// </summary>
    public static int DetectSize(ReadOnlySpan<byte> first4, string name, out bool bigEndian)
    {
        int le = BinaryPrimitives.ReadInt32LittleEndian(first4);
        int be = BinaryPrimitives.ReadInt32BigEndian(first4);
        bigEndian = false;
        if (le is Nifti1Size or Nifti2Size) return le;
        bigEndian = true;
        if (be is Nifti1Size or Nifti2Size) return be;
        throw Bad(name, $"sizeof_hdr={le}, expected 348 (NIfTI-1) or 540 (NIfTI-2) in either byte order");
    }

    /// <summary>Decodes and validates a header; <paramref name="name"/> names the file in errors.</summary>
    public static NiftiHeader Parse(ReadOnlySpan<byte> bytes, string name)
    {
        if (bytes.Length < 4) throw Bad(name, $"file is {bytes.Length} bytes, too short for a NIfTI header");
        int size = DetectSize(bytes, name, out bool be);
        if (bytes.Length < size) throw Bad(name, $"file is {bytes.Length} bytes, shorter than the {size}-byte header");
        var r = new FieldReader(bytes, be);
        var h = size == Nifti1Size ? ParseNifti1(r, be) : ParseNifti2(r, be);
        return h.Validated(name);
    }

    private static NiftiHeader ParseNifti1(FieldReader r, bool be)
    {
        var dim = new long[8];
        var pix = new double[8];
        for (int i = 0; i < 8; i++)
        {
            dim[i] = r.I16(40 + 2 * i);
            pix[i] = r.F32(76 + 4 * i);
        }
        string magic = r.Text(344, 4);
        return new NiftiHeader
        {
            Version = 1,
            BigEndian = be,
            IsPair = magic.StartsWith("ni1", StringComparison.Ordinal),
            MagicText = magic,
            DimInfo = r.U8(39),
            Dim = dim,
            IntentP1 = r.F32(56), IntentP2 = r.F32(60), IntentP3 = r.F32(64),
            IntentCode = r.I16(68),
            DataType = (NiftiDataType)r.I16(70),
            BitPix = r.I16(72),
            SliceStart = r.I16(74),
            PixDim = pix,
            VoxOffsetRaw = r.F32(108),
            SclSlope = r.F32(112), SclInter = r.F32(116),
            SliceEnd = r.I16(120),
            SliceCode = r.U8(122),
            XyztUnits = r.U8(123),
            CalMax = r.F32(124), CalMin = r.F32(128),
            SliceDuration = r.F32(132), TOffset = r.F32(136),
            Descrip = r.Text(148, 80),
            AuxFile = r.Text(228, 24),
            QFormCode = r.I16(252), SFormCode = r.I16(254),
            QuaternB = r.F32(256), QuaternC = r.F32(260), QuaternD = r.F32(264),
            QOffsetX = r.F32(268), QOffsetY = r.F32(272), QOffsetZ = r.F32(276),
            SRowX = [r.F32(280), r.F32(284), r.F32(288), r.F32(292)],
            SRowY = [r.F32(296), r.F32(300), r.F32(304), r.F32(308)],
            SRowZ = [r.F32(312), r.F32(316), r.F32(320), r.F32(324)],
            IntentName = r.Text(328, 16),
        };
    }

    private static NiftiHeader ParseNifti2(FieldReader r, bool be)
    {
        var dim = new long[8];
        var pix = new double[8];
        for (int i = 0; i < 8; i++)
        {
            dim[i] = r.I64(16 + 8 * i);
            pix[i] = r.F64(104 + 8 * i);
        }
        string magic = r.Text(4, 8);
        return new NiftiHeader
        {
            Version = 2,
            BigEndian = be,
            IsPair = magic.StartsWith("ni2", StringComparison.Ordinal),
            MagicText = magic,
            DataType = (NiftiDataType)r.I16(12),
            BitPix = r.I16(14),
            Dim = dim,
            IntentP1 = r.F64(80), IntentP2 = r.F64(88), IntentP3 = r.F64(96),
            PixDim = pix,
            VoxOffsetRaw = r.I64(168),
            SclSlope = r.F64(176), SclInter = r.F64(184),
            CalMax = r.F64(192), CalMin = r.F64(200),
            SliceDuration = r.F64(208), TOffset = r.F64(216),
            SliceStart = r.I64(224), SliceEnd = r.I64(232),
            Descrip = r.Text(240, 80),
            AuxFile = r.Text(320, 24),
            QFormCode = r.I32(344), SFormCode = r.I32(348),
            QuaternB = r.F64(352), QuaternC = r.F64(360), QuaternD = r.F64(368),
            QOffsetX = r.F64(376), QOffsetY = r.F64(384), QOffsetZ = r.F64(392),
            SRowX = [r.F64(400), r.F64(408), r.F64(416), r.F64(424)],
            SRowY = [r.F64(432), r.F64(440), r.F64(448), r.F64(456)],
            SRowZ = [r.F64(464), r.F64(472), r.F64(480), r.F64(488)],
            SliceCode = r.I32(496),
            XyztUnits = r.I32(500),
            IntentCode = r.I32(504),
            IntentName = r.Text(508, 16),
            DimInfo = r.U8(524),
        };
    }

    // Raw values kept only between decoding and validation.
    private string MagicText { get; init; } = "";
    private double VoxOffsetRaw { get; init; }

    /// <summary>Checks every field an untrusted file can get wrong; returns the header with nibabel's silent fixes applied.</summary>
    private NiftiHeader Validated(string name)
    {
        string expectSingle = Version == 1 ? "n+1" : "n+2", expectPair = Version == 1 ? "ni1" : "ni2";
        if (!MagicText.StartsWith(expectSingle, StringComparison.Ordinal) && !MagicText.StartsWith(expectPair, StringComparison.Ordinal))
            throw Bad(name, $"magic='{Printable(MagicText)}', expected '{expectSingle}' or '{expectPair}' (NIfTI-{Version})");
        if (Dim[0] is < 1 or > 7) throw Bad(name, $"dim[0]={Dim[0]}, expected 1..7");
        long count = 1;
        for (int d = 1; d <= Dim[0]; d++)
        {
            if (Dim[d] < 1) throw Bad(name, $"dim[{d}]={Dim[d]}, expected >= 1");
            try { count = checked(count * Dim[d]); }
            catch (OverflowException) { throw Bad(name, $"dim: voxel count {DimText()} overflows a 64-bit integer"); }
        }
        if (!Enum.IsDefined(DataType)) throw Bad(name, $"datatype={(short)DataType} is not a NIfTI datatype code");
        if (!NiftiDataTypes.IsSupported(DataType)) throw Bad(name, $"datatype={NiftiDataTypes.Name(DataType)} is not supported (complex, float128 and RGBA data cannot be read)");
        int bits = NiftiDataTypes.BitsPerVoxel(DataType);
        if (BitPix != bits) throw Bad(name, $"bitpix={BitPix} disagrees with datatype {NiftiDataTypes.Name(DataType)} ({bits} bits)");
        try { _ = checked(count * (bits / 8)); }
        catch (OverflowException) { throw Bad(name, $"dim: data size of {DimText()} voxels overflows a 64-bit integer"); }
        var pix = (double[])PixDim.Clone();
        for (int d = 1; d <= 3; d++)
        {
            if (d <= Dim[0] && (double.IsNaN(pix[d]) || double.IsInfinity(pix[d]) || pix[d] == 0))
                throw Bad(name, $"pixdim[{d}]={pix[d]}, voxel spacing must be finite and non-zero");
            // nibabel's check_fix: negative spacings are taken absolute, unused zero ones become 1.
            pix[d] = pix[d] == 0 || !double.IsFinite(pix[d]) ? 1 : Math.Abs(pix[d]);
        }
        if (pix[0] is not (1 or -1)) pix[0] = 1;
        if (!double.IsFinite(VoxOffsetRaw) || VoxOffsetRaw < 0 || VoxOffsetRaw != Math.Floor(VoxOffsetRaw))
            throw Bad(name, $"vox_offset={VoxOffsetRaw}, expected a non-negative whole number of bytes");
        long offset = (long)VoxOffsetRaw;
        if (!IsPair && offset < SizeOfHeader)
            throw Bad(name, $"vox_offset={offset} lies inside the {SizeOfHeader}-byte header");
        if (SclSlope != 0 && double.IsFinite(SclSlope) && !double.IsFinite(SclInter))
            throw Bad(name, $"scl_inter={SclInter} is not finite while scl_slope={SclSlope} is valid");
        int qcode = QFormCode is >= 0 and <= 5 ? QFormCode : 0;
        int scode = SFormCode is >= 0 and <= 5 ? SFormCode : 0;
        var fixedHeader = this with { PixDim = pix, VoxOffset = offset, QFormCode = qcode, SFormCode = scode };
        if (scode == 0 && qcode != 0)
        {
            double threshold = -(Version == 1 ? 3 * 1.1920928955078125e-07 : 3 * AffineMath.Float64Eps);
            double w2 = 1.0 - (QuaternB * QuaternB + QuaternC * QuaternC + QuaternD * QuaternD);
            if (double.IsNaN(w2) || w2 < threshold)
                throw Bad(name, $"quatern_b/c/d=({QuaternB}, {QuaternC}, {QuaternD}) is not a unit quaternion");
            if (!AllFinite(fixedHeader.QForm())) throw Bad(name, "qform: quaternion or qoffset is not finite");
        }
        if (scode != 0 && !AllFinite(fixedHeader.SForm())) throw Bad(name, "srow_x/y/z: sform is not finite");
        return fixedHeader;
    }

    private string DimText()
    {
        var sb = new StringBuilder();
        for (int d = 1; d <= Dim[0]; d++) sb.Append(d == 1 ? "" : "×").Append(Dim[d]);
        return sb.ToString();
    }

    private static bool AllFinite(double[,] m)
    {
        foreach (double v in m) if (!double.IsFinite(v)) return false;
        return true;
    }

    private static string Printable(string s)
    {
        var sb = new StringBuilder();
        foreach (char c in s) sb.Append(c is >= ' ' and < (char)127 ? c : '?');
        return sb.ToString();
    }

    internal static InvalidDataException Bad(string name, string problem) => new($"{name}: {problem}");

    /// <summary>
    /// The header as little-endian bytes of the given version; the magic says single file or pair
    /// per <see cref="IsPair"/>. NIfTI-1 cannot hold a dimension above 32767.
    /// </summary>
    public byte[] ToBytes(int version)
    {
        var b = new byte[version == 2 ? Nifti2Size : Nifti1Size];
        var w = new FieldWriter(b);
        if (version == 1)
        {
            for (int i = 0; i < 8; i++)
                if (Dim[i] > short.MaxValue) throw new InvalidOperationException($"dim[{i}]={Dim[i]} does not fit NIfTI-1");
            w.I32(0, Nifti1Size);
            w.U8(38, (byte)'r');
            w.U8(39, DimInfo);
            for (int i = 0; i < 8; i++)
            {
                w.I16(40 + 2 * i, Dim[i]);
                w.F32(76 + 4 * i, PixDim[i]);
            }
            w.F32(56, IntentP1); w.F32(60, IntentP2); w.F32(64, IntentP3);
            w.I16(68, IntentCode);
            w.I16(70, (short)DataType);
            w.I16(72, BitPix);
            w.I16(74, SliceStart);
            w.F32(108, VoxOffset);
            w.F32(112, SclSlope); w.F32(116, SclInter);
            w.I16(120, SliceEnd);
            w.U8(122, SliceCode);
            w.U8(123, XyztUnits);
            w.F32(124, CalMax); w.F32(128, CalMin); w.F32(132, SliceDuration); w.F32(136, TOffset);
            w.Text(148, 80, Descrip);
            w.Text(228, 24, AuxFile);
            w.I16(252, QFormCode); w.I16(254, SFormCode);
            w.F32(256, QuaternB); w.F32(260, QuaternC); w.F32(264, QuaternD);
            w.F32(268, QOffsetX); w.F32(272, QOffsetY); w.F32(276, QOffsetZ);
            for (int j = 0; j < 4; j++)
            {
                w.F32(280 + 4 * j, SRowX[j]);
                w.F32(296 + 4 * j, SRowY[j]);
                w.F32(312 + 4 * j, SRowZ[j]);
            }
            w.Text(328, 16, IntentName);
            w.Text(344, 4, IsPair ? "ni1" : "n+1");
        }
        else
        {
            w.I32(0, Nifti2Size);
            // NIfTI-2 magic carries a line-ending check after the version: "n+2\0\r\n\032\n".
            w.Text(4, 4, IsPair ? "ni2" : "n+2");
            b[8] = 0x0D; b[9] = 0x0A; b[10] = 0x1A; b[11] = 0x0A;
            w.I16(12, (short)DataType);
            w.I16(14, BitPix);
            for (int i = 0; i < 8; i++)
            {
                w.I64(16 + 8 * i, Dim[i]);
                w.F64(104 + 8 * i, PixDim[i]);
            }
            w.F64(80, IntentP1); w.F64(88, IntentP2); w.F64(96, IntentP3);
            w.I64(168, VoxOffset);
            w.F64(176, SclSlope); w.F64(184, SclInter);
            w.F64(192, CalMax); w.F64(200, CalMin); w.F64(208, SliceDuration); w.F64(216, TOffset);
            w.I64(224, SliceStart); w.I64(232, SliceEnd);
            w.Text(240, 80, Descrip);
            w.Text(320, 24, AuxFile);
            w.I32(344, QFormCode); w.I32(348, SFormCode);
            w.F64(352, QuaternB); w.F64(360, QuaternC); w.F64(368, QuaternD);
            w.F64(376, QOffsetX); w.F64(384, QOffsetY); w.F64(392, QOffsetZ);
            for (int j = 0; j < 4; j++)
            {
                w.F64(400 + 8 * j, SRowX[j]);
                w.F64(432 + 8 * j, SRowY[j]);
                w.F64(464 + 8 * j, SRowZ[j]);
            }
            w.I32(496, SliceCode);
            w.I32(500, XyztUnits);
            w.I32(504, IntentCode);
            w.Text(508, 16, IntentName);
            w.U8(524, DimInfo);
        }
        return b;
    }

    /// <summary>Reads fixed-offset fields in the header's byte order.</summary>
    private readonly ref struct FieldReader(ReadOnlySpan<byte> b, bool bigEndian)
    {
        private readonly ReadOnlySpan<byte> _b = b;

        public int U8(int o) => _b[o];
        public short I16(int o) => bigEndian ? BinaryPrimitives.ReadInt16BigEndian(_b[o..]) : BinaryPrimitives.ReadInt16LittleEndian(_b[o..]);
        public int I32(int o) => bigEndian ? BinaryPrimitives.ReadInt32BigEndian(_b[o..]) : BinaryPrimitives.ReadInt32LittleEndian(_b[o..]);
        public long I64(int o) => bigEndian ? BinaryPrimitives.ReadInt64BigEndian(_b[o..]) : BinaryPrimitives.ReadInt64LittleEndian(_b[o..]);
        public double F32(int o) => bigEndian ? BinaryPrimitives.ReadSingleBigEndian(_b[o..]) : BinaryPrimitives.ReadSingleLittleEndian(_b[o..]);
        public double F64(int o) => bigEndian ? BinaryPrimitives.ReadDoubleBigEndian(_b[o..]) : BinaryPrimitives.ReadDoubleLittleEndian(_b[o..]);

        public string Text(int o, int n)
        {
            var s = _b.Slice(o, n);
            int end = s.IndexOf((byte)0);
            return Encoding.Latin1.GetString(end < 0 ? s : s[..end]);
        }
    }

    /// <summary>Writes fixed-offset little-endian fields.</summary>
    private readonly ref struct FieldWriter(Span<byte> b)
    {
        private readonly Span<byte> _b = b;

        public void U8(int o, int v) => _b[o] = (byte)v;
        public void I16(int o, long v) => BinaryPrimitives.WriteInt16LittleEndian(_b[o..], (short)v);
        public void I32(int o, long v) => BinaryPrimitives.WriteInt32LittleEndian(_b[o..], (int)v);
        public void I64(int o, long v) => BinaryPrimitives.WriteInt64LittleEndian(_b[o..], v);
        public void F32(int o, double v) => BinaryPrimitives.WriteSingleLittleEndian(_b[o..], (float)v);
        public void F64(int o, double v) => BinaryPrimitives.WriteDoubleLittleEndian(_b[o..], v);

        public void Text(int o, int n, string s)
        {
            var bytes = Encoding.Latin1.GetBytes(s);
            bytes.AsSpan(0, Math.Min(bytes.Length, n)).CopyTo(_b.Slice(o, n));
        }
    }
}
