using GridSweep.Messages.Sweeps;

namespace GridSweep.Messages.Tests.Sweeps;

/// <summary>The activation, batch-size and epochs axes: what they read, how they nest, what each trial gets.</summary>
public sealed class ScalarAxisSpecs
{
    private static IReadOnlyList<TrialSpec> Expand(string yaml) => SweepGrid.Expand(TestSweeps.Parse(yaml));

    private static IEnumerable<string> Labels(IEnumerable<TrialSpec> trials) =>
        trials.Select(t => $"{t.Model}/{t.Regularizer}/{t.Optimizer}/{t.Activation}/{t.BatchSize}/{t.Epochs}/{t.Seed}");

    [Fact]
    public void The_scalar_axes_are_empty_when_not_swept()
    {
        var spec = TestSweeps.Parse(TestSweeps.Minimal);

        Assert.Equal((0, 0, 0, 0, 0), (spec.Activations.Count, spec.BatchSizes.Count, spec.EpochCounts.Count, spec.Exclude.Count, spec.Include.Count));
    }

    [Fact]
    public void Reads_the_scalar_axes_in_declared_order()
    {
        var spec = TestSweeps.Parse(TestSweeps.Sweep(grid: """
            activation: [tanh, relu, gelu]
            batch_size: [128, 32]
            epochs: [20, 10]
            """));

        Assert.Equal(["tanh", "relu", "gelu"], spec.Activations);
        Assert.Equal([128, 32], spec.BatchSizes);
        Assert.Equal([20, 10], spec.EpochCounts);
    }

    [Fact]
    public void Axes_nest_model_regularizer_optimizer_activation_batch_size_epochs_seed()
    {
        var trials = Expand(TestSweeps.Sweep(training: "{seeds: [1, 2]}", model: "{a: {hidden: [4]}, b: {hidden: [8]}}", grid: """
            regularizer: {none: {}, l2: {l2: 0.001}}
            optimizer: {adam: {}, sgd: {}}
            activation: [relu, tanh]
            batch_size: [32, 128]
            epochs: [10, 20]
            """));

        Assert.Equal(2 * 2 * 2 * 2 * 2 * 2 * 2, trials.Count);
        Assert.Equal(
            [
                "a/none/adam/relu/32/10/1", "a/none/adam/relu/32/10/2", "a/none/adam/relu/32/20/1", "a/none/adam/relu/32/20/2",
                "a/none/adam/relu/128/10/1", "a/none/adam/relu/128/10/2", "a/none/adam/relu/128/20/1", "a/none/adam/relu/128/20/2",
                "a/none/adam/tanh/32/10/1",
            ],
            Labels(trials).Take(9));
        Assert.Equal("a/none/sgd/relu/32/10/1", Labels(trials).ElementAt(16));
        Assert.Equal("a/l2/adam/relu/32/10/1", Labels(trials).ElementAt(32));
        Assert.Equal("b/none/adam/relu/32/10/1", Labels(trials).ElementAt(64));
        Assert.Equal("b/l2/sgd/tanh/128/20/2", Labels(trials).Last());
        Assert.Equal(trials.Count, trials.Select(t => t.Id).Distinct().Count());
    }

    [Fact]
    public void The_activation_axis_sets_each_trial_s_model_activation()
    {
        var trials = Expand(TestSweeps.Sweep(model: "{a: {hidden: [16, 8]}}", grid: "activation: [elu, sigmoid]"));

        Assert.Equal([new ModelSpec([16, 8], "elu"), new ModelSpec([16, 8], "sigmoid")], trials.Select(t => t.ModelConfig));
        Assert.Equal(["elu", "sigmoid"], trials.Select(t => t.Activation));
        Assert.Equal(["a", "a"], trials.Select(t => t.Model));
    }

    [Fact]
    public void Batch_size_and_epochs_axes_set_each_trial_s_values_over_the_training_section()
    {
        var trials = Expand(TestSweeps.Sweep(training: "{epochs: 5, batch_size: 512}", grid: """
            batch_size: [32, 128]
            epochs: [10, 20]
            """));

        Assert.Equal([(32, 10), (32, 20), (128, 10), (128, 20)], trials.Select(t => (t.BatchSize, t.Epochs)));
    }

    [Fact]
    public void Without_scalar_axes_every_trial_takes_the_training_values_and_the_model_activation()
    {
        var trials = Expand(TestSweeps.Sweep(training: "{epochs: 7, batch_size: 48}", model: "{a: {hidden: [4], activation: tanh}, b: {hidden: [4]}}"));

        Assert.Equal([("tanh", 48, 7), ("relu", 48, 7)], trials.Select(t => (t.Activation, t.BatchSize, t.Epochs)));
    }

    [Fact]
    public void Each_activation_gets_its_own_id()
    {
        var trials = Expand(TestSweeps.Sweep(grid: $"activation: [{string.Join(", ", Activations.All)}]"));

        Assert.Equal(Activations.All.Count, trials.Select(t => t.Id).Distinct().Count());
    }

    [Fact]
    public void A_model_entry_reads_its_activation()
    {
        var spec = TestSweeps.Parse(TestSweeps.Sweep(model: "{a: {hidden: [4], activation: gelu}, b: {hidden: [4]}}"));

        Assert.Equal([new("a", new ModelSpec([4], "gelu")), new("b", new ModelSpec([4], "relu"))], spec.Models);
    }

    [Fact]
    public void Models_equal_in_hidden_but_not_in_activation_are_different_entries()
    {
        var trials = Expand(TestSweeps.Sweep(model: "{a: {hidden: [4], activation: tanh}, b: {hidden: [4]}}"));

        Assert.Equal(2, trials.Select(t => t.Id).Distinct().Count());
    }

    [Fact]
    public void Models_equal_in_hidden_and_activation_are_repeats()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(model: """
            a: {hidden: [4], activation: tanh}
            b: {hidden: [4], activation: tanh}
            """));

        Assert.Equal(
            new SpecError(TestSweeps.File, 6, 5, "grid.model.b", "'b' has the same settings as 'a' (line 5); their trials would be identical"),
            error);
    }

    [Fact]
    public void An_explicit_relu_repeats_a_model_without_activation()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(model: "{a: {hidden: [4]}, b: {hidden: [4], activation: relu}}"));

        Assert.Equal("grid.model.b", error.Field);
    }

    [Fact]
    public void An_unknown_activation_in_a_model_is_reported_with_the_known_ones()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(model: "{a: {hidden: [4], activation: swish}}"));

        Assert.Equal(
            new SpecError(TestSweeps.File, 4, 40, "grid.model.a.activation", "'swish' is not allowed; allowed values: relu, tanh, elu, gelu, sigmoid"),
            error);
    }

    [Fact]
    public void An_unknown_activation_on_the_axis_is_reported_at_its_item()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(grid: "activation: [relu, softmax]"));

        Assert.Equal(
            new SpecError(TestSweeps.File, 5, 22, "grid.activation[1]", "'softmax' is not allowed; allowed values: relu, tanh, elu, gelu, sigmoid"),
            error);
    }

    [Fact]
    public void A_model_activation_while_the_grid_sweeps_activation_is_reported_naming_both_lines()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(model: """
            a: {hidden: [4]}
            b: {hidden: [8], activation: tanh}
            """, grid: "activation: [relu, elu]"));

        Assert.Equal(
            new SpecError(TestSweeps.File, 6, 34, "grid.model.b.activation",
                "'b' sets its own activation while grid.activation (line 7) sweeps it; remove one of the two"),
            error);
    }

    [Fact]
    public void A_repeated_activation_is_reported()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(grid: "activation: [tanh, relu, tanh]"));

        Assert.Equal(new SpecError(TestSweeps.File, 5, 28, "grid.activation[2]", "duplicate activation tanh; list each activation once"), error);
    }

    [Fact]
    public void A_repeated_batch_size_is_reported()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(grid: "batch_size: [32, 64, 32]"));

        Assert.Equal(new SpecError(TestSweeps.File, 5, 24, "grid.batch_size[2]", "duplicate batch size 32; list each value once"), error);
    }

    [Fact]
    public void A_repeated_epoch_count_is_reported()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(grid: "epochs: [10, 10]"));

        Assert.Equal(new SpecError(TestSweeps.File, 5, 16, "grid.epochs[1]", "duplicate epoch count 10; list each value once"), error);
    }

    [Theory]
    [InlineData("batch_size: [32, 0]", "grid.batch_size[1]", "'0' is out of range; allowed range: 1 to 2147483647")]
    [InlineData("batch_size: [32, -8]", "grid.batch_size[1]", "'-8' is out of range; allowed range: 1 to 2147483647")]
    [InlineData("epochs: [10, 2.5]", "grid.epochs[1]", "expected an integer, found '2.5'")]
    [InlineData("epochs: []", "grid.epochs", "must list at least one value")]
    [InlineData("batch_size: 32", "grid.batch_size", "expected a list, found '32'")]
    [InlineData("activation: tanh", "grid.activation", "expected a list, found 'tanh'")]
    public void A_bad_scalar_axis_is_reported_at_its_item(string grid, string field, string message)
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(grid: grid));

        Assert.Equal((5, field, message), (error.Line, error.Field, error.Message));
    }
}
