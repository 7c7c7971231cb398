using GridSweep.Messages.Sweeps;

namespace GridSweep.Messages.Tests.Sweeps;

/// <summary>Values the trainer cannot hold in its 32-bit floats, and names too long for a folder, are refused at validation.</summary>
public sealed class UnrepresentableValueSpecs
{
    [Theory]
    [InlineData("1e308")]
    [InlineData("3.5e38")]
    [InlineData("1e-40")]
    [InlineData("1e-300")]
    public void A_grid_learning_rate_out_of_float32_range_is_refused_with_line_and_field(string rate)
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(grid: $"learning_rate: [0.001, {rate}]"));

        Assert.Equal(5, error.Line);
        Assert.Equal("grid.learning_rate[1]", error.Field);
        Assert.Contains($"'{rate}' cannot be used: the trainer computes in 32-bit floats", error.Message);
    }

    [Theory]
    [InlineData(".nan")]
    [InlineData(".inf")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    public void A_training_learning_rate_that_is_not_finite_is_refused(string rate)
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(training: $"{{optimizer: {{name: adam, learning_rate: {rate}}}}}"));

        Assert.Equal("training.optimizer.learning_rate", error.Field);
        Assert.Equal(3, error.Line);
    }

    [Fact]
    public void The_largest_and_smallest_float32_magnitudes_are_accepted()
    {
        var spec = TestSweeps.Parse(TestSweeps.Sweep(grid: "learning_rate: [3.4e38, 1.2e-38]"));

        Assert.NotNull(spec);
    }

    [Fact]
    public void A_sweep_name_longer_than_the_limit_is_refused_naming_the_limit()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(name: new string('a', 300)));

        Assert.Equal(new SpecError(TestSweeps.File, 1, 7, "name",
            $"'{new string('a', 20)}...' is 300 characters long; a name has at most 100 (it becomes a folder and file names)"), error);
    }

    [Fact]
    public void A_sweep_name_at_the_limit_is_accepted()
    {
        Assert.Equal(new string('a', 100), TestSweeps.Parse(TestSweeps.Sweep(name: new string('a', 100))).Name);
    }
}
