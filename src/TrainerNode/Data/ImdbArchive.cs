using System.Security.Cryptography;
using GridSweep.Runtime.Progress;

namespace GridSweep.TrainerNode.Data;

/// <summary>
/// Downloads Stanford's <c>aclImdb_v1.tar.gz</c> into the cache directory once, verified by size and SHA-256
/// (<see cref="VerifiedDownload"/>): later runs neither download nor hash it again.
/// </summary>
public static class ImdbArchive
{
    public const string DefaultUrl = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz";
    public const long ExpectedSize = 84125825;
    public const string ExpectedSha256 = "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe";
    public const string FileName = "aclImdb_v1.tar.gz";

    /// <summary>Labelled reviews in each of Stanford's splits (train and test), half positive, half negative.</summary>
    public const int ReviewsPerSplit = 25_000;

    /// <summary>The path of the verified archive in <paramref name="cacheDirectory"/>, downloading it if needed.</summary>
    public static Task<string> EnsureAsync(
        string cacheDirectory,
        string url = DefaultUrl,
        string expectedSha256 = ExpectedSha256,
        long expectedSize = ExpectedSize,
        IProgress<DataProgress>? progress = null,
        CancellationToken cancellationToken = default) =>
        VerifiedDownload.EnsureAsync(
            cacheDirectory,
            new DownloadedFile("IMDB", FileName, url, HashAlgorithmName.SHA256, expectedSha256, expectedSize,
                "pass --data with a local aclImdb_v1.tar.gz or its extracted folder"),
            progress,
            cancellationToken);
}
