using GridSweep.Messages.Sweeps;

namespace GridSweep.Messages.Tests.Sweeps;

/// <summary>A list where a regularizer or optimizer entry takes a number expands the entry into one entry per value.</summary>
public sealed class EntryListSpecs
{
    [Fact]
    public void One_list_expands_a_regularizer_into_entries_named_after_its_values()
    {
        var spec = TestSweeps.Parse(TestSweeps.Sweep(grid: "regularizer: {l2: {l2: [0.0001, 0.001, 0.01]}}"));

        Assert.Equal(
            [new("l2-0.0001", new RegularizerSpec(L2: 0.0001)), new("l2-0.001", new RegularizerSpec(L2: 0.001)), new("l2-0.01", new RegularizerSpec(L2: 0.01))],
            spec.Regularizers);
    }

    [Fact]
    public void Settings_given_as_one_number_apply_to_every_expanded_entry()
    {
        var spec = TestSweeps.Parse(TestSweeps.Sweep(grid: "regularizer: {drop: {dropout: [0.2, 0.5], l2: 0.001, batch_norm: true}}"));

        Assert.Equal(
            [
                new("drop-0.2", new RegularizerSpec(L2: 0.001, Dropout: 0.2, BatchNorm: true)),
                new("drop-0.5", new RegularizerSpec(L2: 0.001, Dropout: 0.5, BatchNorm: true)),
            ],
            spec.Regularizers);
    }

    [Fact]
    public void Several_lists_expand_into_their_product_named_by_key_and_value()
    {
        var spec = TestSweeps.Parse(TestSweeps.Sweep(grid: "regularizer: {elastic: {l2: [0.01, 0.1], l1: [0.001, 0.002]}}"));

        // Product in the schema's key order (l1, l2, dropout), the first key outermost.
        Assert.Equal(
            [
                new("elastic-l1-0.001-l2-0.01", new RegularizerSpec(L1: 0.001, L2: 0.01)),
                new("elastic-l1-0.001-l2-0.1", new RegularizerSpec(L1: 0.001, L2: 0.1)),
                new("elastic-l1-0.002-l2-0.01", new RegularizerSpec(L1: 0.002, L2: 0.01)),
                new("elastic-l1-0.002-l2-0.1", new RegularizerSpec(L1: 0.002, L2: 0.1)),
            ],
            spec.Regularizers);
    }

    [Fact]
    public void Expanded_entries_keep_their_place_among_the_declared_ones()
    {
        var spec = TestSweeps.Parse(TestSweeps.Sweep(grid: "regularizer: {none: {}, l2: {l2: [0.001, 0.01]}, dropout: {dropout: 0.5}}"));

        Assert.Equal(["none", "l2-0.001", "l2-0.01", "dropout"], spec.Regularizers.Select(r => r.Name));
    }

    [Fact]
    public void One_list_expands_an_optimizer()
    {
        var spec = TestSweeps.Parse(TestSweeps.Sweep(grid: "optimizer: {sgd: {momentum: [0.0, 0.9], learning_rate: 0.01}}"));

        Assert.Equal(
            [new("sgd-0", new OptimizerSpec("sgd", 0.01, Momentum: 0)), new("sgd-0.9", new OptimizerSpec("sgd", 0.01, Momentum: 0.9))],
            spec.Optimizers);
    }

    [Fact]
    public void Every_numeric_optimizer_setting_may_be_a_list()
    {
        var spec = TestSweeps.Parse(TestSweeps.Sweep(grid: """
            optimizer:
              adam: {learning_rate: [0.01, 0.001], beta_1: [0.8, 0.9], beta_2: [0.99], epsilon: [1e-8], momentum: [0.5], rho: [0.95]}
            """));

        Assert.Equal(
            [
                "adam-learning_rate-0.01-beta_1-0.8-beta_2-0.99-epsilon-1E-08-momentum-0.5-rho-0.95",
                "adam-learning_rate-0.01-beta_1-0.9-beta_2-0.99-epsilon-1E-08-momentum-0.5-rho-0.95",
                "adam-learning_rate-0.001-beta_1-0.8-beta_2-0.99-epsilon-1E-08-momentum-0.5-rho-0.95",
                "adam-learning_rate-0.001-beta_1-0.9-beta_2-0.99-epsilon-1E-08-momentum-0.5-rho-0.95",
            ],
            spec.Optimizers.Select(o => o.Name));
        Assert.Equal(new OptimizerSpec("adam", 0.001, 0.9, 0.99, 1e-8, 0.5, 0.95), spec.Optimizers[3].Value);
    }

    [Fact]
    public void Expanded_optimizers_fall_back_to_the_training_optimizer()
    {
        var spec = TestSweeps.Parse(TestSweeps.Sweep(training: "optimizer: {name: rmsprop, rho: 0.8}", grid: "optimizer: {fast: {learning_rate: [0.1, 0.01]}}"));

        Assert.Equal(
            [new("fast-0.1", new OptimizerSpec("rmsprop", 0.1, Rho: 0.8)), new("fast-0.01", new OptimizerSpec("rmsprop", 0.01, Rho: 0.8))],
            spec.Optimizers);
    }

    [Fact]
    public void A_learning_rate_axis_multiplies_expanded_optimizers()
    {
        var trials = SweepGrid.Expand(TestSweeps.Parse(TestSweeps.Sweep(grid: """
            optimizer: {sgd: {momentum: [0.5, 0.9]}}
            learning_rate: [0.1, 0.01]
            """)));

        Assert.Equal(["sgd-0.5-lr0.1", "sgd-0.5-lr0.01", "sgd-0.9-lr0.1", "sgd-0.9-lr0.01"], trials.Select(t => t.Optimizer));
        Assert.Equal(new OptimizerSpec("sgd", 0.01, Momentum: 0.9), trials[3].OptimizerConfig);
    }

    [Fact]
    public void Numbers_in_names_take_the_invariant_round_trip_form()
    {
        var spec = TestSweeps.Parse(TestSweeps.Sweep(grid: "regularizer: {l1: {l1: [1e-5, 0.50, 2]}}"));

        Assert.Equal(["l1-1E-05", "l1-0.5", "l1-2"], spec.Regularizers.Select(r => r.Name));
    }

    [Fact]
    public void Each_expanded_entry_is_a_cell_of_the_grid()
    {
        var trials = SweepGrid.Expand(TestSweeps.Parse(TestSweeps.Sweep(model: "{a: {hidden: [4]}, b: {hidden: [8]}}", grid: """
            regularizer: {l2: {l2: [0.001, 0.01]}}
            optimizer: {adam: {learning_rate: [0.01, 0.001]}}
            """)));

        Assert.Equal(
            ["a/l2-0.001/adam-0.01", "a/l2-0.001/adam-0.001", "a/l2-0.01/adam-0.01", "a/l2-0.01/adam-0.001", "b/l2-0.001/adam-0.01"],
            trials.Take(5).Select(t => $"{t.Model}/{t.Regularizer}/{t.Optimizer}"));
        Assert.Equal(8, trials.Select(t => t.Id).Distinct().Count());
    }

    [Fact]
    public void An_empty_list_is_reported()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(grid: "regularizer: {l2: {l2: []}}"));

        Assert.Equal(new SpecError(TestSweeps.File, 5, 26, "grid.regularizer.l2.l2", "must list at least one value"), error);
    }

    [Fact]
    public void A_repeated_value_is_reported_at_its_item()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(grid: "regularizer: {l2: {l2: [0.001, 1e-3]}}"));

        Assert.Equal(new SpecError(TestSweeps.File, 5, 34, "grid.regularizer.l2.l2[1]", "duplicate value 0.001; list each value once"), error);
    }

    [Fact]
    public void A_value_out_of_range_is_reported_at_its_item()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(grid: """
            regularizer:
              l2: {l2: [0.0001, -0.001]}
            """));

        Assert.Equal(new SpecError(TestSweeps.File, 6, 23, "grid.regularizer.l2.l2[1]", "'-0.001' is out of range; allowed range: >= 0"), error);
    }

    [Fact]
    public void An_optimizer_value_out_of_range_is_reported_at_its_item()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(grid: "optimizer: {sgd: {momentum: [0.9, 1.5]}}"));

        Assert.Equal(new SpecError(TestSweeps.File, 5, 37, "grid.optimizer.sgd.momentum[1]", "'1.5' is out of range; allowed range: >= 0 and < 1"), error);
    }

    [Fact]
    public void A_word_in_a_list_is_reported_at_its_item()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(grid: "regularizer: {d: {dropout: [0.1, half]}}"));

        Assert.Equal(new SpecError(TestSweeps.File, 5, 36, "grid.regularizer.d.dropout[1]", "expected a number, found 'half'"), error);
    }

    [Fact]
    public void Batch_norm_is_a_flag_not_a_list()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(grid: "regularizer: {bn: {batch_norm: [true, false]}}"));

        Assert.Equal(("grid.regularizer.bn.batch_norm", "expected true or false, found a list"), (error.Field, error.Message));
    }

    [Fact]
    public void A_generated_name_taken_by_another_entry_is_reported()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(grid: """
            regularizer:
              l2-0.01: {l2: 0.05}
              l2: {l2: [0.001, 0.01]}
            """));

        Assert.Equal(
            new SpecError(TestSweeps.File, 7, 5, "grid.regularizer.l2",
                "'l2' expands to 'l2-0.01', which is also the name of an entry from 'l2-0.01' (line 6); rename one"),
            error);
    }

    [Fact]
    public void A_learning_rate_axis_name_taken_by_another_entry_is_reported()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(grid: """
            optimizer:
              adam: {}
              adam-lr0.01: {learning_rate: 0.5}
            learning_rate: [0.01]
            """));

        Assert.Equal((7, "grid.optimizer.adam-lr0.01"), (error.Line, error.Field));
        Assert.Contains("'adam-lr0.01'", error.Message);
    }

    [Fact]
    public void Expanded_entries_with_the_same_settings_as_another_entry_are_repeats()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(grid: """
            regularizer:
              light: {l2: 0.001}
              l2: {l2: [0.001, 0.01]}
            """));

        Assert.Equal(
            new SpecError(TestSweeps.File, 7, 5, "grid.regularizer.l2", "'l2-0.001' has the same settings as 'light' (line 6); their trials would be identical"),
            error);
    }

    [Fact]
    public void A_learning_rate_list_in_an_entry_and_a_learning_rate_axis_are_reported_together()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(grid: """
            optimizer: {adam: {learning_rate: [0.1, 0.01]}}
            learning_rate: [0.001]
            """));

        Assert.Equal(
            new SpecError(TestSweeps.File, 5, 37, "grid.optimizer.adam.learning_rate",
                "'adam' lists learning rates while grid.learning_rate (line 6) sweeps them; list the rates in one of the two places"),
            error);
    }

    [Fact]
    public void A_list_of_names_is_not_accepted_for_the_optimizer_name()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(grid: "optimizer: {o: {name: [adam, sgd]}}"));

        Assert.Equal(("grid.optimizer.o.name", "expected a string, found a list"), (error.Field, error.Message));
    }
}
