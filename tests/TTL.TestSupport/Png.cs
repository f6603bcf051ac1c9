using System.Buffers.Binary;
using System.IO.Compression;

namespace TTL.TestSupport;

/// <summary>
/// A decoded 8-bit PNG (grey, grey+alpha, RGB or RGBA, not interlaced: what Chromium's screenshots
/// are) as RGBA pixels, row by row; enough to assert on what a page rendered.
/// </summary>
public sealed class Png
{
    public required int Width { get; init; }
    public required int Height { get; init; }
    /// <summary>RGBA, 4 bytes per pixel, rows top to bottom.</summary>
    public required byte[] Rgba { get; init; }

    public (byte R, byte G, byte B) Pixel(int x, int y)
    {
        int o = 4 * (y * Width + x);
        return (Rgba[o], Rgba[o + 1], Rgba[o + 2]);
    }

    public static Png Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 8 || !bytes.AsSpan(0, 8).SequenceEqual(new byte[] { 137, 80, 78, 71, 13, 10, 26, 10 }))
            throw new InvalidDataException($"{path}: not a PNG file");
        int width = 0, height = 0, colorType = 0, at = 8;
        using var idat = new MemoryStream();
        while (at + 8 <= bytes.Length)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(at));
            string type = System.Text.Encoding.ASCII.GetString(bytes, at + 4, 4);
            var data = bytes.AsSpan(at + 8, length);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                if (data[8] != 8 || data[12] != 0) throw new InvalidDataException($"{path}: only 8-bit non-interlaced PNG is read here");
                colorType = data[9];
            }
            else if (type == "IDAT") idat.Write(data);
            else if (type == "IEND") break;
            at += 12 + length;
        }
        int channels = colorType switch { 0 => 1, 2 => 3, 4 => 2, 6 => 4, _ => throw new InvalidDataException($"{path}: PNG colour type {colorType} is not read here") };
        idat.Position = 0;
        using var z = new ZLibStream(idat, CompressionMode.Decompress);
        using var raw = new MemoryStream();
        z.CopyTo(raw);
        var scan = raw.ToArray();
        int stride = width * channels;
        var pixels = new byte[stride * height];
        for (int y = 0; y < height; y++)
        {
            int filter = scan[y * (stride + 1)];
            var src = scan.AsSpan(y * (stride + 1) + 1, stride);
            var row = pixels.AsSpan(y * stride, stride);
            var up = y > 0 ? pixels.AsSpan((y - 1) * stride, stride) : new byte[stride];
            for (int i = 0; i < stride; i++)
            {
                int a = i >= channels ? row[i - channels] : 0, b = up[i], c = i >= channels ? up[i - channels] : 0;
                int predictor = filter switch
                {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) / 2,
                    4 => Paeth(a, b, c),
                    _ => throw new InvalidDataException($"{path}: unknown PNG filter {filter}"),
                };
                row[i] = (byte)(src[i] + predictor);
            }
        }
        var rgba = new byte[width * height * 4];
        for (int p = 0; p < width * height; p++)
        {
            var px = pixels.AsSpan(p * channels, channels);
            (rgba[4 * p], rgba[4 * p + 1], rgba[4 * p + 2], rgba[4 * p + 3]) = channels switch
            {
                1 => (px[0], px[0], px[0], (byte)255),
                2 => (px[0], px[0], px[0], px[1]),
                3 => (px[0], px[1], px[2], (byte)255),
                _ => (px[0], px[1], px[2], px[3]),
            };
        }
        return new Png { Width = width, Height = height, Rgba = rgba };
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
