using System.Runtime.CompilerServices;

// The tests compare internal fast paths with the general code they must agree with.
[assembly: InternalsVisibleTo("TTL.Imaging.Tests")]
