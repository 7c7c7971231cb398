using GridSweep.Runtime.Progress;
using GridSweep.TrainerNode.Data;

using GridSweep.TestKit;

namespace GridSweep.TrainerNode.Tests.Data;

public sealed class EncodedCacheSpecs : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly string _archive;
    private readonly string _cache;

    public EncodedCacheSpecs()
    {
        _archive = ImdbFixtures.WriteArchive(_temp.Combine("fixture.tar.gz"));
        _cache = _temp.Combine("cache");
    }

    public void Dispose() => _temp.Dispose();

    private Task<ReviewDataset> Load(RecordingProgress? progress = null, int numWords = 20) =>
        ImdbLoader.LoadAsync(new ImdbLoadOptions(_archive, numWords, null, _cache), progress);

    private string[] CacheFiles() => Directory.GetFiles(_cache, "imdb-encoded-*.bin");

    [Fact]
    public async Task The_first_load_reads_the_source_and_writes_one_cache_file()
    {
        var progress = new RecordingProgress();

        await Load(progress);

        Assert.Single(CacheFiles());
        Assert.Contains(DataProgress.Read, progress.Stages);
        Assert.Contains(DataProgress.Save, progress.Stages);
        Assert.DoesNotContain(DataProgress.Cache, progress.Stages);
    }

    [Fact]
    public async Task The_second_load_comes_from_the_cache_without_reading_the_source()
    {
        var first = await Load();
        var progress = new RecordingProgress();

        var second = await Load(progress);

        Assert.Equal([DataProgress.Cache], progress.Stages);
        ImdbFixtures.AssertSameData(first, second);
        Assert.Equal(first.Description, second.Description);
    }

    [Fact]
    public async Task A_truncated_cache_file_is_ignored_and_rewritten()
    {
        var first = await Load();
        var file = Assert.Single(CacheFiles());
        var fullLength = new FileInfo(file).Length;
        using (var stream = File.OpenWrite(file))
            stream.SetLength(fullLength / 2);
        var progress = new RecordingProgress();

        var second = await Load(progress);

        Assert.Contains(DataProgress.Read, progress.Stages);
        ImdbFixtures.AssertSameData(first, second);
        Assert.Equal(fullLength, new FileInfo(file).Length);
    }

    [Fact]
    public async Task A_cache_file_with_a_flipped_byte_is_ignored()
    {
        var first = await Load();
        var file = Assert.Single(CacheFiles());
        var bytes = File.ReadAllBytes(file);
        // A token in the middle of the arrays: structurally still valid, only the checksum can tell.
        bytes[bytes.Length - 64] ^= 0x01;
        File.WriteAllBytes(file, bytes);
        var progress = new RecordingProgress();

        var second = await Load(progress);

        Assert.Contains(DataProgress.Read, progress.Stages);
        ImdbFixtures.AssertSameData(first, second);
    }

    [Fact]
    public async Task Another_vocabulary_size_gets_its_own_cache_file()
    {
        await Load(numWords: 20);
        var progress = new RecordingProgress();

        var other = await Load(progress, numWords: 8);

        Assert.Equal(2, CacheFiles().Length);
        Assert.Contains(DataProgress.Read, progress.Stages);
        Assert.All(other.Train.Tokens, t => Assert.InRange(t, 1, 7));
    }

    [Fact]
    public async Task A_changed_source_is_read_again()
    {
        await Load();
        ImdbFixtures.WriteArchive(_archive, files: ImdbFixtures.Files(withUnsup: false).Append(("aclImdb/test/pos/99_9.txt", "added later")));
        File.SetLastWriteTimeUtc(_archive, DateTime.UtcNow.AddMinutes(1));
        var progress = new RecordingProgress();

        var changed = await Load(progress);

        Assert.Contains(DataProgress.Read, progress.Stages);
        Assert.Equal(4, changed.Test.Count);
    }

    [Fact]
    public void A_file_that_is_not_a_cache_is_not_loaded()
    {
        var path = _temp.Combine("garbage.bin");
        File.WriteAllBytes(path, [.. Enumerable.Range(0, 4096).Select(i => (byte)(i * 31))]);

        Assert.Null(EncodedCache.TryLoad(path, 20, null));
    }

    [Fact]
    public void Saving_leaves_no_temporary_files_behind()
    {
        var data = SyntheticReviews.Generate(50, 20, 100, seed: 3);
        var path = EncodedCache.PathFor(_cache, "key");

        EncodedCache.Save(path, data, null);

        Assert.Equal([path], Directory.GetFiles(_cache));
        ImdbFixtures.AssertSameData(data, EncodedCache.TryLoad(path, 100, null)!);
    }

    [Fact]
    public async Task The_cache_holds_each_reviews_distinct_words_as_built_from_its_tokens()
    {
        await Load();
        var progress = new RecordingProgress();

        var cached = await Load(progress);

        Assert.Equal([DataProgress.Cache], progress.Stages);
        foreach (var split in new[] { cached.Train, cached.Test })
        {
            var built = DistinctWords.Of(split);
            Assert.Equal(built.Offsets, split.Distinct.Offsets);
            Assert.Equal(built.Words, split.Distinct.Words);
        }
    }

    [Fact]
    public void A_reviews_distinct_words_are_its_tokens_sorted_without_repeats()
    {
        var split = new ReviewSplit([1f, 0f, 1f], [0, 5, 5, 8], [1, 5, 2, 5, 1, 9, 3, 9]);

        var distinct = DistinctWords.Of(split);

        Assert.Equal([0, 3, 3, 5], distinct.Offsets);
        Assert.Equal([1, 2, 5, 3, 9], distinct.Words);
    }
}
