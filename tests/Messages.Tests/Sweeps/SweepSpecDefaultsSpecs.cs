using System.Globalization;
using GridSweep.Messages.Sweeps;

namespace GridSweep.Messages.Tests.Sweeps;

/// <summary>What a sweep file may leave out, and what it then gets.</summary>
public sealed class SweepSpecDefaultsSpecs
{
    [Fact]
    public void Training_defaults_to_20_epochs_of_512_with_sparse_input_seed_1_on_any_device()
    {
        var training = TestSweeps.Parse(TestSweeps.Minimal).Training;

        Assert.Equal(20, training.Epochs);
        Assert.Equal(512, training.BatchSize);
        Assert.Equal(InputLayer.Sparse, training.InputLayer);
        Assert.Equal([1L], training.Seeds);
        Assert.Equal("auto", training.Device);
    }

    [Fact]
    public void Optimizer_defaults_to_adam_with_keras_settings()
    {
        var optimizer = TestSweeps.Parse(TestSweeps.Minimal).Training.Optimizer;

        Assert.Equal(new OptimizerSpec("adam", LearningRate: 0.001, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7, Momentum: 0, Rho: 0.9), optimizer);
    }

    [Fact]
    public void Dataset_defaults_to_10000_words_and_no_word_index()
    {
        Assert.Equal(new DatasetSpec("imdb", 10_000, WordIndex: null), TestSweeps.Parse(TestSweeps.Minimal).Dataset);
    }

    [Fact]
    public void Regularizer_axis_defaults_to_none()
    {
        Assert.Equal([new("none", RegularizerSpec.None)], TestSweeps.Parse(TestSweeps.Minimal).Regularizers);
    }

    [Fact]
    public void Optimizer_axis_defaults_to_the_training_optimizer_named_after_it()
    {
        var spec = TestSweeps.Parse(TestSweeps.Sweep(training: "optimizer: {name: rmsprop, learning_rate: 0.01, rho: 0.8}"));

        Assert.Equal([new("rmsprop", new OptimizerSpec("rmsprop", 0.01, Rho: 0.8))], spec.Optimizers);
    }

    [Fact]
    public void Grid_optimizer_entries_fall_back_to_the_training_optimizer()
    {
        var spec = TestSweeps.Parse(TestSweeps.Sweep(training: "optimizer: {name: sgd, learning_rate: 0.01, momentum: 0.9}", grid: """
            optimizer:
              fast: {learning_rate: 0.1}
            """));

        Assert.Equal([new("fast", new OptimizerSpec("sgd", 0.1, Momentum: 0.9))], spec.Optimizers);
    }

    [Fact]
    public void A_grid_optimizer_entry_named_after_an_optimizer_is_that_optimizer()
    {
        var spec = TestSweeps.Parse(TestSweeps.Sweep(grid: """
            optimizer:
              adam: {}
              sgd: {momentum: 0.9}
            """));

        Assert.Equal(
            [new("adam", new OptimizerSpec("adam", 0.001)), new("sgd", new OptimizerSpec("sgd", 0.001, Momentum: 0.9))],
            spec.Optimizers);
    }

    [Fact]
    public void An_entry_without_settings_takes_all_defaults()
    {
        var spec = TestSweeps.Parse(TestSweeps.Sweep(grid: """
            regularizer:
              none:
              bn: {batch_norm: true}
            """));

        Assert.Equal([new("none", RegularizerSpec.None), new("bn", new RegularizerSpec(BatchNorm: true))], spec.Regularizers);
    }

    [Fact]
    public void A_relative_word_index_resolves_against_the_sweep_file_folder()
    {
        var spec = SweepSpecParser.Parse(TestSweeps.Sweep(dataset: "{name: imdb, word_index: data/imdb_word_index.json}"), "/srv/sweeps/tiny.yaml");

        Assert.Equal(Path.GetFullPath("/srv/sweeps/data/imdb_word_index.json"), spec.Dataset.WordIndex);
    }

    [Fact]
    public void An_absolute_word_index_is_kept()
    {
        var spec = SweepSpecParser.Parse(TestSweeps.Sweep(dataset: "{name: imdb, word_index: /data/imdb_word_index.json}"), "/srv/sweeps/tiny.yaml");

        Assert.Equal(Path.GetFullPath("/data/imdb_word_index.json"), spec.Dataset.WordIndex);
    }

    [Theory]
    [InlineData("cpu")]
    [InlineData("cuda")]
    [InlineData("cuda:1")]
    public void Accepts_a_device(string device)
    {
        var spec = TestSweeps.Parse(TestSweeps.Sweep(training: $"{{device: \"{device}\"}}"));

        Assert.Equal(device, spec.Training.Device);
    }

    [Fact]
    public void Numbers_are_read_the_same_whatever_the_current_culture()
    {
        var commaDecimals = (CultureInfo)CultureInfo.InvariantCulture.Clone();
        commaDecimals.NumberFormat.NumberDecimalSeparator = ",";
        commaDecimals.NumberFormat.NumberGroupSeparator = ".";
        var previous = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = commaDecimals;
        try
        {
            var spec = TestSweeps.Parse(TestSweeps.Sweep(training: "{optimizer: {learning_rate: 0.0003}}"));

            Assert.Equal(0.0003, spec.Training.Optimizer.LearningRate);
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }
    }
}
