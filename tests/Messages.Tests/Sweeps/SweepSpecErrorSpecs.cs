using GridSweep.Messages.Sweeps;

namespace GridSweep.Messages.Tests.Sweeps;

/// <summary>Every mistake is reported with file, line, column, dotted field path, the value found and what would be allowed.</summary>
public sealed class SweepSpecErrorSpecs
{
    [Fact]
    public void An_unknown_key_is_reported_with_the_allowed_keys()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(training: "epoch: 5"));

        Assert.Equal(
            new SpecError(TestSweeps.File, 4, 3, "training.epoch",
                "unknown key 'epoch'; allowed keys: epochs, batch_size, optimizer, input_layer, seeds, device, early_stopping"),
            error);
    }

    [Fact]
    public void A_value_outside_a_choice_is_reported_with_the_allowed_values()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(training: """
            epochs: 20
            batch_size: 512
            input_layer: spars
            """));

        Assert.Equal("sweeps/test.yaml:6:16: training.input_layer: 'spars' is not allowed; allowed values: sparse, dense", error.ToString());
    }

    [Fact]
    public void An_unknown_dataset_is_reported_with_the_known_ones()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(dataset: "{name: mnist}"));

        Assert.Equal(new SpecError(TestSweeps.File, 2, 17, "dataset.name", "'mnist' is not allowed; allowed values: imdb, fashion_mnist, csv"), error);
    }

    [Theory]
    [InlineData("{name: fashion_mnist}", "fashion_mnist")]
    [InlineData("{name: csv, path: data.csv, target: y, task: regression}", "csv")]
    public void An_input_layer_for_a_dataset_other_than_imdb_is_reported(string dataset, string name)
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(training: "{input_layer: sparse}", dataset: dataset));

        Assert.Equal(
            new SpecError(TestSweeps.File, 3, 25, "training.input_layer", $"'input_layer' applies only to imdb; remove it for dataset '{name}'"),
            error);
    }

    [Fact]
    public void An_input_layer_for_imdb_is_read()
    {
        Assert.Equal(InputLayer.Dense, TestSweeps.Parse(TestSweeps.Sweep(training: "{input_layer: dense}")).Training.InputLayer);
    }

    [Fact]
    public void A_dataset_other_than_imdb_without_input_layer_is_accepted()
    {
        Assert.Equal(InputLayer.Sparse, TestSweeps.Parse(TestSweeps.Sweep(dataset: "{name: fashion_mnist}")).Training.InputLayer);
    }

    [Fact]
    public void An_unknown_grid_key_is_reported_with_the_grid_keys()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(grid: "batch_sizes: [32]"));

        Assert.Equal(
            new SpecError(TestSweeps.File, 5, 3, "grid.batch_sizes",
                "unknown key 'batch_sizes'; allowed keys: model, regularizer, optimizer, learning_rate, activation, batch_size, epochs, early_stopping, exclude, include"),
            error);
    }

    [Fact]
    public void A_fraction_out_of_range_is_reported_with_the_range()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(grid: """
            regularizer:
              heavy: {dropout: 1.0}
            """));

        Assert.Equal(
            new SpecError(TestSweeps.File, 6, 22, "grid.regularizer.heavy.dropout", "'1.0' is out of range; allowed range: >= 0 and < 1"),
            error);
    }

    [Fact]
    public void An_integer_out_of_range_is_reported_with_the_range()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(dataset: "{name: imdb, num_words: 50}"));

        Assert.Equal(
            new SpecError(TestSweeps.File, 2, 34, "dataset.num_words", "'50' is out of range; allowed range: 100 to 1000000"),
            error);
    }

    [Fact]
    public void A_zero_learning_rate_is_out_of_range()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(grid: "learning_rate: [0.001, 0]"));

        Assert.Equal(new SpecError(TestSweeps.File, 5, 26, "grid.learning_rate[1]", "'0' is out of range; allowed range: > 0"), error);
    }

    [Fact]
    public void A_word_where_an_integer_belongs_is_a_type_error()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(training: "{epochs: twenty}"));

        Assert.Equal(new SpecError(TestSweeps.File, 3, 20, "training.epochs", "expected an integer, found 'twenty'"), error);
    }

    [Fact]
    public void A_quoted_number_is_a_string_not_a_number()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(training: "{epochs: \"20\"}"));

        Assert.Equal(new SpecError(TestSweeps.File, 3, 20, "training.epochs", "expected an integer, found the string '20'"), error);
    }

    [Fact]
    public void A_scalar_where_a_list_belongs_is_a_type_error()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(model: "{small: {hidden: 16}}"));

        Assert.Equal(new SpecError(TestSweeps.File, 4, 27, "grid.model.small.hidden", "expected a list, found '16'"), error);
    }

    [Fact]
    public void A_list_where_a_mapping_belongs_is_a_type_error()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(training: "[20, 512]"));

        Assert.Equal(new SpecError(TestSweeps.File, 3, 11, "training", "expected a mapping, found a list"), error);
    }

    [Fact]
    public void A_non_boolean_flag_is_a_type_error()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(grid: "regularizer: {bn: {batch_norm: yes}}"));

        Assert.Equal(new SpecError(TestSweeps.File, 5, 34, "grid.regularizer.bn.batch_norm", "expected true or false, found 'yes'"), error);
    }

    [Fact]
    public void A_missing_grid_is_reported_at_the_top_of_the_file()
    {
        var error = TestSweeps.SingleError("""
            name: tiny
            dataset: {name: imdb}
            """);

        Assert.Equal(new SpecError(TestSweeps.File, 1, 1, "grid", "required key 'grid' is missing"), error);
    }

    [Fact]
    public void A_grid_without_models_is_reported()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(model: null, grid: "regularizer: {none: {}}"));

        Assert.Equal(new SpecError(TestSweeps.File, 4, 3, "grid.model", "required key 'model' is missing"), error);
    }

    [Fact]
    public void An_empty_model_axis_is_reported()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(model: "{}"));

        Assert.Equal(new SpecError(TestSweeps.File, 4, 10, "grid.model", "must list at least one entry"), error);
    }

    [Fact]
    public void A_model_without_hidden_layers_is_reported()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(model: "{linear: {hidden: []}}"));

        Assert.Equal(new SpecError(TestSweeps.File, 4, 28, "grid.model.linear.hidden", "must list at least one value"), error);
    }

    [Fact]
    public void A_repeated_key_is_reported_where_it_repeats()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(training: """
            epochs: 20
            epochs: 30
            """));

        Assert.Equal(new SpecError(TestSweeps.File, 5, 3, "training.epochs", "duplicate key 'epochs'; it is already defined at line 4"), error);
    }

    [Fact]
    public void A_repeated_grid_entry_name_is_reported()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(model: """
            baseline: {hidden: [16, 16]}
            baseline: {hidden: [4, 4]}
            """));

        Assert.Equal(
            new SpecError(TestSweeps.File, 6, 5, "grid.model.baseline", "duplicate key 'baseline'; it is already defined at line 5"),
            error);
    }

    [Fact]
    public void A_repeated_seed_is_reported()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(training: "{seeds: [1, 2, 1]}"));

        Assert.Equal(new SpecError(TestSweeps.File, 3, 26, "training.seeds[2]", "duplicate seed 1; list each seed once"), error);
    }

    [Fact]
    public void A_repeated_learning_rate_is_reported()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(grid: "learning_rate: [0.001, 1e-3]"));

        Assert.Equal(
            new SpecError(TestSweeps.File, 5, 26, "grid.learning_rate[1]", "duplicate learning rate 0.001; list each rate once"),
            error);
    }

    [Fact]
    public void An_empty_seed_list_is_reported()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(training: "{seeds: []}"));

        Assert.Equal(new SpecError(TestSweeps.File, 3, 19, "training.seeds", "must list at least one value"), error);
    }

    [Theory]
    [InlineData("imdb overfitting")]
    [InlineData("..")]
    [InlineData(".hidden")]
    [InlineData("-x")]
    [InlineData("über")]
    [InlineData("a/b")]
    public void A_sweep_name_unfit_for_a_folder_or_tag_is_reported(string name)
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(name: $"\"{name}\""));

        Assert.Equal(
            new SpecError(TestSweeps.File, 1, 7, "name",
                $"'{name}' is not a valid name; use ASCII letters, digits, '-', '_' and '.', starting with a letter or digit"),
            error);
    }

    [Fact]
    public void A_grid_entry_name_unfit_for_a_folder_or_tag_is_reported()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(model: "big model: {hidden: [512]}"));

        Assert.Equal(5, error.Line);
        Assert.Equal(5, error.Column);
        Assert.Equal("grid.model", error.Field);
        Assert.StartsWith("'big model' is not a valid name", error.Message);
    }

    [Fact]
    public void An_unknown_device_is_reported_with_the_accepted_forms()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(training: "{device: gpu}"));

        Assert.Equal(
            new SpecError(TestSweeps.File, 3, 20, "training.device", "'gpu' is not allowed; allowed values: auto, cpu, cuda, cuda:N (N = GPU index)"),
            error);
    }

    [Fact]
    public void Identical_grid_entries_are_reported_with_both_names()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(model: """
            baseline: {hidden: [16, 16]}
            twin: {hidden: [16, 16]}
            """));

        Assert.Equal(
            new SpecError(TestSweeps.File, 6, 5, "grid.model.twin", "'twin' has the same settings as 'baseline' (line 5); their trials would be identical"),
            error);
    }

    [Fact]
    public void A_yaml_syntax_error_is_reported_with_its_place()
    {
        var error = TestSweeps.SingleError("""
            name: tiny
            dataset: {name: imdb}
            training:
              epochs: 20
             batch_size: 512
            """);

        Assert.Equal((TestSweeps.File, 5, 2, ""), (error.File, error.Line, error.Column, error.Field));
        Assert.NotEmpty(error.Message);
    }

    [Fact]
    public void A_top_level_list_is_reported()
    {
        var error = TestSweeps.SingleError("""
            - name: tiny
            """);

        Assert.Equal(new SpecError(TestSweeps.File, 1, 1, "", "expected a mapping, found a list"), error);
    }

    [Fact]
    public void An_empty_file_is_reported()
    {
        var error = TestSweeps.SingleError("");

        Assert.Equal((TestSweeps.File, ""), (error.File, error.Field));
        Assert.StartsWith("the file is empty", error.Message);
    }

    [Fact]
    public void A_missing_file_is_reported_with_its_path()
    {
        var path = Path.Combine(Path.GetTempPath(), $"gridsweep-{Guid.NewGuid():N}", "missing.yaml");

        var error = Assert.Single(Assert.Throws<SweepSpecException>(() => SweepSpecParser.Load(path)).Errors);

        Assert.Equal(path, error.File);
        Assert.StartsWith("cannot read the sweep file", error.Message);
        Assert.StartsWith($"{path}: cannot read the sweep file", error.ToString());
    }

    [Fact]
    public void All_mistakes_of_a_file_are_reported_in_file_order()
    {
        var errors = TestSweeps.Errors(TestSweeps.Sweep(training: """
            epochs: 0
            optimizer: {name: adamw}
            """, dataset: "{name: imdb, num_words: 5}", model: "{small: {hidden: [4, -1]}}"));

        Assert.Equal(
            [(2, "dataset.num_words"), (4, "training.epochs"), (5, "training.optimizer.name"), (7, "grid.model.small.hidden[1]")],
            errors.Select(e => (e.Line, e.Field)));
    }

    [Fact]
    public void The_exception_message_lists_every_mistake_one_per_line()
    {
        var exception = Assert.Throws<SweepSpecException>(() => TestSweeps.Parse(TestSweeps.Sweep(training: "{epochs: 0, batch_size: 0}")));

        Assert.Equal(
            [
                "sweeps/test.yaml:3:20: training.epochs: '0' is out of range; allowed range: 1 to 2147483647",
                "sweeps/test.yaml:3:35: training.batch_size: '0' is out of range; allowed range: 1 to 2147483647",
            ],
            exception.Message.Split(Environment.NewLine));
    }

    [Fact]
    public void A_repeated_key_does_not_hide_later_mistakes()
    {
        var errors = TestSweeps.Errors(TestSweeps.Sweep(training: """
            epochs: 20
            epochs: 30
            input_layer: spars
            """));

        Assert.Equal([(5, "training.epochs"), (6, "training.input_layer")], errors.Select(e => (e.Line, e.Field)));
    }
}
