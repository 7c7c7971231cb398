using System.Globalization;
using System.Security.Cryptography;
using GridSweep.Runtime.Progress;

namespace GridSweep.TrainerNode.Data;

/// <summary>
/// Downloads Stanford's <c>aclImdb_v1.tar.gz</c> into the cache directory once, verified by size and SHA-256.
/// A verified archive is remembered in a <c>.sha256</c> sidecar, so later runs neither download nor hash it again.
/// </summary>
public static class ImdbArchive
{
    public const string DefaultUrl = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz";
    public const long ExpectedSize = 84125825;
    public const string ExpectedSha256 = "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe";
    public const string FileName = "aclImdb_v1.tar.gz";

    private const string PartialSuffix = ".partial";
    private const string SidecarSuffix = ".sha256";
    private const int BufferSize = 1 << 16;
    private const long ReportEveryBytes = 1 << 20;

    // A stalled connection fails instead of hanging; HttpClient.Timeout does not cover reading the body.
    private static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(60);
    private static readonly HttpClient Http = new() { Timeout = StallTimeout };

    /// <summary>The path of the verified archive in <paramref name="cacheDirectory"/>, downloading it if needed.</summary>
    public static async Task<string> EnsureAsync(
        string cacheDirectory,
        string url = DefaultUrl,
        string expectedSha256 = ExpectedSha256,
        long expectedSize = ExpectedSize,
        IProgress<DataProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        expectedSha256 = expectedSha256.ToLowerInvariant();
        Directory.CreateDirectory(cacheDirectory);
        var archive = Path.Combine(cacheDirectory, FileName);

        if (File.Exists(archive))
        {
            if (IsRememberedAsVerified(archive, expectedSha256))
                return archive;
            var (size, sha256) = await HashFileAsync(archive, progress, cancellationToken);
            if (size == expectedSize && sha256 == expectedSha256)
            {
                RememberVerified(archive, sha256);
                return archive;
            }
            // Damaged, or another version than the one asked for: fetch it again.
            File.Delete(archive);
        }

        await DownloadAsync(url, archive, expectedSha256, expectedSize, progress, cancellationToken);
        RememberVerified(archive, expectedSha256);
        return archive;
    }

    private static async Task DownloadAsync(
        string url,
        string archive,
        string expectedSha256,
        long expectedSize,
        IProgress<DataProgress>? progress,
        CancellationToken cancellationToken)
    {
        var partial = archive + PartialSuffix;
        File.Delete(SidecarPath(archive));
        try
        {
            using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            using var response = await Http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, stall.Token);
            if (!response.IsSuccessStatusCode)
                throw new DataSourceException(url, $"download failed: HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
            if (response.Content.Headers.ContentLength is { } announced && announced != expectedSize)
                throw new DataSourceException(url, $"the server announces {announced} bytes, expected {expectedSize}");

            var stage = new StageProgress(progress, DataProgress.Download, expectedSize);
            stage.Start();
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var size = 0L;
            await using (var body = await response.Content.ReadAsStreamAsync(stall.Token))
            await using (var file = OpenPartial(partial))
            {
                var buffer = new byte[BufferSize];
                var reported = 0L;
                int read;
                stall.CancelAfter(StallTimeout);
                while ((read = await body.ReadAsync(buffer, stall.Token)) > 0)
                {
                    stall.CancelAfter(StallTimeout);
                    size += read;
                    if (size > expectedSize)
                        throw new DataSourceException(url, $"the download is larger than the expected {expectedSize} bytes");
                    hash.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                    if (size - reported >= ReportEveryBytes)
                    {
                        reported = size;
                        stage.Set(size);
                    }
                }
                stage.Set(size);
            }

            if (size != expectedSize)
                throw new DataSourceException(url, $"downloaded {size} bytes, expected {expectedSize}");
            var actualSha256 = Convert.ToHexStringLower(hash.GetHashAndReset());
            if (actualSha256 != expectedSha256)
                throw new DataSourceException(url, $"the download has SHA-256 {actualSha256}, expected {expectedSha256}; it was deleted");
            File.Move(partial, archive, overwrite: true);
        }
        catch (HttpRequestException e)
        {
            File.Delete(partial);
            throw new DataSourceException(url, $"download failed: {e.Message}; no network? pass --data with a local aclImdb_v1.tar.gz or its extracted folder", e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            File.Delete(partial);
            throw new DataSourceException(url, $"download stalled: no data for {StallTimeout.TotalSeconds:0} s", e);
        }
        catch
        {
            File.Delete(partial);
            throw;
        }
    }

    private static FileStream OpenPartial(string partial)
    {
        try
        {
            return new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, BufferSize, useAsync: true);
        }
        catch (IOException e)
        {
            throw new DataSourceException(partial, "cannot write the download; another process may be downloading it right now", e);
        }
    }

    private static async Task<(long Size, string Sha256)> HashFileAsync(
        string path,
        IProgress<DataProgress>? progress,
        CancellationToken cancellationToken)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, useAsync: true);
        var stage = new StageProgress(progress, DataProgress.Verify, file.Length);
        stage.Start();
        var sha256 = await SHA256.HashDataAsync(file, cancellationToken);
        stage.Set(file.Length);
        return (file.Length, Convert.ToHexStringLower(sha256));
    }

    private static string SidecarPath(string archive) => archive + SidecarSuffix;

    // The sidecar holds the hash with the size and modification time it was computed for; touching the archive invalidates it.
    private static string SidecarLine(string archive, string sha256)
    {
        var info = new FileInfo(archive);
        return string.Create(CultureInfo.InvariantCulture, $"{sha256} {info.Length} {info.LastWriteTimeUtc.Ticks}");
    }

    private static bool IsRememberedAsVerified(string archive, string expectedSha256)
    {
        var sidecar = SidecarPath(archive);
        return File.Exists(sidecar) && File.ReadAllText(sidecar).Trim() == SidecarLine(archive, expectedSha256);
    }

    private static void RememberVerified(string archive, string sha256)
    {
        var sidecar = SidecarPath(archive);
        var temporary = $"{sidecar}.{Environment.ProcessId}.tmp";
        File.WriteAllText(temporary, SidecarLine(archive, sha256) + "\n");
        File.Move(temporary, sidecar, overwrite: true);
    }
}
