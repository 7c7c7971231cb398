using GridSweep.Messages.Protocol;
using GridSweep.Messages.Sweeps;
using GridSweep.Runtime.Progress;
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
        Assert.Same(first, datasets.Prepared); // Whose identity the node announces when it registers.
        Assert.Equal(["train_images", "train_labels", "test_images", "test_labels"], first.Identity.Sources.Select(s => s.Role));
    }

    [Fact]
    public async Task A_node_told_none_prepares_nothing_and_leaves_every_dataset_to_its_first_trial()
    {
        var options = new TrainerOptions { Dataset = TrainerOptions.NoDataset, Data = TestData.BostonHousing, Cache = cache.Path };

        var datasets = await TrainerHosting.PrepareDataAsync(options);

        Assert.NotNull(datasets);
        Assert.Null(datasets.Prepared);
        Assert.Empty(Directory.GetFileSystemEntries(cache.Path));
    }

    [Fact]
    public async Task A_node_told_none_whose_data_is_not_there_is_refused_before_it_joins()
    {
        var missing = cache.Combine("no-such-data.csv");
        var options = new TrainerOptions { Dataset = TrainerOptions.NoDataset, Data = missing, Cache = cache.Path };

        var error = await Assert.ThrowsAsync<InputException>(() => TrainerHosting.PrepareDataAsync(options));

        Assert.StartsWith("--data (setting GridSweep:Trainer:Data", error.Message);
        Assert.Contains($"'{missing}' does not exist", error.Message);
    }

    [Fact]
    public async Task The_embedded_run_prepares_its_sweeps_data_and_returns_its_description_and_identity()
    {
        var spec = SweepSpecParser.Load(Path.Combine(TestData.RepoRoot, "sweeps", "boston-housing-overfitting.yaml"));
        var table = Path.GetFullPath(spec.Dataset.Path!);
        var local = new LocalTrainers();

        var prepared = await local.PrepareAsync(spec, new TrainerOptions { Cache = cache.Path }, new Progress<DataProgress>(), CancellationToken.None);

        Assert.StartsWith("CSV boston_housing.csv: ", prepared.Description);
        var source = Assert.Single(prepared.Identity.Sources);
        Assert.Equal(new DataSource(DataRoles.Dataset, "boston_housing.csv", new FileInfo(table).Length,
            Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(table)))), source);
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
