using System.Collections.Concurrent;
using System.Diagnostics;
using GridSweep.Messages.Sweeps;
using GridSweep.TrainerNode.Data;
using GridSweep.TrainerNode.Training;

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

    public Task<TrainingData> GetAsync(DatasetSpec dataset)
    {
        var wordIndex = wordIndexOverride ?? dataset.WordIndex;
        return loaded.GetOrAdd((dataset.NumWords, wordIndex), key => new Lazy<Task<TrainingData>>(async () =>
        {
            if (key.Item2 is { } path && !File.Exists(path))
                throw new DataSourceException(path, "the sweep's word index is not on this node; give the trainer --word-index");
            var reviews = Source is { } source
                ? await source(key.Item1, key.Item2)
                : await ImdbLoader.LoadAsync(new ImdbLoadOptions(dataPath, key.Item1, key.Item2, cacheDirectory));
            return TrainingData.From(reviews);
        })).Value;
    }
}
