using TTL.Imaging;

namespace TTL.Training.Tests;

/// <summary>Tiny NIfTI datasets made by the tests: a bright cube marks class 1 / the lesion.</summary>
public static class SyntheticData
{
    public static readonly double[,] Affine = { { 1.2, 0, 0, 3 }, { 0, 1.2, 0, -4 }, { 0, 0, 2.0, 5 }, { 0, 0, 0, 1 } };

    /// <summary>Writes an MSD classification dataset.json with <paramref name="cases"/> volumes of size³.</summary>
    public static string Classification(string dir, int cases, int size = 16, int seed = 1)
    {
        var rng = new Random(seed);
        var entries = new List<string>();
        for (int i = 0; i < cases; i++)
        {
            int label = i % 2;
            var data = new float[size * size * size];
            for (int v = 0; v < data.Length; v++) data[v] = (float)(rng.NextDouble() * 0.5);
            if (label == 1)
            {
                int c0 = rng.Next(2, size - 7), c1 = rng.Next(2, size - 7), c2 = rng.Next(2, size - 7);
                for (int a = 0; a < 5; a++) for (int b = 0; b < 5; b++) for (int c = 0; c < 5; c++)
                    data[((c0 + a) * size + c1 + b) * size + c2 + c] += 2f;
            }
            string rel = $"imagesTr/case{i:D3}.nii.gz";
            Directory.CreateDirectory(Path.Combine(dir, "imagesTr"));
            NiftiWriter.Write(new Volume(data, 1, [size, size, size], Affine), Path.Combine(dir, rel));
            entries.Add($"{{\"image\": \"./{rel}\", \"label\": {label}}}");
        }
        string json = Path.Combine(dir, "dataset.json");
        File.WriteAllText(json, "{\"labels\": {\"0\": \"normal\", \"1\": \"cube\"}, \"training\": [" + string.Join(", ", entries) + "]}");
        return json;
    }

    /// <summary>Writes an MSD segmentation dataset.json: the cube's voxels are label 1.</summary>
    public static string Segmentation(string dir, int cases, int size = 20, int seed = 2)
    {
        var rng = new Random(seed);
        var entries = new List<string>();
        Directory.CreateDirectory(Path.Combine(dir, "imagesTr"));
        Directory.CreateDirectory(Path.Combine(dir, "labelsTr"));
        for (int i = 0; i < cases; i++)
        {
            var data = new float[size * size * size];
            var label = new float[data.Length];
            for (int v = 0; v < data.Length; v++) data[v] = (float)(rng.NextDouble() * 0.5);
            int c0 = rng.Next(1, size - 7), c1 = rng.Next(1, size - 7), c2 = rng.Next(1, size - 7);
            for (int a = 0; a < 6; a++) for (int b = 0; b < 6; b++) for (int c = 0; c < 6; c++)
            {
                int v = ((c0 + a) * size + c1 + b) * size + c2 + c;
                data[v] += 2f;
                label[v] = 1;
            }
            NiftiWriter.Write(new Volume(data, 1, [size, size, size], Affine), Path.Combine(dir, $"imagesTr/s{i:D3}.nii.gz"));
            NiftiWriter.Write(new Volume(label, 1, [size, size, size], Affine), Path.Combine(dir, $"labelsTr/s{i:D3}.nii.gz"));
            entries.Add($"{{\"image\": \"./imagesTr/s{i:D3}.nii.gz\", \"label\": \"./labelsTr/s{i:D3}.nii.gz\"}}");
        }
        string json = Path.Combine(dir, "dataset.json");
        File.WriteAllText(json, "{\"labels\": {\"0\": \"background\", \"1\": \"cube\"}, \"training\": [" + string.Join(", ", entries) + "]}");
        return json;
    }
}
