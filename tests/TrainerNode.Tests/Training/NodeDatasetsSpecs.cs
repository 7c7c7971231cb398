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

    private static DatasetSpec Csv(string path, string target = "species", LearningTask task = LearningTask.Multiclass) =>
        new(DatasetNames.Csv, 10_000, Path: path, Target: target, DeclaredTask: task);

    [Fact]
    public async Task A_node_holds_several_datasets_each_loaded_once_by_its_identity()
    {
        var datasets = Datasets(numWords => Task.FromResult(Reviews(numWords)));
        var iris = TestData.Table("iris.csv");

        var reviews = await datasets.GetAsync(new DatasetSpec(DatasetNames.Imdb, 100));
        var table = await datasets.GetAsync(Csv(iris));
        // Fields another dataset uses (the vocabulary size) do not make a table another dataset.
        var sameTable = await datasets.GetAsync(Csv(iris) with { NumWords = 5 });
        var otherSplit = await datasets.GetAsync(Csv(iris) with { SplitSeed = 7 });

        Assert.Equal(LearningTask.Binary, reviews.Task);
        Assert.Equal(LearningTask.Multiclass, table.Task);
        Assert.Same(table, sameTable);
        Assert.NotSame(table, otherSplit);
        Assert.Same(reviews, await datasets.GetAsync(new DatasetSpec(DatasetNames.Imdb, 100)));
        Assert.Equal(1, loads);
    }

    [Fact]
    public async Task Fashion_mnist_is_loaded_once_from_the_nodes_data_folder()
    {
        var datasets = new NodeDatasets(TestData.FashionMnistFolder, wordIndexOverride: null, directory.Path);

        var first = await datasets.GetAsync(new DatasetSpec(DatasetNames.FashionMnist, 10_000));
        var second = await datasets.GetAsync(new DatasetSpec(DatasetNames.FashionMnist, 20_000));

        Assert.Same(first, second);
        Assert.Equal((784, 10), (first.Inputs, first.Objective.OutputUnits));
        Assert.Equal(60_000, first.Train.Count);
    }

    [Fact]
    public async Task The_nodes_data_path_takes_the_place_of_the_sweeps_table()
    {
        var datasets = new NodeDatasets(TestData.Table("iris.csv"), wordIndexOverride: null, directory.Path);

        var data = await datasets.GetAsync(Csv(directory.Combine("not-on-this-node.csv")));

        Assert.StartsWith("CSV iris.csv: 120 train / 30 validation rows", data.Description);
    }

    [Fact]
    public async Task A_bad_table_fails_its_load_with_the_tables_error()
    {
        var datasets = new NodeDatasets(dataPath: null, wordIndexOverride: null, directory.Path);

        var error = await Assert.ThrowsAsync<DataSourceException>(() => datasets.GetAsync(Csv(TestData.Table("iris.csv"), target: "label")));

        Assert.Contains("the target column 'label' is not in the header; its columns are sepal_length", error.Message);
    }
}
