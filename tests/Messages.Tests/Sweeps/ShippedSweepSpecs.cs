using GridSweep.Messages.Sweeps;

namespace GridSweep.Messages.Tests.Sweeps;

/// <summary>The sweep file the repository ships must keep parsing to the experiment it describes.</summary>
public sealed class ShippedSweepSpecs
{
    private static readonly string ShippedFile = Path.Combine(TestSweeps.RepoRoot(), "sweeps", "imdb-overfitting.yaml");

    [Fact]
    public void Expands_to_nine_trials_model_outermost()
    {
        var trials = SweepGrid.Expand(SweepSpecParser.Load(ShippedFile));

        Assert.Equal(
            [
                "baseline/none/adam", "baseline/l2/adam", "baseline/dropout/adam",
                "smaller/none/adam", "smaller/l2/adam", "smaller/dropout/adam",
                "bigger/none/adam", "bigger/l2/adam", "bigger/dropout/adam",
            ],
            trials.Select(t => $"{t.Model}/{t.Regularizer}/{t.Optimizer}"));
    }

    [Fact]
    public void Reads_the_declared_settings()
    {
        var spec = SweepSpecParser.Load(ShippedFile);

        Assert.Equal("imdb-overfitting", spec.Name);
        Assert.Equal(new DatasetSpec("imdb", 10_000), spec.Dataset);
        Assert.Equal(20, spec.Training.Epochs);
        Assert.Equal(512, spec.Training.BatchSize);
        Assert.Equal(new OptimizerSpec("adam", 0.001), spec.Training.Optimizer);
        Assert.Equal(InputLayer.Sparse, spec.Training.InputLayer);
        Assert.Equal([1L], spec.Training.Seeds);
        Assert.Equal("auto", spec.Training.Device);
    }

    [Fact]
    public void Reads_the_declared_grid_values()
    {
        var spec = SweepSpecParser.Load(ShippedFile);

        Assert.Equal(
            [("baseline", new[] { 16, 16 }), ("smaller", [4, 4]), ("bigger", [512, 512])],
            spec.Models.Select(m => (m.Name, m.Value.Hidden.ToArray())));
        Assert.Equal(
            [new("none", RegularizerSpec.None), new("l2", new RegularizerSpec(L2: 0.001)), new("dropout", new RegularizerSpec(Dropout: 0.6))],
            spec.Regularizers);
        Assert.Equal([new("adam", new OptimizerSpec("adam", 0.001))], spec.Optimizers);
    }

    [Fact]
    public void Trials_are_fully_resolved()
    {
        var baseline = SweepGrid.Expand(SweepSpecParser.Load(ShippedFile))[0];

        Assert.Equal("imdb-overfitting", baseline.Sweep);
        Assert.Equal(1, baseline.Seed);
        Assert.Equal([16, 16], baseline.ModelConfig.Hidden);
        Assert.Equal(RegularizerSpec.None, baseline.RegularizerConfig);
        Assert.Equal(new OptimizerSpec("adam", 0.001), baseline.OptimizerConfig);
        Assert.Equal((20, 512, InputLayer.Sparse), (baseline.Epochs, baseline.BatchSize, baseline.InputLayer));
        Assert.Equal(new DatasetSpec("imdb", 10_000), baseline.Dataset);
        Assert.Equal(TrialId.For(baseline), baseline.Id);
    }

    [Fact]
    public void Keeps_the_source_path_as_given()
    {
        Assert.Equal(ShippedFile, SweepSpecParser.Load(ShippedFile).SourceFile);
    }
}
