using GridSweep.Messages.Sweeps;

namespace GridSweep.Messages.Tests.Sweeps;

/// <summary><c>grid.exclude</c> takes cells out of the product; <c>grid.include</c> adds cells after it.</summary>
public sealed class CellPatternSpecs
{
    private const string TwoModels = "{a: {hidden: [4]}, b: {hidden: [8]}}";

    private static IReadOnlyList<TrialSpec> Expand(string grid, string model = TwoModels, string? training = null) =>
        SweepGrid.Expand(TestSweeps.Parse(TestSweeps.Sweep(training: training, model: model, grid: grid)));

    private static IReadOnlyList<SpecError> ExpandErrors(string grid, string model = TwoModels) =>
        Assert.Throws<SweepSpecException>(() => Expand(grid, model)).Errors;

    private static IEnumerable<string> Labels(IEnumerable<TrialSpec> trials) =>
        trials.Select(t => $"{t.Model}/{t.Regularizer}/{t.Activation}/{t.BatchSize}");

    [Fact]
    public void Patterns_are_stored_on_the_spec_with_their_lines()
    {
        var spec = TestSweeps.Parse(TestSweeps.Sweep(model: TwoModels, grid: """
            batch_size: [32, 128]
            exclude:
              - {model: b, batch_size: 32}
            include:
              - {model: a, batch_size: 64}
            """));

        var exclude = Assert.Single(spec.Exclude);
        Assert.Equal(new Dictionary<string, string> { ["model"] = "b", ["batch_size"] = "32" }, exclude.Axes);
        Assert.Equal((7, 7), (exclude.Line, exclude.Column));
        Assert.Equal(9, Assert.Single(spec.Include).Line);
    }

    [Fact]
    public void Exclude_removes_every_cell_matching_all_the_pairs_of_a_pattern()
    {
        var trials = Expand("""
            regularizer: {none: {}, l2: {l2: 0.001}}
            batch_size: [32, 128]
            exclude:
              - {model: b, batch_size: 32}
            """);

        Assert.Equal(
            ["a/none/relu/32", "a/none/relu/128", "a/l2/relu/32", "a/l2/relu/128", "b/none/relu/128", "b/l2/relu/128"],
            Labels(trials));
    }

    [Fact]
    public void Exclude_removes_the_cells_matching_any_pattern()
    {
        var trials = Expand("""
            regularizer: {none: {}, l2: {l2: 0.001}}
            exclude:
              - {model: a, regularizer: l2}
              - {model: b, regularizer: none}
            """);

        Assert.Equal(["a/none/relu/512", "b/l2/relu/512"], Labels(trials));
    }

    [Fact]
    public void Exclude_matches_every_seed_of_a_cell_unless_it_names_one()
    {
        var trials = Expand("""
            exclude:
              - {model: a}
              - {model: b, seed: 2}
            """, training: "{seeds: [1, 2, 3]}");

        Assert.Equal(["b/1", "b/3"], trials.Select(t => $"{t.Model}/{t.Seed}"));
    }

    [Fact]
    public void Numbers_in_patterns_are_compared_as_numbers()
    {
        var trials = Expand("""
            learning_rate: [0.01, 0.001]
            epochs: [10, 20]
            exclude:
              - {learning_rate: 1e-3, epochs: 10}
            """, model: "{a: {hidden: [4]}}");

        Assert.Equal(["adam-lr0.01/10", "adam-lr0.01/20", "adam-lr0.001/20"], trials.Select(t => $"{t.Optimizer}/{t.Epochs}"));
    }

    [Fact]
    public void A_declared_entry_name_stands_for_every_entry_it_expanded_into()
    {
        var trials = Expand("""
            regularizer: {none: {}, l2: {l2: [0.001, 0.01]}}
            exclude:
              - {model: b, regularizer: l2}
            """);

        Assert.Equal(["a/none", "a/l2-0.001", "a/l2-0.01", "b/none"], trials.Select(t => $"{t.Model}/{t.Regularizer}"));
    }

    [Fact]
    public void An_expanded_entry_is_matched_by_its_own_name()
    {
        var trials = Expand("""
            regularizer: {l2: {l2: [0.001, 0.01]}}
            exclude:
              - {regularizer: l2-0.01}
            """, model: "{a: {hidden: [4]}}");

        Assert.Equal(["l2-0.001"], trials.Select(t => t.Regularizer));
    }

    [Fact]
    public void An_optimizer_name_matches_its_learning_rate_variants()
    {
        var trials = Expand("""
            optimizer: {adam: {}, sgd: {}}
            learning_rate: [0.1, 0.01]
            exclude:
              - {optimizer: sgd, learning_rate: 0.1}
            """, model: "{a: {hidden: [4]}}");

        Assert.Equal(["adam-lr0.1", "adam-lr0.01", "sgd-lr0.01"], trials.Select(t => t.Optimizer));
    }

    [Fact]
    public void Exclude_by_activation_on_the_activation_axis()
    {
        var trials = Expand("""
            activation: [relu, tanh]
            exclude:
              - {model: a, activation: tanh}
            """);

        Assert.Equal(["a/none/relu/512", "b/none/relu/512", "b/none/tanh/512"], Labels(trials));
    }

    [Fact]
    public void Exclude_by_activation_without_the_axis_matches_the_models_that_have_it()
    {
        var trials = Expand("""
            exclude:
              - {activation: tanh}
            """, model: "{a: {hidden: [4], activation: tanh}, b: {hidden: [8]}}");

        Assert.Equal(["b"], trials.Select(t => t.Model));
    }

    [Fact]
    public void Include_adds_cells_after_the_product_crossed_with_the_axes_it_leaves_out()
    {
        var trials = Expand("""
            regularizer: {none: {}, l2: {l2: 0.001}}
            batch_size: [32]
            include:
              - {model: b, batch_size: 256}
            """, training: "{seeds: [1, 2]}");

        Assert.Equal(
            ["a/none/32/1", "a/none/32/2", "a/l2/32/1", "a/l2/32/2", "b/none/32/1", "b/none/32/2", "b/l2/32/1", "b/l2/32/2",
             "b/none/256/1", "b/none/256/2", "b/l2/256/1", "b/l2/256/2"],
            trials.Select(t => $"{t.Model}/{t.Regularizer}/{t.BatchSize}/{t.Seed}"));
    }

    [Fact]
    public void Include_may_give_activation_batch_size_and_epochs_off_the_axes()
    {
        var trials = Expand("""
            activation: [relu]
            include:
              - {model: a, activation: gelu, batch_size: 16, epochs: 3}
            """);

        var added = trials.Last();
        Assert.Equal(3, trials.Count);
        Assert.Equal((new ModelSpec([4], "gelu"), 16, 3), (added.ModelConfig, added.BatchSize, added.Epochs));
    }

    [Fact]
    public void Include_may_give_an_activation_when_the_grid_does_not_sweep_it()
    {
        var trials = Expand("""
            include:
              - {model: a, activation: tanh}
            """);

        Assert.Equal(["a/none/relu/512", "b/none/relu/512", "a/none/tanh/512"], Labels(trials));
    }

    [Fact]
    public void An_included_cell_already_in_the_grid_is_there_once()
    {
        var trials = Expand("""
            batch_size: [32, 64]
            include:
              - {model: a, batch_size: 32}
              - {model: a, batch_size: 16}
              - {model: a, batch_size: 16}
            """);

        Assert.Equal(["a/none/relu/32", "a/none/relu/64", "b/none/relu/32", "b/none/relu/64", "a/none/relu/16"], Labels(trials));
    }

    [Fact]
    public void Include_brings_back_an_excluded_cell()
    {
        var trials = Expand("""
            batch_size: [32, 64]
            exclude:
              - {batch_size: 64}
            include:
              - {model: b, batch_size: 64}
            """);

        Assert.Equal(["a/none/relu/32", "b/none/relu/32", "b/none/relu/64"], Labels(trials));
    }

    [Fact]
    public void Exclusions_that_leave_nothing_are_allowed_when_include_gives_the_cells()
    {
        var trials = Expand("""
            exclude:
              - {model: a}
              - {model: b}
            include:
              - {model: a, batch_size: 64}
            """);

        Assert.Equal(["a/none/relu/64"], Labels(trials));
    }

    [Fact]
    public void Include_keeps_the_ids_of_the_same_configuration_in_another_grid()
    {
        var included = Expand("""
            include:
              - {model: a, batch_size: 64, epochs: 4}
            """, training: "{seeds: [1, 2]}");

        Assert.Equal(["19a57326c280", "2e7d96370178"], included.TakeLast(2).Select(t => t.Id));
    }

    [Fact]
    public void Include_by_learning_rate_picks_the_optimizers_that_have_it()
    {
        var trials = Expand("""
            optimizer: {adam: {}, sgd: {}}
            learning_rate: [0.1, 0.01]
            exclude:
              - {learning_rate: 0.1}
            include:
              - {model: a, optimizer: sgd, learning_rate: 0.1}
            """);

        Assert.Equal(
            ["a/adam-lr0.01", "a/sgd-lr0.01", "b/adam-lr0.01", "b/sgd-lr0.01", "a/sgd-lr0.1"],
            trials.Select(t => $"{t.Model}/{t.Optimizer}"));
    }

    [Fact]
    public void Include_with_a_learning_rate_no_optimizer_has_is_reported()
    {
        var error = Assert.Single(ExpandErrors("""
            include:
              - {model: a, learning_rate: 0.5}
            """));

        Assert.Equal((TestSweeps.File, 6, 7, "grid.include"), (error.File, error.Line, error.Column, error.Field));
        Assert.Equal("{model: a, learning_rate: 0.5} matches no entry of the grid; give names of grid.model, grid.regularizer and grid.optimizer entries, and a learning_rate one of the optimizers has", error.Message);
    }

    [Fact]
    public void An_exclude_pattern_that_matches_no_cell_is_reported_at_its_line()
    {
        var error = Assert.Single(ExpandErrors("""
            batch_size: [32, 128]
            exclude:
              - {model: b, batch_size: 64}
            """));

        Assert.Equal(
            new SpecError(TestSweeps.File, 7, 7, "grid.exclude",
                "{model: b, batch_size: 64} matches no cell of the grid; check its names and values against the axes"),
            error);
    }

    [Fact]
    public void An_exclude_pattern_covered_by_an_earlier_one_still_matches()
    {
        var trials = Expand("""
            batch_size: [32, 128]
            exclude:
              - {model: b}
              - {model: b, batch_size: 32}
            """);

        Assert.Equal(["a/none/relu/32", "a/none/relu/128"], Labels(trials));
    }

    [Fact]
    public void An_exclude_pattern_on_a_declared_name_reports_its_expanded_names_when_it_matches_nothing()
    {
        var error = Assert.Single(ExpandErrors("""
            regularizer: {l2: {l2: [0.001, 0.01]}}
            exclude:
              - {regularizer: l2, seed: 9}
            """));

        Assert.Equal((7, "{regularizer: l2-0.001|l2-0.01, seed: 9} matches no cell of the grid; check its names and values against the axes"),
            (error.Line, error.Message));
    }

    [Fact]
    public void Exclusions_that_leave_no_cell_are_reported()
    {
        var error = Assert.Single(ExpandErrors("""
            exclude:
              - {model: a}
              - {model: b}
            """));

        Assert.Equal(
            new SpecError(TestSweeps.File, 0, 0, "grid.exclude", "the exclusions leave no cell of the grid; narrow or remove an exclude pattern"),
            error);
    }

    [Fact]
    public void An_unknown_axis_in_a_pattern_is_reported_with_the_axes()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(model: TwoModels, grid: """
            exclude:
              - {model: a, optimiser: adam}
            """));

        Assert.Equal(
            new SpecError(TestSweeps.File, 6, 18, "grid.exclude[0].optimiser",
                "unknown key 'optimiser'; allowed keys: model, regularizer, optimizer, learning_rate, activation, batch_size, epochs, early_stopping, seed"),
            error);
    }

    [Theory]
    [InlineData("exclude")]
    [InlineData("include")]
    public void An_unknown_entry_name_in_a_pattern_is_reported_with_the_entries(string key)
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(model: TwoModels, grid: $"""
            regularizer: {"{"}none: {"{}"}, l2: {"{"}l2: [0.001, 0.01]{"}}"}
            {key}:
              - {"{"}model: c{"}"}
            """));

        Assert.Equal(
            new SpecError(TestSweeps.File, 7, 15, $"grid.{key}[0].model", "'c' is not an entry of grid.model; entries: a, b"),
            error);
    }

    [Fact]
    public void The_entries_listed_for_an_unknown_name_include_declared_and_expanded_names()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(model: TwoModels, grid: """
            regularizer: {none: {}, l2: {l2: [0.001, 0.01]}}
            exclude:
              - {regularizer: l3}
            """));

        Assert.Equal("'l3' is not an entry of grid.regularizer; entries: none, l2, l2-0.001, l2-0.01", error.Message);
    }

    [Fact]
    public void A_pattern_naming_an_entry_with_mistakes_of_its_own_is_not_reported_again()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(model: "{a: {hidden: [4]}, b: {hidden: [0]}}", grid: """
            exclude:
              - {model: b}
            """));

        Assert.Equal("grid.model.b.hidden[0]", error.Field);
    }

    [Fact]
    public void An_empty_pattern_is_reported()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(model: TwoModels, grid: """
            include:
              - {}
            """));

        Assert.Equal(
            new SpecError(TestSweeps.File, 6, 7, "grid.include[0]",
                "a pattern names at least one axis (model, regularizer, optimizer, learning_rate, activation, batch_size, epochs, early_stopping, seed)"),
            error);
    }

    [Theory]
    [InlineData("{activation: swish}", "grid.include[0].activation", "'swish' is not allowed; allowed values: relu, tanh, elu, gelu, sigmoid")]
    [InlineData("{batch_size: 0}", "grid.include[0].batch_size", "'0' is out of range; allowed range: 1 to 2147483647")]
    [InlineData("{epochs: ten}", "grid.include[0].epochs", "expected an integer, found 'ten'")]
    [InlineData("{seed: 1.5}", "grid.include[0].seed", "expected an integer, found '1.5'")]
    [InlineData("{learning_rate: 0}", "grid.include[0].learning_rate", "'0' is out of range; allowed range: > 0")]
    [InlineData("[model, a]", "grid.include[0]", "expected a mapping, found a list")]
    public void A_bad_value_in_a_pattern_is_reported(string pattern, string field, string message)
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(model: TwoModels, grid: $"include:\n  - {pattern}"));

        Assert.Equal((6, field, message), (error.Line, error.Field, error.Message));
    }

    [Fact]
    public void Patterns_must_be_a_list()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(model: TwoModels, grid: "exclude: {model: a}"));

        Assert.Equal(("grid.exclude", "expected a list, found a mapping"), (error.Field, error.Message));
    }

    [Fact]
    public void Included_cells_that_repeat_another_cell_s_configuration_are_reported()
    {
        var spec = TestSweeps.Parse(TestSweeps.Sweep(model: TwoModels)) with
        {
            Models = [new("a", new ModelSpec([4])), new("b", new ModelSpec([4], "tanh"))],
            Include = [new CellPattern(new Dictionary<string, string> { ["model"] = "b", ["activation"] = "relu" }, 9)],
        };

        var error = Assert.Single(Assert.Throws<SweepSpecException>(() => SweepGrid.Expand(spec)).Errors);

        Assert.Equal("'b/none/adam/seed 1' resolves to the same configuration as 'a/none/adam/seed 1' (trial id e5a269d69230); give the entries different settings or remove one", error.Message);
    }

    [Fact]
    public void A_pattern_built_in_code_with_an_unknown_axis_is_reported()
    {
        var spec = TestSweeps.Parse(TestSweeps.Sweep(model: TwoModels)) with
        {
            Exclude = [new CellPattern(new Dictionary<string, string> { ["model"] = "a", ["depth"] = "2" }, 12)],
        };

        var errors = Assert.Throws<SweepSpecException>(() => SweepGrid.Expand(spec)).Errors;

        Assert.Contains(errors, e => e.Line == 12 && e.Message.StartsWith("unknown axis 'depth'"));
    }

    [Fact]
    public void A_grid_of_100000_cells_with_patterns_expands_in_linear_time()
    {
        var sizes = string.Join(", ", Enumerable.Range(1, 100));
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();

        var trials = Expand($"""
            regularizer: {"{"}l2: {"{"}l2: [{string.Join(", ", Enumerable.Range(1, 50).Select(i => i * 0.0001))}]{"}}"}
            batch_size: [{sizes}]
            epochs: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
            exclude:
              - {"{"}model: a, batch_size: 1{"}"}
            include:
              - {"{"}model: a, batch_size: 1, epochs: 1{"}"}
            """);

        Assert.Equal(2 * 50 * 100 * 10 - 500 + 50, trials.Count);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(60), $"took {stopwatch.Elapsed}");
    }
}
