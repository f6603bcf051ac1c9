namespace TTL.Imaging.Resampling;

/// <summary>
/// How a value between voxel centres is computed. The numeric values are the spline orders, the
/// same numbers scipy.ndimage takes as <c>order</c>.
/// </summary>
public enum Interpolation
{
    /// <summary>Value of the closest voxel centre (round half up); the only choice for labels.</summary>
    Nearest = 0,

    /// <summary>Trilinear.</summary>
    Linear = 1,

    /// <summary>Cubic B-spline on prefiltered coefficients, so the spline passes through the samples.</summary>
    BSpline = 3,
}

/// <summary>What a sample position outside the source grid's voxel centres sees.</summary>
public enum BoundaryMode
{
    /// <summary>
    /// The edge voxels extend outwards (scipy.ndimage <c>mode='nearest'</c>). The default: the
    /// slab of a resampled grid that sticks out past the last voxel centre keeps tissue values
    /// instead of turning into an artificial zero border.
    /// </summary>
    Border,

    /// <summary>
    /// Positions outside [0, n−1] on any axis get the fill value (scipy.ndimage <c>mode='constant'</c>);
    /// inside, spline taps past the edge are mirrored.
    /// </summary>
    Constant,
}
