namespace TTL.Imaging.CropPad;

/// <summary>
/// Random patch positions for segmentation training (MONAI's RandCropByPosNegLabel, nnU-Net's
/// oversampling): with probability <c>foregroundRatio</c> the patch is centred on a random
/// foreground voxel (label &gt; 0), otherwise on a random background voxel (label = 0); the box is
/// then shifted to lie inside the volume where it fits, and centred (padded) where it does not.
/// </summary>
public static class PatchSampler
{
    public static int[] Start(Volume label, int[] size, double foregroundRatio, Random rng)
    {
        if (!(foregroundRatio >= 0 && foregroundRatio <= 1)) throw new ArgumentOutOfRangeException(nameof(foregroundRatio), "foreground ratio lies in [0, 1]");
        var lab = label.Channel(0);
        long fg = 0;
        foreach (var l in lab) if (l > 0) fg++;
        long bg = lab.Length - fg;
        bool wantForeground = rng.NextDouble() < foregroundRatio;
        // A class that does not occur falls back to the other one.
        bool foreground = wantForeground ? fg > 0 : bg == 0;
        long pick = rng.NextInt64(foreground ? fg : bg);
        int centre = 0;
        for (int n = 0; n < lab.Length; n++)
            if ((lab[n] > 0) == foreground && pick-- == 0) { centre = n; break; }
        int[] c = [centre / (label.J * label.K), centre / label.K % label.J, centre % label.K];
        var start = new int[3];
        for (int a = 0; a < 3; a++)
        {
            int n = label.Shape[a];
            start[a] = n >= size[a] ? Math.Clamp(c[a] - size[a] / 2, 0, n - size[a]) : -((size[a] - n) / 2);
        }
        return start;
    }
}
