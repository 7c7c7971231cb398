using GridSweep.Messages.Sweeps;

namespace GridSweep.Messages.Tests.Sweeps;

/// <summary><c>training.early_stopping</c> and <c>grid.early_stopping</c>: what they read, what each trial gets, what they reject.</summary>
public sealed class EarlyStoppingAxisSpecs
{
    private const string Regression = "{name: csv, path: data.csv, target: y, task: regression}";

    private static IReadOnlyList<TrialSpec> Expand(string yaml) => SweepGrid.Expand(TestSweeps.Parse(yaml));

    [Fact]
    public void Without_early_stopping_every_trial_trains_every_epoch()
    {
        var trial = Expand(TestSweeps.Minimal).Single();

        Assert.Null(trial.EarlyStopping);
        Assert.Equal("none", trial.EarlyStoppingLabel);
    }

    [Fact]
    public void The_training_section_s_early_stopping_takes_keras_defaults_for_what_it_leaves_out()
    {
        var trial = Expand(TestSweeps.Sweep(training: "{early_stopping: {patience: 3}}")).Single();

        Assert.Equal(new EarlyStoppingSpec("val_loss", MinDelta: 0, Patience: 3, Mode: "auto", RestoreBestWeights: true, StartFromEpoch: 0), trial.EarlyStopping);
        Assert.Equal("on", trial.EarlyStoppingLabel);
    }

    [Fact]
    public void Every_setting_of_early_stopping_is_read()
    {
        var spec = TestSweeps.Parse(TestSweeps.Sweep(training: """
            early_stopping:
              monitor: val_accuracy
              min_delta: 0.001
              patience: 2
              mode: max
              restore_best_weights: false
              start_from_epoch: 4
            """));

        Assert.Equal(new EarlyStoppingSpec("val_accuracy", 0.001, 2, "max", false, 4), spec.Training.EarlyStopping);
    }

    [Fact]
    public void An_empty_early_stopping_section_turns_it_off()
    {
        Assert.Null(TestSweeps.Parse(TestSweeps.Sweep(training: "{early_stopping: {}}")).Training.EarlyStopping);
    }

    [Fact]
    public void The_grid_axis_gives_each_cell_its_entry_and_an_empty_entry_turns_early_stopping_off()
    {
        var trials = Expand(TestSweeps.Sweep(training: "{seeds: [1, 2]}", grid: """
            early_stopping:
              off: {}
              patient: {patience: 5, monitor: gap}
            """));

        Assert.Equal(["off/1", "off/2", "patient/1", "patient/2"], trials.Select(t => $"{t.EarlyStoppingLabel}/{t.Seed}"));
        Assert.Null(trials[0].EarlyStopping);
        Assert.Equal(new EarlyStoppingSpec("gap", Patience: 5), trials[2].EarlyStopping);
    }

    [Fact]
    public void Early_stopping_nests_inside_epochs_and_outside_seeds()
    {
        var trials = Expand(TestSweeps.Sweep(training: "{seeds: [1, 2]}", grid: """
            epochs: [10, 20]
            early_stopping: {off: {}, p2: {patience: 2}}
            """));

        Assert.Equal(
            ["10/off/1", "10/off/2", "10/p2/1", "10/p2/2", "20/off/1", "20/off/2", "20/p2/1", "20/p2/2"],
            trials.Select(t => $"{t.Epochs}/{t.EarlyStoppingLabel}/{t.Seed}"));
    }

    [Fact]
    public void A_listed_setting_expands_an_entry_as_a_regularizer_s_list_does()
    {
        var spec = TestSweeps.Parse(TestSweeps.Sweep(grid: "early_stopping: {patient: {patience: [2, 5], min_delta: 0.01}}"));

        Assert.Equal(
            [new GridEntry<EarlyStoppingSpec?>("patient-2", new(MinDelta: 0.01, Patience: 2)), new GridEntry<EarlyStoppingSpec?>("patient-5", new(MinDelta: 0.01, Patience: 5))],
            spec.EarlyStopping);
    }

    [Fact]
    public void Grid_entries_fall_back_to_the_training_section_s_early_stopping()
    {
        var spec = TestSweeps.Parse(TestSweeps.Sweep(training: "{early_stopping: {monitor: val_accuracy, min_delta: 0.01}}", grid: """
            early_stopping: {off: {}, quick: {patience: 1}, slow: {patience: 4, min_delta: 0}}
            """));

        Assert.Equal(
            [null, new("val_accuracy", 0.01, 1), new("val_accuracy", 0, 4)],
            spec.EarlyStopping.Select(entry => entry.Value));
    }

    [Fact]
    public void A_monitor_the_task_does_not_record_is_reported()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(training: "{early_stopping: {monitor: val_accuracy}}", dataset: Regression));

        Assert.Equal(
            new SpecError(TestSweeps.File, 3, 38, "training.early_stopping.monitor",
                "'val_accuracy' is not recorded for dataset 'csv' (regression task); allowed values: val_loss, train_loss, val_mae, train_mae, gap"),
            error);
    }

    [Fact]
    public void A_mean_absolute_error_monitor_on_a_classification_grid_entry_is_reported()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(grid: "early_stopping: {mae: {monitor: val_mae}}"));

        Assert.Equal("sweeps/test.yaml:5:35: grid.early_stopping.mae.monitor: 'val_mae' is not recorded for dataset 'imdb' (binary task); " +
            "allowed values: val_loss, train_loss, val_accuracy, train_accuracy, gap", error.ToString());
    }

    [Fact]
    public void An_unknown_monitor_is_reported_with_the_monitors()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(training: "{early_stopping: {monitor: loss}}"));

        Assert.Equal(
            "sweeps/test.yaml:3:38: training.early_stopping.monitor: 'loss' is not allowed; allowed values: " +
            "val_loss, train_loss, val_accuracy, train_accuracy, val_mae, train_mae, gap",
            error.ToString());
    }

    [Theory]
    [InlineData("{patience: -1}", "training.early_stopping.patience", "'-1' is out of range; allowed range: 0 to 2147483647")]
    [InlineData("{min_delta: -0.1}", "training.early_stopping.min_delta", "'-0.1' is out of range; allowed range: >= 0")]
    [InlineData("{mode: lowest}", "training.early_stopping.mode", "'lowest' is not allowed; allowed values: auto, min, max")]
    [InlineData("{restore_best_weights: yes}", "training.early_stopping.restore_best_weights", "expected true or false, found 'yes'")]
    [InlineData("{baseline: 0.3}", "training.early_stopping.baseline",
        "unknown key 'baseline'; allowed keys: monitor, min_delta, patience, mode, restore_best_weights, start_from_epoch")]
    public void A_bad_setting_is_reported_with_its_field(string settings, string field, string message)
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(training: $"{{early_stopping: {settings}}}"));

        Assert.Equal((field, message), (error.Field, error.Message));
    }

    [Fact]
    public void Two_grid_entries_with_the_same_settings_are_reported()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(grid: "early_stopping: {off: {}, none: {}}"));

        Assert.Equal("'none' has the same settings as 'off' (line 5); their trials would be identical", error.Message);
    }

    [Fact]
    public void Patterns_pick_cells_by_early_stopping_entry()
    {
        var trials = Expand(TestSweeps.Sweep(model: "{a: {hidden: [4]}, b: {hidden: [8]}}", grid: """
            early_stopping: {off: {}, patient: {patience: [2, 5]}}
            exclude:
              - {model: a, early_stopping: patient}
              - {model: b, early_stopping: off}
            include:
              - {model: a, early_stopping: patient-5}
            """));

        Assert.Equal(["a/off", "b/patient-2", "b/patient-5", "a/patient-5"], trials.Select(t => $"{t.Model}/{t.EarlyStoppingLabel}"));
    }

    [Fact]
    public void An_unknown_early_stopping_entry_in_a_pattern_is_reported()
    {
        var error = TestSweeps.SingleError(TestSweeps.Sweep(grid: """
            early_stopping: {off: {}, p2: {patience: 2}}
            exclude:
              - {early_stopping: p3}
            """));

        Assert.Equal("'p3' is not an entry of grid.early_stopping; entries: off, p2", error.Message);
    }

    [Fact]
    public void Early_stopping_the_grid_does_not_sweep_is_known_to_patterns_by_its_label()
    {
        var trials = Expand(TestSweeps.Sweep(training: "{early_stopping: {patience: 2}}", model: "{a: {hidden: [4]}, b: {hidden: [8]}}", grid: """
            exclude:
              - {model: b, early_stopping: on}
            """));

        Assert.Equal(["a"], trials.Select(t => t.Model));
    }

    [Fact]
    public void Two_spellings_of_one_criterion_resolve_to_the_same_trial()
    {
        var error = Assert.Single(Assert.Throws<SweepSpecException>(() => Expand(TestSweeps.Sweep(grid: """
            early_stopping: {a: {patience: 2}, b: {patience: 2, mode: min}}
            """))).Errors);

        Assert.StartsWith("'small/none/adam/early stopping b/seed 1' resolves to the same configuration as 'small/none/adam/early stopping a/seed 1'", error.Message);
    }
}
