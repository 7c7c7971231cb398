using GridSweep.Runtime.Progress;
using System.Net;
using System.Security.Cryptography;
using GridSweep.TrainerNode.Data;

using GridSweep.TestKit;

namespace GridSweep.TrainerNode.Tests.Data;

public sealed class ImdbArchiveSpecs : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly byte[] _archive;
    private readonly string _sha256;
    private readonly string _cache;

    public ImdbArchiveSpecs()
    {
        _archive = File.ReadAllBytes(ImdbFixtures.WriteArchive(_temp.Combine("served.tar.gz")));
        _sha256 = Convert.ToHexStringLower(SHA256.HashData(_archive));
        _cache = _temp.Combine("cache");
    }

    public void Dispose() => _temp.Dispose();

    private Task<string> Ensure(LoopbackHttpServer server, string? sha256 = null, long? size = null, RecordingProgress? progress = null) =>
        ImdbArchive.EnsureAsync(_cache, server.UrlOf(ImdbArchive.FileName), sha256 ?? _sha256, size ?? _archive.Length, progress);

    [Fact]
    public async Task A_verified_download_is_stored_under_its_final_name_with_a_sidecar()
    {
        using var server = new LoopbackHttpServer(_archive);
        var progress = new RecordingProgress();

        var path = await Ensure(server, progress: progress);

        Assert.Equal(Path.Combine(_cache, ImdbArchive.FileName), path);
        Assert.Equal(_archive, File.ReadAllBytes(path));
        Assert.StartsWith(_sha256, File.ReadAllText(path + ".sha256"));
        Assert.False(File.Exists(path + ".partial"));
        Assert.Equal(new DataProgress(DataProgress.Download, _archive.Length, _archive.Length), progress.Reports[^1]);
    }

    [Fact]
    public async Task A_cached_archive_is_reused_without_downloading_or_hashing_again()
    {
        using var server = new LoopbackHttpServer(_archive);
        await Ensure(server);
        var progress = new RecordingProgress();

        await Ensure(server, progress: progress);

        Assert.Single(server.Requests);
        Assert.Empty(progress.Reports);
    }

    [Fact]
    public async Task A_cached_archive_without_a_sidecar_is_hashed_once_and_not_downloaded()
    {
        using var server = new LoopbackHttpServer(_archive);
        var path = await Ensure(server);
        File.Delete(path + ".sha256");
        var progress = new RecordingProgress();

        await Ensure(server, progress: progress);

        Assert.Single(server.Requests);
        Assert.Equal([DataProgress.Verify], progress.Stages);
        Assert.True(File.Exists(path + ".sha256"));
    }

    [Fact]
    public async Task A_damaged_cached_archive_is_downloaded_again()
    {
        using var server = new LoopbackHttpServer(_archive);
        var path = await Ensure(server);
        File.WriteAllBytes(path, _archive[..100]);

        await Ensure(server);

        Assert.Equal(2, server.Requests.Count);
        Assert.Equal(_archive, File.ReadAllBytes(path));
    }

    [Fact]
    public async Task A_download_with_the_wrong_hash_leaves_nothing_behind_and_names_url_and_both_hashes()
    {
        using var server = new LoopbackHttpServer(_archive);
        var expected = new string('0', 64);

        var error = await Assert.ThrowsAsync<DataSourceException>(() => Ensure(server, sha256: expected));

        Assert.Contains(server.UrlOf(ImdbArchive.FileName), error.Message);
        Assert.Contains(expected, error.Message);
        Assert.Contains(_sha256, error.Message);
        Assert.Empty(Directory.GetFiles(_cache));
    }

    [Fact]
    public async Task A_download_of_the_wrong_size_leaves_nothing_behind()
    {
        using var server = new LoopbackHttpServer(_archive);

        var error = await Assert.ThrowsAsync<DataSourceException>(() => Ensure(server, size: _archive.Length + 1));

        Assert.Contains($"{_archive.Length + 1}", error.Message);
        Assert.Empty(Directory.GetFiles(_cache));
    }

    [Fact]
    public async Task An_http_error_names_the_url_and_status()
    {
        using var server = new LoopbackHttpServer([], HttpStatusCode.NotFound);

        var error = await Assert.ThrowsAsync<DataSourceException>(() => Ensure(server));

        Assert.Contains(server.UrlOf(ImdbArchive.FileName), error.Message);
        Assert.Contains("404", error.Message);
        Assert.Empty(Directory.GetFiles(_cache));
    }

    [Fact]
    public async Task Loading_without_a_data_path_downloads_the_archive_and_reads_it()
    {
        using var server = new LoopbackHttpServer(_archive);
        var options = new ImdbLoadOptions(null, 20, null, _cache, server.UrlOf(ImdbArchive.FileName), _sha256, _archive.Length);

        var data = await ImdbLoader.LoadAsync(options);

        Assert.Single(server.Requests);
        Assert.Equal((5, 3), (data.Train.Count, data.Test.Count));
        Assert.StartsWith($"IMDB {ImdbArchive.FileName}: 5 train / 3 test", data.Description);
    }
}
