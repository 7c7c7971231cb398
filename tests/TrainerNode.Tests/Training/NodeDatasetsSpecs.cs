using GridSweep.Messages.Sweeps;
using GridSweep.TrainerNode.Data;
using GridSweep.TrainerNode.Training;

namespace GridSweep.TrainerNode.Tests.Training;

/// <summary>A node loads each dataset once for all its slots, and tries again after a failed load.</summary>
public sealed class NodeDatasetsSpecs : IDisposable
{
    private readonly TempDirectory directory = new("gridsweep-datasets");
    private int loads;

    public void Dispose() => directory.Dispose();

    private NodeDatasets Datasets(Func<int, Task<ReviewDataset>> load) =>
        new(dataPath: null, wordIndexOverride: null, directory.Path)
        {
            Source = (numWords, _) =>
            {
                Interlocked.Increment(ref loads);
                return load(numWords);
            },
        };

    private static ReviewDataset Reviews(int numWords) => SyntheticReviews.Generate(trainCount: 50, testCount: 20, numWords, seed: 1);

    [Fact]
    public async Task A_dataset_is_loaded_once_and_shared_by_every_trial_that_asks_for_it()
    {
        var datasets = Datasets(numWords => Task.FromResult(Reviews(numWords)));

        var first = await datasets.GetAsync(new DatasetSpec("imdb", 100));
        var second = await datasets.GetAsync(new DatasetSpec("imdb", 100));
        var other = await datasets.GetAsync(new DatasetSpec("imdb", 50));

        Assert.Same(first, second);
        Assert.NotSame(first, other);
        Assert.Equal(2, loads);
    }

    [Fact]
    public async Task A_failed_load_is_tried_again_by_the_next_trial()
    {
        var failures = 1;
        var datasets = Datasets(numWords => Interlocked.Decrement(ref failures) >= 0
            ? Task.FromException<ReviewDataset>(new DataSourceException("imdb", "the download was cut off"))
            : Task.FromResult(Reviews(numWords)));

        var error = await Assert.ThrowsAsync<DataSourceException>(() => datasets.GetAsync(new DatasetSpec("imdb", 100)));
        var data = await datasets.GetAsync(new DatasetSpec("imdb", 100));

        Assert.Contains("the download was cut off", error.Message);
        Assert.Equal(100, data.Inputs);
        Assert.Equal(2, loads);
    }
}
