using System.Globalization;
using GridSweep.Messages.Protocol;
using GridSweep.Runtime.Progress;

namespace GridSweep.TrainerNode.Data;

/// <param name="DataPath">Stanford's aclImdb .tar.gz, or the folder it extracts to; null downloads the archive into the cache.</param>
/// <param name="NumWords">Keras' <c>num_words</c>: indices at or beyond it become out-of-vocabulary (2).</param>
/// <param name="WordIndexPath">A Keras <c>imdb_word_index.json</c>; null ranks words by their frequency in the train split.</param>
/// <param name="CacheDirectory">Holds the download and the encoded datasets; see <see cref="Data.CacheDirectory.Default"/>.</param>
/// <param name="ReviewsPerSplit">How many reviews each split must hold (<see cref="ImdbArchive.ReviewsPerSplit"/> for Stanford's
/// copy); a source with another count is refused as incomplete. Null takes any count (test fixtures, a chosen subset).</param>
public sealed record ImdbLoadOptions(
    string? DataPath,
    int NumWords,
    string? WordIndexPath,
    string CacheDirectory,
    string DownloadUrl = ImdbArchive.DefaultUrl,
    string ExpectedSha256 = ImdbArchive.ExpectedSha256,
    long ExpectedSize = ImdbArchive.ExpectedSize,
    int? ReviewsPerSplit = null);

/// <summary>
/// Loads the labelled IMDB reviews encoded Keras-style. The first load reads the source (downloading it if no
/// path is given), ranks the words, encodes both splits and caches the result; later loads of the same
/// source, vocabulary size and word index read the cache.
/// </summary>
public static class ImdbLoader
{
    private const int ChunkSize = 256;

    public static Task<ReviewDataset> LoadAsync(
        ImdbLoadOptions options,
        IProgress<DataProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.NumWords, WordIndex.IndexFrom);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.CacheDirectory);
        return LoadCoreAsync(options, progress, cancellationToken);
    }

    private static async Task<ReviewDataset> LoadCoreAsync(
        ImdbLoadOptions options,
        IProgress<DataProgress>? progress,
        CancellationToken cancellationToken)
    {
        var dataPath = options.DataPath
            ?? await ImdbArchive.EnsureAsync(
                options.CacheDirectory, options.DownloadUrl, options.ExpectedSha256, options.ExpectedSize, progress, cancellationToken);
        // Reading and encoding are seconds of synchronous CPU work: keep them off the caller's thread (an actor's mailbox, a UI loop).
        var dataset = await Task.Run(() => Load(dataPath, options, progress, cancellationToken), cancellationToken);
        CheckComplete(dataPath, dataset, options.ReviewsPerSplit);
        return dataset;
    }

    /// <summary>A copy missing reviews would train and compare trials on other data than the study says; it is refused, counted.</summary>
    private static void CheckComplete(string dataPath, ReviewDataset dataset, int? expected)
    {
        if (expected is not { } perSplit || (dataset.Train.Count == perSplit && dataset.Test.Count == perSplit))
            return;
        var train = dataset.Train.Count;
        var test = dataset.Test.Count;
        var gap = train + test < 2 * perSplit ? "missing" : "too many";
        var counts = string.Create(CultureInfo.InvariantCulture,
            $"found {train:N0} training and {test:N0} test reviews, expected {perSplit:N0} of each ({Math.Abs(perSplit - train):N0} training and {Math.Abs(perSplit - test):N0} test reviews {gap})");
        throw new DataSourceException(Path.GetFullPath(dataPath),
            $"is incomplete: {counts}. Use a complete copy of Stanford's archive, or give --allow-partial-data to train on this one anyway");
    }

    private static ReviewDataset Load(string dataPath, ImdbLoadOptions options, IProgress<DataProgress>? progress, CancellationToken cancellationToken)
    {
        var source = ImdbSource.Open(dataPath);
        var cacheFile = EncodedCache.PathFor(options.CacheDirectory, CacheKey(source, options));
        if (EncodedCache.TryLoad(cacheFile, options.NumWords, progress) is { } cached)
            return cached;

        var reviews = source.Read(progress, cancellationToken);
        var index = options.WordIndexPath is null
            ? WordIndex.FromFrequencies(reviews.Train.Select(r => r.Text).ToArray(), progress, cancellationToken)
            : WordIndex.LoadKeras(options.WordIndexPath);

        var stage = new StageProgress(progress, DataProgress.Encode, reviews.Train.Length + reviews.Test.Length);
        stage.Start();
        var train = Encode(reviews.Train, index, options.NumWords, stage, cancellationToken);
        var test = Encode(reviews.Test, index, options.NumWords, stage, cancellationToken);
        var description = string.Create(CultureInfo.InvariantCulture,
            $"IMDB {source.Name}: {train.Count} train / {test.Count} test, {options.NumWords} words, {index.Origin}");
        var dataset = new ReviewDataset(train, test, options.NumWords, description, Identity(source, reviews, index, options),
            new MultiHotWords(options.NumWords, index.Origin, index.Columns(options.NumWords)));

        EncodedCache.Save(cacheFile, dataset, progress);
        return dataset;
    }

    /// <summary>
    /// The files the reviews were encoded from, hashed as they were read: the archive or folder (<c>dataset</c>) and the
    /// Keras word index (<c>word_index</c>) when one ranked the words. Saved in the cache with the encoding, so a load
    /// from the cache has the identity of the bytes that encoding came from without reading the source again.
    /// </summary>
    private static DataIdentity Identity(ImdbSource source, RawReviews reviews, WordIndex index, ImdbLoadOptions options)
    {
        List<DataSource> sources = [reviews.Digest.As(DataRoles.Dataset, source.FullPath)];
        if (index.Digest is { } wordIndex)
            sources.Add(wordIndex.As(DataRoles.WordIndex, options.WordIndexPath!));
        return new DataIdentity(sources);
    }

    /// <summary>Everything the encoding depends on, so a changed source, vocabulary or word index never reuses a stale cache.</summary>
    private static string CacheKey(ImdbSource source, ImdbLoadOptions options)
    {
        var wordIndex = "train-frequency";
        if (options.WordIndexPath is not null)
        {
            var info = new FileInfo(options.WordIndexPath);
            if (!info.Exists)
                throw new DataSourceException(info.FullName, "the word index file does not exist");
            wordIndex = $"{info.FullName}|{info.Length}|{info.LastWriteTimeUtc.Ticks}";
        }
        return string.Create(CultureInfo.InvariantCulture, $"imdb-encoded|{source.Fingerprint}|num_words={options.NumWords}|index={wordIndex}");
    }

    private static ReviewSplit Encode(RawReview[] reviews, WordIndex index, int numWords, StageProgress stage, CancellationToken cancellationToken)
    {
        var encoded = new int[reviews.Length][];
        Chunked.For(
            reviews.Length,
            ChunkSize,
            cancellationToken,
            static () => (Tokenizer: new KerasTokenizer(), Buffer: new List<int>(1024)),
            (start, end, local) =>
            {
                for (var i = start; i < end; i++)
                {
                    local.Buffer.Clear();
                    index.Encode(reviews[i].Text, numWords, local.Tokenizer, local.Buffer);
                    encoded[i] = [.. local.Buffer];
                }
                stage.Add(end - start);
            });

        var labels = new float[reviews.Length];
        var offsets = new int[reviews.Length + 1];
        for (var i = 0; i < reviews.Length; i++)
        {
            labels[i] = reviews[i].Positive ? 1f : 0f;
            offsets[i + 1] = checked(offsets[i] + encoded[i].Length);
        }
        var tokens = new int[offsets[^1]];
        for (var i = 0; i < reviews.Length; i++)
            encoded[i].CopyTo(tokens, offsets[i]);
        return new ReviewSplit(labels, offsets, tokens);
    }
}
