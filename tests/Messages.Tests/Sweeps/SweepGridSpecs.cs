using GridSweep.Messages.Sweeps;

namespace GridSweep.Messages.Tests.Sweeps;

/// <summary>How a sweep expands into trials: which, how many, in what order.</summary>
public sealed class SweepGridSpecs
{
    private static IEnumerable<string> Labels(IEnumerable<TrialSpec> trials) =>
        trials.Select(t => $"{t.Model}/{t.Regularizer}/{t.Optimizer}/{t.Seed}");

    [Fact]
    public void Seeds_are_the_innermost_axis()
    {
        var trials = SweepGrid.Expand(TestSweeps.Parse(TestSweeps.Sweep(training: "{seeds: [7, 3]}", model: "{a: {hidden: [4]}, b: {hidden: [8]}}")));

        Assert.Equal(["a/none/adam/7", "a/none/adam/3", "b/none/adam/7", "b/none/adam/3"], Labels(trials));
    }

    [Fact]
    public void Axes_nest_model_regularizer_optimizer_seed()
    {
        var trials = SweepGrid.Expand(TestSweeps.Parse(TestSweeps.Sweep(training: "{seeds: [1, 2]}", model: "{a: {hidden: [4]}, b: {hidden: [8]}}", grid: """
            regularizer: {none: {}, l2: {l2: 0.001}}
            optimizer: {adam: {}, sgd: {}}
            """)));

        Assert.Equal(2 * 2 * 2 * 2, trials.Count);
        Assert.Equal(
            ["a/none/adam/1", "a/none/adam/2", "a/none/sgd/1", "a/none/sgd/2", "a/l2/adam/1", "a/l2/adam/2"],
            Labels(trials).Take(6));
        Assert.Equal("b/l2/sgd/2", Labels(trials).Last());
    }

    [Fact]
    public void Learning_rates_multiply_the_optimizer_axis_and_override_its_rate()
    {
        var spec = TestSweeps.Parse(TestSweeps.Sweep(model: "{a: {hidden: [4]}}", grid: """
            optimizer: {adam: {}, sgd: {momentum: 0.9}}
            learning_rate: [0.001, 0.0003]
            """));

        var trials = SweepGrid.Expand(spec);

        Assert.Equal(["adam-lr0.001", "adam-lr0.0003", "sgd-lr0.001", "sgd-lr0.0003"], trials.Select(t => t.Optimizer));
        Assert.Equal([0.001, 0.0003, 0.001, 0.0003], trials.Select(t => t.OptimizerConfig.LearningRate));
        Assert.Equal(new OptimizerSpec("sgd", 0.0003, Momentum: 0.9), trials[3].OptimizerConfig);
    }

    [Fact]
    public void Learning_rates_without_an_optimizer_axis_vary_the_training_optimizer()
    {
        var trials = SweepGrid.Expand(TestSweeps.Parse(TestSweeps.Sweep(training: "{optimizer: {name: rmsprop, rho: 0.8}}", model: "{a: {hidden: [4]}}", grid: "learning_rate: [0.01, 0.001]")));

        Assert.Equal(
            [new OptimizerSpec("rmsprop", 0.01, Rho: 0.8), new OptimizerSpec("rmsprop", 0.001, Rho: 0.8)],
            trials.Select(t => t.OptimizerConfig));
        Assert.Equal(["rmsprop-lr0.01", "rmsprop-lr0.001"], trials.Select(t => t.Optimizer));
    }

    [Fact]
    public void Every_trial_carries_the_sweep_wide_settings()
    {
        var trials = SweepGrid.Expand(TestSweeps.Parse(TestSweeps.Sweep(training: "{epochs: 4, batch_size: 64, input_layer: dense, seeds: [1, 2]}", dataset: "{name: imdb, num_words: 5000}", model: "{a: {hidden: [4]}, b: {hidden: [8]}}")));

        Assert.All(trials, t =>
        {
            Assert.Equal("tiny", t.Sweep);
            Assert.Equal(new DatasetSpec("imdb", 5000), t.Dataset);
            Assert.Equal((4, 64, InputLayer.Dense), (t.Epochs, t.BatchSize, t.InputLayer));
        });
    }

    [Fact]
    public void Trial_ids_are_unique_within_a_sweep()
    {
        var trials = SweepGrid.Expand(TestSweeps.Parse(TestSweeps.Sweep(training: "{seeds: [1, 2, 3]}", model: "{a: {hidden: [4]}, b: {hidden: [8]}}", grid: """
            regularizer: {none: {}, l2: {l2: 0.001}, dropout: {dropout: 0.5}}
            learning_rate: [0.01, 0.001]
            """)));

        Assert.Equal(36, trials.Count);
        Assert.Equal(trials.Count, trials.Select(t => t.Id).Distinct().Count());
    }

    [Fact]
    public void Cells_that_resolve_to_the_same_configuration_are_rejected_naming_both()
    {
        var spec = TestSweeps.Parse(TestSweeps.Minimal) with
        {
            Models = [new("baseline", new ModelSpec([16, 16])), new("twin", new ModelSpec([16, 16]))],
        };

        var error = Assert.Single(Assert.Throws<SweepSpecException>(() => SweepGrid.Expand(spec)).Errors);

        Assert.Equal((TestSweeps.File, "grid"), (error.File, error.Field));
        Assert.Contains("'twin/none/adam/seed 1'", error.Message);
        Assert.Contains("'baseline/none/adam/seed 1'", error.Message);
    }

    [Fact]
    public void Identical_cells_are_reported_once_however_many_seeds()
    {
        var spec = TestSweeps.Parse(TestSweeps.Minimal) with
        {
            Models = [new("baseline", new ModelSpec([16, 16])), new("twin", new ModelSpec([16, 16]))],
            Training = TestSweeps.Parse(TestSweeps.Minimal).Training with { Seeds = [1, 2, 3] },
        };

        Assert.Single(Assert.Throws<SweepSpecException>(() => SweepGrid.Expand(spec)).Errors);
    }
}
