using GridSweep.Messages.Sweeps;
using GridSweep.Runtime.Configuration;
using GridSweep.TrainerNode.Hosting;

namespace GridSweep.TrainerNode.Tests.Hosting;

/// <summary>A trainer node prepares the dataset its <c>--dataset</c> names before it joins, or none.</summary>
public sealed class TrainerPreparationSpecs : IDisposable
{
    private readonly TempDirectory cache = new("gridsweep-prepare");

    public void Dispose() => cache.Dispose();

    [Fact]
    public async Task A_fashion_mnist_node_prepares_the_images_its_trials_then_share()
    {
        var options = new TrainerOptions { Dataset = DatasetNames.FashionMnist, Data = TestData.FashionMnistFolder, Cache = cache.Path };

        var datasets = await TrainerHosting.PrepareDataAsync(options);
        var first = await datasets.GetAsync(new DatasetSpec(DatasetNames.FashionMnist, 10_000));

        Assert.Equal(60_000, first.Train.Count);
        Assert.True(datasets.GetAsync(new DatasetSpec(DatasetNames.FashionMnist, 10_000)).IsCompletedSuccessfully, "the trial's data must be ready at once");
    }

    [Fact]
    public async Task A_node_told_none_prepares_nothing_and_leaves_every_dataset_to_its_first_trial()
    {
        var options = new TrainerOptions { Dataset = TrainerOptions.NoDataset, Data = cache.Combine("no-such-data"), Cache = cache.Path };

        var datasets = await TrainerHosting.PrepareDataAsync(options);

        Assert.NotNull(datasets);
        Assert.Empty(Directory.GetFileSystemEntries(cache.Path));
    }

    [Fact]
    public void A_dataset_that_cannot_be_prepared_ahead_is_refused_naming_the_choices()
    {
        var problems = new SettingProblems();
        new TrainerOptions { Dataset = DatasetNames.Csv }.Validate(problems);

        var error = Assert.Throws<SettingsException>(problems.ThrowIfAny);
        Assert.Contains("--dataset: 'csv' is not one of imdb, fashion_mnist, none", error.Message);
    }
}
