using GridSweep.Messages.Sweeps;

namespace GridSweep.Messages.Tests.Sweeps;

/// <summary>
/// A grid is counted axis by axis before anything is expanded, and one of more trials than the limit is refused at once
/// with its count per axis, the file and the setting that raises the limit.
/// </summary>
public sealed class GridLimitSpecs
{
    private static string List(int count, Func<int, string> value) => "[" + string.Join(", ", Enumerable.Range(1, count).Select(value)) + "]";

    private static string Entries(int count, Func<int, string> entry) => "{" + string.Join(", ", Enumerable.Range(1, count).Select(entry)) + "}";

    /// <summary>A thousand and one learning rates by a thousand batch sizes: one trial per cell beyond a million.</summary>
    private static readonly string JustBeyondTheDefault = TestSweeps.Sweep(grid: $"""
        learning_rate: {List(1_001, i => $"{i}e-9")}
        batch_size: {List(1_000, i => $"{i}")}
        """);

    [Fact]
    public void A_grid_beyond_the_default_limit_is_refused_with_its_count_per_axis_and_the_setting_that_raises_it()
    {
        var error = TestSweeps.SingleError(JustBeyondTheDefault);

        Assert.Equal((TestSweeps.File, 3, 1, "grid"), (error.File, error.Line, error.Column, error.Field));
        Assert.Equal(
            "declares 1,001,000 trials (model 1 x learning_rate 1,001 x batch_size 1,000 x seed 1), more than the limit of 1,000,000; " +
            "shrink an axis, or raise the limit with --max-trials",
            error.Message);
    }

    [Fact]
    public void A_raised_limit_lets_the_same_grid_through()
    {
        var spec = SweepSpecParser.Parse(JustBeyondTheDefault, TestSweeps.File, new TrialLimit(1_001_000, "--max-trials"));

        Assert.Equal((1_001, 1_000), (spec.Optimizers.Count, spec.BatchSizes.Count));
    }

    [Fact]
    public void Entries_that_list_values_count_the_product_of_their_lists_and_seeds_count_too()
    {
        var yaml = TestSweeps.Sweep(training: "{seeds: [1, 2]}", model: "{a: {hidden: [4]}, b: {hidden: [8]}}", grid: """
            regularizer: {none: {}, elastic: {l1: [0.001, 0.01], l2: [0.001, 0.01, 0.1]}}
            optimizer: {adam: {}, sgd: {momentum: [0.0, 0.9]}}
            learning_rate: [0.001, 0.01, 0.1]
            activation: [relu, tanh]
            """);

        var error = Assert.Single(Assert.Throws<SweepSpecException>(() => SweepSpecParser.Parse(yaml, TestSweeps.File, new TrialLimit(503, "--max-trials"))).Errors);

        Assert.StartsWith("declares 504 trials (model 2 x regularizer 7 x optimizer 3 x learning_rate 3 x activation 2 x seed 2), more than the limit of 503;", error.Message);
        Assert.Equal(504, SweepGrid.Expand(SweepSpecParser.Parse(yaml, TestSweeps.File, new TrialLimit(504, "--max-trials"))).Count);
    }

    [Fact]
    public void A_grid_too_large_to_count_in_64_bits_is_refused_too_without_reading_its_entries()
    {
        var thousand = List(1_000, i => $"{i}");
        var yaml = TestSweeps.Sweep(training: $"{{seeds: {List(10_000, i => $"{i}")}}}", grid: $"""
            regularizer: {Entries(1_000, i => $"r{i}: {{l2: {i}e-6}}")}
            optimizer: {Entries(1_000, i => $"o{i}: {{momentum: {i}e-4}}")}
            learning_rate: {List(1_000, i => $"{i}e-9")}
            batch_size: {thousand}
            epochs: {thousand}
            activation: [relu, tanh]
            """);

        var error = TestSweeps.SingleError(yaml);

        Assert.Contains("declares more than 9,223,372,036,854,775,807 trials (model 1 x regularizer 1,000 x optimizer 1,000 x learning_rate 1,000 x ", error.Message);
    }
}
