using System.CommandLine;
using System.Globalization;
using TTL.Imaging;
using TTL.Imaging.Resampling;

namespace TTL.Cli.Commands;

/// <summary>`ttl nifti info` and `ttl nifti convert`: header and geometry of files, and format/orientation/type/spacing conversion.</summary>
public static class NiftiCommands
{
    public static Command Create()
    {
        var cmd = new Command("nifti", "inspect and convert NIfTI-1/2 files (.nii, .nii.gz, .hdr/.img)");
        cmd.Subcommands.Add(Info());
        cmd.Subcommands.Add(Convert());
        return cmd;
    }

    private static Command Info()
    {
        var files = new Argument<string[]>("FILE") { Description = "NIfTI files", Arity = ArgumentArity.OneOrMore };
        var json = CommonOptions.Json();
        var cmd = new Command("info", "header and geometry of each file: shape, datatype, spacing, affine (as nibabel chooses it), orientation, transform codes, scaling, units") { files, json };
        cmd.SetAction(pr =>
        {
            var infos = new List<Dictionary<string, object>>();
            foreach (var f in pr.GetValue(files)!) infos.Add(Describe(f, NiftiReader.ReadHeader(f)));
            if (pr.GetValue(json)) CommonOptions.PrintJson(infos);
            else foreach (var i in infos) PrintHuman(i);
            return CliApp.Ok;
        });
        return cmd;
    }

    private static Dictionary<string, object> Describe(string path, NiftiHeader h)
    {
        var affine = h.BestAffine();
        var rows = new double[4][];
        for (int r = 0; r < 4; r++) rows[r] = [affine[r, 0], affine[r, 1], affine[r, 2], affine[r, 3]];
        return new Dictionary<string, object>
        {
            ["path"] = path,
            ["format"] = h.Version == 2 ? "nifti2" : "nifti1",
            ["shape"] = h.Shape,
            ["datatype"] = NiftiDataTypes.Name(h.DataType),
            // Voxel sizes of the affine that is used (equal to pixdim unless the sform says otherwise).
            ["spacing"] = AffineMath.ColumnNorms3(affine),
            ["affine"] = rows,
            ["orientation"] = Orientation.AxisCodes(affine),
            ["qform_code"] = h.QFormCode,
            ["sform_code"] = h.SFormCode,
            ["scl_slope"] = h.SclSlope,
            ["scl_inter"] = h.SclInter,
            ["xyzt_units"] = h.SpatialUnit,
        };
    }

    private static void PrintHuman(Dictionary<string, object> i)
    {
        static string Num(double v) => v.ToString("0.######", CultureInfo.InvariantCulture);
        static string List(IEnumerable<double> v) => string.Join(" × ", v.Select(Num));
        Console.WriteLine((string)i["path"]);
        Console.WriteLine($"  format       {i["format"]}");
        Console.WriteLine($"  shape        {string.Join(" × ", (long[])i["shape"])}");
        Console.WriteLine($"  datatype     {i["datatype"]}");
        Console.WriteLine($"  spacing      {List((double[])i["spacing"])} {i["xyzt_units"]}");
        Console.WriteLine($"  orientation  {i["orientation"]}");
        Console.WriteLine($"  qform/sform  {i["qform_code"]} / {i["sform_code"]}");
        Console.WriteLine($"  scaling      slope {Num((double)i["scl_slope"])}, inter {Num((double)i["scl_inter"])}");
        var rows = (double[][])i["affine"];
        for (int r = 0; r < 4; r++)
            Console.WriteLine((r == 0 ? "  affine       " : "               ") + string.Join("  ", rows[r].Select(v => Num(v).PadLeft(11))));
    }

    private static Command Convert()
    {
        var input = new Argument<string>("IN") { Description = "source file" };
        var output = new Argument<string>("OUT") { Description = "output file: .nii, .nii.gz, .hdr or .img (add .gz to compress the pair)" };
        var canonical = new Option<bool>("--canonical") { Description = "reorient to RAS (nibabel's as_closest_canonical): voxels permuted/flipped, values unchanged" };
        var orientation = new Option<string?>("--orientation") { Description = "reorient to these axis codes instead, e.g. LPS" };
        var dtype = new Option<string?>("--dtype")
        {
            Description = "output datatype: int8, uint8, int16, uint16, int32, uint32, int64, uint64, float32, float64 (scaled values cast, rounded and clamped for integers). Default: the source's; float32 when resampling with linear or bspline",
        };
        var spacing = new Option<string?>("--spacing") { Description = "resample to voxel sizes X,Y,Z in mm (grid as MONAI's Spacing)" };
        var interp = new Option<string>("--interp") { Description = "interpolation for --spacing: linear, nearest (labels) or bspline", DefaultValueFactory = _ => "linear" };
        var level = new Option<int>("--compression-level") { Description = "gzip level 1 (fast) to 9 (small) for .gz outputs", DefaultValueFactory = _ => 6 };
        var threads = CommonOptions.Threads();
        var cmd = new Command("convert", "read, optionally reorient / resample / retype, and write atomically")
        {
            input, output, canonical, orientation, dtype, spacing, interp, level, threads,
        };
        cmd.SetAction(pr =>
        {
            string src = pr.GetValue(input)!, dst = pr.GetValue(output)!;
            int t = pr.GetValue(threads);
            int lvl = pr.GetValue(level);
            if (t < 1) throw new UsageException("--threads must be at least 1");
            if (lvl is < 1 or > 9) throw new UsageException("--compression-level must be 1..9");
            if (!IsNiftiName(dst)) throw new UsageException($"{dst}: output must end in .nii, .nii.gz, .hdr, .img (optionally .gz)");
            string? target = pr.GetValue(canonical) ? "RAS" : null;
            if (pr.GetValue(orientation) is { } o)
            {
                if (target is not null) throw new UsageException("--canonical and --orientation are alternatives");
                try { Orientation.ParseCodes(o); }
                catch (ArgumentException ex) { throw new UsageException(ex.Message); }
                target = o.ToUpperInvariant();
            }
            NiftiDataType? type = null;
            if (pr.GetValue(dtype) is { } d)
            {
                if (!NiftiDataTypes.TryParseWritable(d, out var parsed)) throw new UsageException($"--dtype {d}: unknown or unwritable datatype");
                type = parsed;
            }
            var mode = pr.GetValue(interp) switch
            {
                "linear" => Interpolation.Linear,
                "nearest" => Interpolation.Nearest,
                "bspline" => Interpolation.BSpline,
                var other => throw new UsageException($"--interp {other}: expected linear, nearest or bspline"),
            };
            var readOptions = new NiftiReadOptions { Threads = t };
            if (pr.GetValue(spacing) is { } sp)
            {
                var vox = ParseSpacing(sp);
                var vol = NiftiReader.Read(src, readOptions);
                if (target is not null) vol = Orientation.Reorient(vol, target, t);
                var header = vol.Header;
                var resampled = Resample.ToSpacing(vol, vox, mode);
                resampled = new Volume(resampled.Data, resampled.Channels, resampled.Shape, resampled.Affine) { Header = header };
                var outType = type ?? (mode == Interpolation.Nearest && header is not null && header.DataType != NiftiDataType.Rgb24 && !header.HasScaling
                    ? header.DataType : NiftiDataType.Float32);
                NiftiWriter.Write(resampled, dst, new NiftiWriteOptions { DataType = outType, CompressionLevel = lvl, Threads = t });
                return CliApp.Ok;
            }
            // Without resampling the stored values travel unchanged unless a new type is asked for.
            var img = NiftiReader.ReadRaw(src, readOptions);
            if (target is not null) img = Orientation.Reorient(img, target, t);
            if (type is { } tt) img = img.CastTo(tt, t);
            NiftiWriter.Write(img, dst, lvl);
            return CliApp.Ok;
        });
        return cmd;
    }

    private static bool IsNiftiName(string path)
    {
        string p = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? path[..^3] : path;
        return p.EndsWith(".nii", StringComparison.OrdinalIgnoreCase) || NiftiFiles.IsPairName(path);
    }

    private static double[] ParseSpacing(string text)
    {
        var parts = text.Split(',');
        if (parts.Length != 3) throw new UsageException($"--spacing {text}: expected X,Y,Z");
        var v = new double[3];
        for (int i = 0; i < 3; i++)
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out v[i]) || !(v[i] > 0) || double.IsInfinity(v[i]))
                throw new UsageException($"--spacing {text}: each value must be a positive number of mm");
        return v;
    }
}
