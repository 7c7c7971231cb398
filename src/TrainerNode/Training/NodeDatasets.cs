using System.Collections.Concurrent;
using System.Diagnostics;
using GridSweep.Messages.Sweeps;
using GridSweep.Runtime.Progress;
using GridSweep.TrainerNode.Data;
namespace GridSweep.TrainerNode.Training;

/// <summary>
/// The datasets of one node: each dataset identity (<see cref="Identity"/>: IMDB with a vocabulary size and word
/// index, Fashion-MNIST, a CSV table with its target, task, split and scaling) is loaded once, when a trial first
/// asks for it, and shared read-only by every slot, however many trials ask for it at the same time.
/// </summary>
/// <param name="dataPath">The node's <c>--data</c>: where the data of the trial's dataset is (an IMDB archive or folder,
/// the Fashion-MNIST folder, a CSV table in place of the sweep's path); null downloads IMDB and Fashion-MNIST into the cache.</param>
/// <param name="allowPartialData">Take an IMDB copy with fewer (or more) reviews than Stanford's 25,000 per split; refused otherwise.</param>
public sealed class NodeDatasets(string? dataPath, string? wordIndexOverride, string cacheDirectory, bool allowPartialData = false)
{
    private readonly ConcurrentDictionary<DatasetSpec, Lazy<Task<TrainingData>>> loaded = new();

    /// <summary>Tests serve reviews from memory here (vocabulary size, word index) instead of IMDB from disk.</summary>
    internal Func<int, string?, Task<ReviewDataset>>? Source { get; init; }

    /// <summary>
    /// Loads a dataset ahead of its trials (a trainer node's <c>--dataset</c>: IMDB with its vocabulary size and this
    /// node's word index, or Fashion-MNIST), builds its rows, and returns how long that took. Call it before the node
    /// joins the cluster: it is seconds of work on every core, which delays a member's heartbeats enough for its
    /// peers to mark it unreachable. Trials that ask for another dataset still load theirs when they arrive.
    /// </summary>
    /// <param name="progress">Reports the load's stages, when this call is the one that loads.</param>
    /// <exception cref="DataSourceException">The data or word index is missing or unreadable.</exception>
    public async Task<(TrainingData Data, TimeSpan Took)> PrepareAsync(DatasetSpec dataset, IProgress<DataProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var watch = Stopwatch.StartNew();
        var data = await GetAsync(dataset, progress, cancellationToken);
        Prepared = data;
        return (data, watch.Elapsed);
    }

    /// <summary>
    /// The dataset <see cref="PrepareAsync"/> loaded ahead of the trials, whose <see cref="TrainingData.Identity"/> the node
    /// announces when it registers; null when it prepared none (a node without <c>--dataset</c>).
    /// </summary>
    public TrainingData? Prepared { get; private set; }

    /// <summary>
    /// The dataset, loaded once per identity and shared. A load that failed is forgotten, so
    /// the next trial tries again: a passing problem (a download cut off, a cache on a full disk) must not fail
    /// every later trial of this node until it restarts.
    /// </summary>
    /// <param name="progress">Reports the load's stages, when this call is the one that loads.</param>
    public Task<TrainingData> GetAsync(DatasetSpec dataset, IProgress<DataProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var key = Identity(dataset);
        var entry = loaded.GetOrAdd(key, k => new Lazy<Task<TrainingData>>(() => LoadAsync(k, progress, cancellationToken)));
        return ForgetIfFailedAsync(key, entry);
    }

    /// <summary>
    /// What makes the dataset the one it is on this node: the fields its name uses, with this node's overrides
    /// (<c>--data</c>, <c>--word-index</c>) applied; the fields of other datasets cleared, so they never split one in two.
    /// </summary>
    internal DatasetSpec Identity(DatasetSpec dataset) => dataset.Name switch
    {
        DatasetNames.Imdb => new DatasetSpec(DatasetNames.Imdb, dataset.NumWords, wordIndexOverride ?? dataset.WordIndex),
        DatasetNames.FashionMnist => new DatasetSpec(DatasetNames.FashionMnist, 0),
        DatasetNames.Csv => dataset with
        {
            NumWords = 0,
            WordIndex = null,
            Path = dataPath is null ? dataset.Path : Path.GetFullPath(dataPath),
            ValidationFraction = dataset.ValidationPath is null ? dataset.ValidationFraction : 0,
        },
        _ => throw new DataSourceException(dataset.Name, "", $"is not a dataset this node knows; known: {string.Join(", ", DatasetNames.All)}"),
    };

    private async Task<TrainingData> ForgetIfFailedAsync(DatasetSpec key, Lazy<Task<TrainingData>> entry)
    {
        try
        {
            return await entry.Value;
        }
        catch
        {
            // Only this failed entry: a newer one another trial added meanwhile stays.
            loaded.TryRemove(new KeyValuePair<DatasetSpec, Lazy<Task<TrainingData>>>(key, entry));
            throw;
        }
    }

    private async Task<TrainingData> LoadAsync(DatasetSpec dataset, IProgress<DataProgress>? progress, CancellationToken cancellationToken)
    {
        switch (dataset.Name)
        {
            case DatasetNames.FashionMnist:
                return TrainingData.From(await FashionMnist.LoadAsync(dataPath, cacheDirectory, progress, cancellationToken));
            case DatasetNames.Csv:
                var path = dataset.Path ?? throw new DataSourceException("CSV", "", "the dataset names no table; give dataset.path or --data");
                // Small next to training, but synchronous file work: off the caller's thread (an actor's mailbox).
                return TrainingData.From(await Task.Run(() => CsvDataset.Load(dataset, path), cancellationToken));
            default:
                return await LoadReviewsAsync(dataset.NumWords, dataset.WordIndex, progress, cancellationToken);
        }
    }

    private async Task<TrainingData> LoadReviewsAsync(int numWords, string? wordIndex, IProgress<DataProgress>? progress, CancellationToken cancellationToken)
    {
        if (wordIndex is { } path && !File.Exists(path))
            throw new DataSourceException(path, "the sweep's word index is not on this node; give the trainer --word-index");
        var reviews = Source is { } source
            ? await source(numWords, wordIndex)
            : await ImdbLoader.LoadAsync(new ImdbLoadOptions(dataPath, numWords, wordIndex, cacheDirectory,
                ReviewsPerSplit: allowPartialData ? null : ImdbArchive.ReviewsPerSplit), progress, cancellationToken);
        return TrainingData.From(reviews);
    }
}
