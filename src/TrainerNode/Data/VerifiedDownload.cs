using System.Globalization;
using System.Security.Cryptography;
using GridSweep.Runtime.Progress;

namespace GridSweep.TrainerNode.Data;

/// <summary>A file a dataset downloads into the cache, and what it must hash to.</summary>
/// <param name="Dataset">Names the dataset in errors (<c>IMDB</c>, <c>Fashion-MNIST</c>).</param>
/// <param name="Algorithm">SHA-256 or MD5: whichever the publisher lists.</param>
/// <param name="Hash">Hex, either case.</param>
/// <param name="Size">Bytes, when the publisher lists them; null checks the hash only.</param>
/// <param name="OfflineHint">What to do without network, e.g. which <c>--data</c> to pass.</param>
public sealed record DownloadedFile(
    string Dataset,
    string FileName,
    string Url,
    HashAlgorithmName Algorithm,
    string Hash,
    long? Size,
    string OfflineHint)
{
    /// <summary>The algorithm as people write it in messages.</summary>
    internal string AlgorithmLabel => Algorithm == HashAlgorithmName.SHA256 ? "SHA-256" : Algorithm.Name!;

    /// <summary>The sidecar's suffix, e.g. <c>.sha256</c>, <c>.md5</c>.</summary>
    internal string SidecarSuffix => "." + Algorithm.Name!.ToLowerInvariant();
}

/// <summary>
/// Downloads a file into the cache directory once, verified by its hash (and size, when known), with progress.
/// A verified file is remembered in a sidecar (<c>&lt;file&gt;.sha256</c>, <c>.md5</c>), so later runs neither
/// download nor hash it again. Every dataset that downloads goes through here.
/// </summary>
public static class VerifiedDownload
{
    private const string PartialSuffix = ".partial";
    private const int BufferSize = 1 << 16;
    private const long ReportEveryBytes = 1 << 20;

    // A stalled connection fails instead of hanging; HttpClient.Timeout does not cover reading the body.
    private static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(60);
    private static readonly HttpClient Http = new() { Timeout = StallTimeout };

    /// <summary>The path of the verified file in <paramref name="cacheDirectory"/>, downloading it if needed.</summary>
    public static async Task<string> EnsureAsync(
        string cacheDirectory,
        DownloadedFile expected,
        IProgress<DataProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        expected = expected with { Hash = expected.Hash.ToLowerInvariant() };
        Directory.CreateDirectory(cacheDirectory);
        var target = Path.Combine(cacheDirectory, expected.FileName);

        if (File.Exists(target))
        {
            if (IsRememberedAsVerified(target, expected))
                return target;
            var (size, hash) = await HashFileAsync(target, expected.Algorithm, progress, cancellationToken);
            if ((expected.Size is null || size == expected.Size) && hash == expected.Hash)
            {
                RememberVerified(target, expected);
                return target;
            }
            // Damaged, or another version than the one asked for: fetch it again.
            File.Delete(target);
        }

        await DownloadAsync(target, expected, progress, cancellationToken);
        RememberVerified(target, expected);
        return target;
    }

    private static async Task DownloadAsync(string target, DownloadedFile expected, IProgress<DataProgress>? progress, CancellationToken cancellationToken)
    {
        var url = expected.Url;
        var partial = target + PartialSuffix;
        File.Delete(SidecarPath(target, expected));
        try
        {
            using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            using var response = await Http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, stall.Token);
            if (!response.IsSuccessStatusCode)
                throw new DataSourceException(expected.Dataset, url, $"download failed: HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
            var announced = response.Content.Headers.ContentLength;
            if (expected.Size is { } size && announced is { } length && length != size)
                throw new DataSourceException(expected.Dataset, url, $"the server announces {length} bytes, expected {size}");

            var total = expected.Size ?? announced ?? 0;
            var stage = new StageProgress(progress, DataProgress.Download, total);
            stage.Start();
            using var hash = IncrementalHash.CreateHash(expected.Algorithm);
            var received = 0L;
            await using (var body = await response.Content.ReadAsStreamAsync(stall.Token))
            await using (var file = OpenPartial(partial, expected.Dataset))
            {
                var buffer = new byte[BufferSize];
                var reported = 0L;
                int read;
                stall.CancelAfter(StallTimeout);
                while ((read = await body.ReadAsync(buffer, stall.Token)) > 0)
                {
                    stall.CancelAfter(StallTimeout);
                    received += read;
                    if (received > expected.Size)
                        throw new DataSourceException(expected.Dataset, url, $"the download is larger than the expected {expected.Size} bytes");
                    hash.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                    if (received - reported >= ReportEveryBytes)
                    {
                        reported = received;
                        stage.Set(received);
                    }
                }
                stage.Set(received);
            }

            if (expected.Size is { } wanted && received != wanted)
                throw new DataSourceException(expected.Dataset, url, $"downloaded {received} bytes, expected {wanted}");
            var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
            if (actual != expected.Hash)
                throw new DataSourceException(expected.Dataset, url, $"the download has {expected.AlgorithmLabel} {actual}, expected {expected.Hash}; it was deleted");
            File.Move(partial, target, overwrite: true);
        }
        catch (HttpRequestException e)
        {
            File.Delete(partial);
            throw new DataSourceException(expected.Dataset, url, $"download failed: {e.Message}; no network? {expected.OfflineHint}", e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            File.Delete(partial);
            throw new DataSourceException(expected.Dataset, url, $"download stalled: no data for {StallTimeout.TotalSeconds:0} s", e);
        }
        catch
        {
            File.Delete(partial);
            throw;
        }
    }

    private static FileStream OpenPartial(string partial, string dataset)
    {
        try
        {
            return new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, BufferSize, useAsync: true);
        }
        catch (IOException e)
        {
            throw new DataSourceException(dataset, partial, "cannot write the download; another process may be downloading it right now", e);
        }
    }

    private static async Task<(long Size, string Hash)> HashFileAsync(
        string path,
        HashAlgorithmName algorithm,
        IProgress<DataProgress>? progress,
        CancellationToken cancellationToken)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, useAsync: true);
        var stage = new StageProgress(progress, DataProgress.Verify, file.Length);
        stage.Start();
        using var hash = IncrementalHash.CreateHash(algorithm);
        var buffer = new byte[BufferSize];
        int read;
        while ((read = await file.ReadAsync(buffer, cancellationToken)) > 0)
            hash.AppendData(buffer, 0, read);
        stage.Set(file.Length);
        return (file.Length, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    private static string SidecarPath(string target, DownloadedFile expected) => target + expected.SidecarSuffix;

    // The sidecar holds the hash with the size and modification time it was computed for; touching the file invalidates it.
    private static string SidecarLine(string target, string hash)
    {
        var info = new FileInfo(target);
        return string.Create(CultureInfo.InvariantCulture, $"{hash} {info.Length} {info.LastWriteTimeUtc.Ticks}");
    }

    private static bool IsRememberedAsVerified(string target, DownloadedFile expected)
    {
        var sidecar = SidecarPath(target, expected);
        return File.Exists(sidecar) && File.ReadAllText(sidecar).Trim() == SidecarLine(target, expected.Hash);
    }

    private static void RememberVerified(string target, DownloadedFile expected)
    {
        var sidecar = SidecarPath(target, expected);
        var temporary = $"{sidecar}.{Environment.ProcessId}.tmp";
        File.WriteAllText(temporary, SidecarLine(target, expected.Hash) + "\n");
        File.Move(temporary, sidecar, overwrite: true);
    }
}
