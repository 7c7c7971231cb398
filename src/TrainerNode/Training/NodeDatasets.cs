using System.Collections.Concurrent;
using System.Diagnostics;
using GridSweep.Messages.Sweeps;
using GridSweep.Runtime.Progress;
using GridSweep.TrainerNode.Data;
namespace GridSweep.TrainerNode.Training;

/// <summary>
/// The datasets of one node: each (vocabulary size, word index) is loaded once and shared read-only by
/// every slot, however many trials ask for it at the same time.
/// </summary>
public sealed class NodeDatasets(string? dataPath, string? wordIndexOverride, string cacheDirectory)
{
    private readonly ConcurrentDictionary<(int, string?), Lazy<Task<TrainingData>>> loaded = new();

    /// <summary>Tests serve reviews from memory here (vocabulary size, word index) instead of IMDB from disk.</summary>
    internal Func<int, string?, Task<ReviewDataset>>? Source { get; init; }

    /// <summary>
    /// Loads the default dataset (IMDB, <paramref name="numWords"/> words, this node's word index) and builds its
    /// multi-hot rows, and returns how long that took. Call it before the node joins the cluster: it is seconds
    /// of work on every core, which delays a member's heartbeats enough for its peers to mark it unreachable.
    /// Trials that ask for another vocabulary or word index still load theirs when they arrive.
    /// </summary>
    /// <exception cref="DataSourceException">The data or word index is missing or unreadable.</exception>
    public async Task<(TrainingData Data, TimeSpan Took)> PrepareAsync(int numWords)
    {
        var watch = Stopwatch.StartNew();
        var data = await GetAsync(new DatasetSpec("imdb", numWords));
        return (data, watch.Elapsed);
    }

    /// <summary>
    /// The dataset, loaded once per (vocabulary size, word index) and shared. A load that failed is forgotten, so
    /// the next trial tries again: a passing problem (a download cut off, a cache on a full disk) must not fail
    /// every later trial of this node until it restarts.
    /// </summary>
    /// <param name="progress">Reports the load's stages, when this call is the one that loads.</param>
    public Task<TrainingData> GetAsync(DatasetSpec dataset, IProgress<DataProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var key = (dataset.NumWords, wordIndexOverride ?? dataset.WordIndex);
        var entry = loaded.GetOrAdd(key, k => new Lazy<Task<TrainingData>>(() => LoadAsync(k.Item1, k.Item2, progress, cancellationToken)));
        return ForgetIfFailedAsync(key, entry);
    }

    private async Task<TrainingData> ForgetIfFailedAsync((int, string?) key, Lazy<Task<TrainingData>> entry)
    {
        try
        {
            return await entry.Value;
        }
        catch
        {
            // Only this failed entry: a newer one another trial added meanwhile stays.
            loaded.TryRemove(new KeyValuePair<(int, string?), Lazy<Task<TrainingData>>>(key, entry));
            throw;
        }
    }

    private async Task<TrainingData> LoadAsync(int numWords, string? wordIndex, IProgress<DataProgress>? progress, CancellationToken cancellationToken)
    {
        if (wordIndex is { } path && !File.Exists(path))
            throw new DataSourceException(path, "the sweep's word index is not on this node; give the trainer --word-index");
        var reviews = Source is { } source
            ? await source(numWords, wordIndex)
            : await ImdbLoader.LoadAsync(new ImdbLoadOptions(dataPath, numWords, wordIndex, cacheDirectory), progress, cancellationToken);
        return TrainingData.From(reviews);
    }
}
