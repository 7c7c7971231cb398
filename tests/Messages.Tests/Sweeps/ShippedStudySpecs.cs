using GridSweep.Messages.Sweeps;

namespace GridSweep.Messages.Tests.Sweeps;

/// <summary>The sibling studies the repository ships keep parsing to the experiments the tutorials run.</summary>
public sealed class ShippedStudySpecs
{
    private static readonly string Sweeps = Path.Combine(TestSweeps.RepoRoot(), "sweeps");

    [Fact]
    public void Fashion_mnist_is_the_classifier_study_nine_cells_of_twenty_epochs_at_batch_128()
    {
        var spec = SweepSpecParser.Load(Path.Combine(Sweeps, "fashion-mnist-overfitting.yaml"));
        var trials = SweepGrid.Expand(spec);

        Assert.Equal(DatasetNames.FashionMnist, spec.Dataset.Name);
        Assert.Equal(LearningTask.Multiclass, spec.Task);
        Assert.Equal(
            [("baseline", new[] { 128 }), ("smaller", [16]), ("bigger", [512, 512])],
            spec.Models.Select(m => (m.Name, m.Value.Hidden.ToArray())));
        Assert.Equal(
            [new("none", RegularizerSpec.None), new("l2", new RegularizerSpec(L2: 0.001)), new("dropout", new RegularizerSpec(Dropout: 0.5))],
            spec.Regularizers);
        Assert.Equal(9, trials.Count);
        Assert.All(trials, t =>
        {
            Assert.Equal((20, 128, "relu"), (t.Epochs, t.BatchSize, t.Activation));
            Assert.Equal(new OptimizerSpec("adam", 0.001), t.OptimizerConfig);
        });
        Assert.Equal(9, trials.Select(t => t.Id).Distinct().Count());
    }

    [Fact]
    public void Imdb_early_stopping_crosses_the_models_with_four_ways_to_stop_keeping_the_ids_of_the_cells_without_it()
    {
        var trials = SweepGrid.Expand(SweepSpecParser.Load(Path.Combine(Sweeps, "imdb-early-stopping.yaml")));
        var plain = SweepGrid.Expand(SweepSpecParser.Load(Path.Combine(Sweeps, "imdb-overfitting.yaml")));

        Assert.Equal(3 * 4, trials.Count);
        Assert.Equal(["off", "patient-2", "patient-5", "gap"], trials.Take(4).Select(t => t.EarlyStoppingLabel));
        Assert.Equal([null, new(Patience: 2), new(Patience: 5), new(EarlyStoppingMonitors.Gap, Patience: 2)], trials.Take(4).Select(t => t.EarlyStopping));
        // Without early stopping a cell is the study's unregularized cell, under the same id.
        Assert.Equal(plain.Where(t => t.Regularizer == "none").Select(t => t.Id), trials.Where(t => t.EarlyStopping is null).Select(t => t.Id));
    }

    [Fact]
    public void Boston_housing_is_the_regression_study_on_the_table_shipped_beside_it()
    {
        var spec = SweepSpecParser.Load(Path.Combine(Sweeps, "boston-housing-overfitting.yaml"));
        var trials = SweepGrid.Expand(spec);

        Assert.Equal(DatasetNames.Csv, spec.Dataset.Name);
        Assert.Equal(LearningTask.Regression, spec.Task);
        Assert.Equal(Path.Combine(Sweeps, "data", "boston_housing.csv"), spec.Dataset.Path);
        Assert.True(File.Exists(spec.Dataset.Path), spec.Dataset.Path);
        Assert.Equal(("MEDV", 0.2, 113L, true), (spec.Dataset.Target, spec.Dataset.ValidationFraction, spec.Dataset.SplitSeed, spec.Dataset.Standardize));
        Assert.Equal(
            [("baseline", new[] { 64, 64 }), ("smaller", [8]), ("bigger", [512, 512])],
            spec.Models.Select(m => (m.Name, m.Value.Hidden.ToArray())));
        Assert.Equal(
            [new("none", RegularizerSpec.None), new("l2", new RegularizerSpec(L2: 0.001)), new("dropout", new RegularizerSpec(Dropout: 0.3))],
            spec.Regularizers);
        Assert.Equal(9, trials.Count);
        Assert.All(trials, t => Assert.Equal((200, 32), (t.Epochs, t.BatchSize)));
    }

    [Fact]
    public void The_studies_on_other_data_do_not_share_ids_with_the_imdb_study()
    {
        var ids = new[] { "imdb-overfitting.yaml", "fashion-mnist-overfitting.yaml", "boston-housing-overfitting.yaml" }
            .SelectMany(file => SweepGrid.Expand(SweepSpecParser.Load(Path.Combine(Sweeps, file))))
            .Select(t => t.Id)
            .ToList();

        Assert.Equal(27, ids.Distinct().Count());
    }
}
