using System.Text.Json.Nodes;
using GridSweep.Messages.Trials;
using GridSweep.TestKit;
using Xunit.Abstractions;

namespace GridSweep.Dashboards.Tests;

/// <summary>The sweep overview's queries against the small sweep in a real influxd.</summary>
[Collection(SmallSweepCollection.Name)]
public sealed class OverviewQuerySpecs : IAsyncLifetime, IDisposable
{
    public const string File = "gridsweep-overview.json";
    private readonly InfluxServer _server;
    private readonly GrafanaEmulation _grafana;
    private readonly JsonObject _dashboard = DashboardFiles.Load(File);

    public OverviewQuerySpecs(SmallSweepFixture fixture, ITestOutputHelper output)
    {
        _server = fixture.Server;
        _grafana = new GrafanaEmulation(QueryEnvironment.For(_server), output);
    }

    public Task InitializeAsync() => _grafana.ResolveVariablesAsync(_dashboard);

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => _grafana.Dispose();

    [Fact]
    public void The_variables_list_the_sweeps_and_the_selected_sweeps_grid()
    {
        Assert.Equal([SmallSweep.Name, SmallSweep.RegressionSweep, SmallSweep.OtherSweep], _grafana.Options["sweep"]);
        Assert.Equal([SmallSweep.Name], _grafana.Selections["sweep"].Values);
        Assert.Equal(SmallSweep.Models, _grafana.Options["model"]);
        Assert.Equal(SmallSweep.Regularizers, _grafana.Options["regularizer"]);
        Assert.Equal(SmallSweep.Seeds, _grafana.Options["seed"]);
        Assert.True(_grafana.Selections["model"].All);
        // The axes added since, and the task, filter the same way: every value of the sweep, All selected.
        Assert.Equal(["adam"], _grafana.Options["optimizer"]);
        Assert.Equal(["0.001"], _grafana.Options["learning_rate"]);
        Assert.Equal(["relu"], _grafana.Options["activation"]);
        Assert.Equal(["512"], _grafana.Options["batch_size"]);
        Assert.Equal(["5"], _grafana.Options["epochs"]);
        Assert.Equal(["binary"], _grafana.Options["task"]);
        Assert.All(new[] { "optimizer", "learning_rate", "activation", "batch_size", "epochs", "task" }, name => Assert.True(_grafana.Selections[name].All));
    }

    [Fact]
    public async Task The_best_validation_accuracy_grid_holds_each_cells_mean_of_its_trials_maximum()
    {
        var result = await RunGridAsync("Best validation accuracy");
        foreach (var (model, regularizer) in Cells())
        {
            var expected = Expected.Cell(model, regularizer).Where(t => t.Epochs.Count > 0).Average(t => t.Epochs.Max(e => e.ValAccuracy));
            Expected.Near(expected, result.Single(("model", model), ("regularizer", regularizer)).Number("best_val_accuracy"), $"{model}/{regularizer}");
        }
        Expected.Near(0.85, result.Single(("model", "baseline"), ("regularizer", "none")).Number("best_val_accuracy"), "baseline/none");
        var mae = DashboardFiles.Panel(_dashboard, "Best validation mean absolute error (regression)");
        Assert.Empty((await _grafana.RunTargetAsync(mae, DashboardFiles.Targets(mae).Single())).Rows);
    }

    [Fact]
    public async Task A_regression_sweep_fills_the_mae_grid_and_leaves_the_accuracy_grid_empty()
    {
        _grafana.Select("sweep", SmallSweep.RegressionSweep);
        var result = await RunGridAsync("Best validation mean absolute error (regression)");
        // One model and regularizer: the mean over its 8 trials (learning rates, batch sizes, seeds) of each one's lowest MAE.
        var row = Assert.Single(result.Rows);
        Expected.Near(SmallSweep.InRegressionSweep.Average(t => t.Epochs.Min(e => e.ValMae)), row.Number("best_val_mae"), "baseline/none");
        Expected.Near(Enumerable.Range(1, 8).Average(i => 2.5 + 0.25 * i), row.Number("best_val_mae"), "the floors of the 8 trials");
        var accuracy = DashboardFiles.Panel(_dashboard, "Best validation accuracy");
        Assert.Empty((await _grafana.RunTargetAsync(accuracy, DashboardFiles.Targets(accuracy).Single())).Rows);
    }

    [Fact]
    public async Task The_ranked_table_of_a_regression_sweep_shows_every_axis_and_the_best_mae()
    {
        _grafana.Select("sweep", SmallSweep.RegressionSweep);
        var panel = DashboardFiles.Panel(_dashboard, "Ranked trials (best 100 by best validation loss)");
        var result = await _grafana.RunTargetAsync(panel, DashboardFiles.Targets(panel).Single());
        Assert.Equal(8, result.Rows.Count);
        foreach (var trial in SmallSweep.InRegressionSweep)
        {
            var row = result.Single(("trial_id", trial.Spec.Id));
            Assert.Equal((trial.Spec.Optimizer, trial.Spec.OptimizerConfig.LearningRate.ToString(System.Globalization.CultureInfo.InvariantCulture), "tanh", trial.Spec.BatchSize.ToString(), "4", "regression"),
                (row.Text("optimizer"), row.Text("learning_rate"), row.Text("activation"), row.Text("batch_size"), row.Text("epochs"), row.Text("task")));
            Expected.Near(trial.Summary!.BestValMae, row.Number("best_val_mae"), trial.Spec.Id);
            Assert.False(row.Has("best_val_accuracy"), "a regression trial has no accuracy");
        }
    }

    [Theory]
    [InlineData("Trials", "trials", null)]
    [InlineData("Queued", "queued", TrialStatus.Queued)]
    [InlineData("Running", "running", TrialStatus.Running)]
    [InlineData("Completed", "completed", TrialStatus.Completed)]
    [InlineData("Failed", "failed", TrialStatus.Failed)]
    [InlineData("Diverged", "diverged", TrialStatus.Diverged)]
    public async Task A_progress_count_is_the_number_of_trials_whose_latest_state_is_that(string title, string column, TrialStatus? status)
    {
        var panel = DashboardFiles.Panel(_dashboard, title);
        var result = await _grafana.RunTargetAsync(panel, DashboardFiles.Targets(panel).Single());
        var row = Assert.Single(result.Rows);
        var expected = status is { } s ? Expected.Count(s) : SmallSweep.InSweep.Count();
        Assert.Equal(expected, row.Number(column));
        Assert.True(expected >= 1);
    }

    [Fact]
    public async Task The_stopped_early_count_is_the_number_of_trials_early_stopping_ended_and_they_stay_completed()
    {
        var panel = DashboardFiles.Panel(_dashboard, "Stopped early");
        var result = await _grafana.RunTargetAsync(panel, DashboardFiles.Targets(panel).Single());
        var stopped = SmallSweep.InSweep.Where(t => t.Summary is { StoppedEarly: true }).ToList();
        Assert.Equal("aaaa00000005", Assert.Single(stopped).Spec.Id);
        Assert.Equal(stopped.Count, Assert.Single(result.Rows).Number("stopped_early"));
        Assert.Equal(TrialStatus.Completed, stopped[0].LatestStatus);
        var attention = DashboardFiles.Panel(_dashboard, "Running, failed and diverged trials");
        Assert.DoesNotContain((await _grafana.RunTargetAsync(attention, DashboardFiles.Targets(attention).Single())).Rows, r => r.Text("trial_id") == "aaaa00000005");
    }

    [Fact]
    public async Task The_best_validation_loss_grid_holds_each_cells_mean_of_its_trials_minimum()
    {
        var result = await RunGridAsync("Best validation loss");
        foreach (var (model, regularizer) in Cells())
            Expected.Near(Expected.BestValLoss(model, regularizer), result.Single(("model", model), ("regularizer", regularizer)).Number("best_val_loss"), $"{model}/{regularizer}");
        // Written numbers, not just the same formula: baseline/none's trials bottom out at 0.300 and 0.320.
        Expected.Near(0.310, result.Single(("model", "baseline"), ("regularizer", "none")).Number("best_val_loss"), "baseline/none");
    }

    [Fact]
    public async Task The_overfitting_onset_grid_holds_each_cells_mean_best_epoch()
    {
        var result = await RunGridAsync("Overfitting onset (best epoch)");
        foreach (var (model, regularizer) in Cells())
            Expected.Near(Expected.BestEpoch(model, regularizer), result.Single(("model", model), ("regularizer", regularizer)).Number("best_epoch"), $"{model}/{regularizer}");
        Expected.Near(2.5, result.Single(("model", "baseline"), ("regularizer", "none")).Number("best_epoch"), "baseline/none: epochs 3 and 2");
        Expected.Near(3, result.Single(("model", "bigger"), ("regularizer", "dropout")).Number("best_epoch"), "bigger/dropout: the running trial so far");
    }

    [Fact]
    public async Task The_final_gap_grid_holds_each_cells_mean_gap_at_the_last_finite_epoch()
    {
        var result = await RunGridAsync("Final train/validation gap");
        foreach (var (model, regularizer) in Cells())
            Expected.Near(Expected.FinalGap(model, regularizer), result.Single(("model", model), ("regularizer", regularizer)).Number("final_gap"), $"{model}/{regularizer}");
    }

    [Fact]
    public async Task The_ranked_table_lists_every_summarised_trial_by_best_validation_loss()
    {
        var panel = DashboardFiles.Panel(_dashboard, "Ranked trials (best 100 by best validation loss)");
        var result = await _grafana.RunTargetAsync(panel, DashboardFiles.Targets(panel).Single());
        var expected = Expected.Ranked();
        Assert.Equal(expected.Select(t => t.Spec.Id).Order(), result.Rows.Select(r => r.Text("trial_id")).Order());
        foreach (var trial in expected)
        {
            var row = result.Single(("trial_id", trial.Spec.Id));
            var summary = trial.Summary!;
            Assert.Equal(trial.Spec.Model, row.Text("model"));
            Assert.Equal(trial.Spec.Regularizer, row.Text("regularizer"));
            Assert.Equal(trial.Spec.Seed.ToString(), row.Text("seed"));
            Assert.Equal(Schema(trial.LatestStatus), row.Text("status"));
            Expected.Near(summary.BestValLoss, row.Number("best_val_loss"), trial.Spec.Id);
            Assert.Equal(summary.BestEpoch, row.Number("best_epoch"));
            Assert.Equal(trial.States[^1].Attempt, row.Number("attempt"));
            Assert.Equal(trial.States[^1].Node, row.Text("node"));
            Assert.Equal(("adam", "0.001", "binary"), (row.Text("optimizer"), row.Text("learning_rate"), row.Text("task")));
            Expected.Near(summary.BestValAccuracy, row.Number("best_val_accuracy"), trial.Spec.Id);
            Assert.False(row.Has("best_val_mae"), "a classification trial has no MAE");
            if (summary.StoppedEarly)
                Assert.Equal(summary.StoppedEpoch, row.Number("stopped_epoch"));
            else
                Assert.False(row.Has("stopped_epoch"), "a trial that ran every epoch has no stopped epoch");
            if (double.IsFinite(summary.FinalGap))
                Expected.Near(summary.FinalGap, row.Number("final_gap"), trial.Spec.Id);
            else
                Assert.False(row.Has("final_gap"), "a diverged trial's final gap is not a number and is not written");
        }
        Assert.Equal(3, result.Single(("trial_id", "aaaa00000005")).Number("stopped_epoch"));
        // The retried trial shows its second attempt; the best trial of the sweep is baseline/dropout seed 1.
        Assert.Equal(2, result.Single(("trial_id", "aaaa00000002")).Number("attempt"));
        Assert.Equal("aaaa00000003", expected[0].Spec.Id);
        Expected.Near(0.280, result.Single(("trial_id", "aaaa00000003")).Number("best_val_loss"), "best trial");
    }

    [Fact]
    public async Task The_attention_table_lists_running_failed_and_diverged_trials_with_the_error()
    {
        var panel = DashboardFiles.Panel(_dashboard, "Running, failed and diverged trials");
        var result = await _grafana.RunTargetAsync(panel, DashboardFiles.Targets(panel).Single());
        var expected = SmallSweep.InSweep.Where(t => t.LatestStatus is TrialStatus.Running or TrialStatus.Failed or TrialStatus.Diverged).ToList();
        Assert.Equal(3, expected.Count);
        Assert.Equal(expected.Select(t => t.Spec.Id).Order(), result.Rows.Select(r => r.Text("trial_id")).Order());
        foreach (var trial in expected)
        {
            var row = result.Single(("trial_id", trial.Spec.Id));
            Assert.Equal(Schema(trial.LatestStatus), row.Text("status"));
            Assert.Equal(trial.States[^1].Node, row.Text("node"));
        }
        Assert.Equal("CUDA out of memory", result.Single(("trial_id", "aaaa00000004")).Text("error"));
        Assert.False(result.Single(("trial_id", "aaaa00000007")).Has("error"));
    }

    [Fact]
    public async Task A_seed_selection_narrows_every_grid_to_that_seed()
    {
        _grafana.Select("seed", "2");
        var result = await RunGridAsync("Best validation loss");
        // bigger/dropout has no epoch for seed 2 (queued): the cell is absent, the rest are seed 2's minimum.
        Assert.Equal(3, result.Rows.Count);
        Expected.Near(0.320, result.Single(("model", "baseline"), ("regularizer", "none")).Number("best_val_loss"), "baseline/none seed 2");
        Expected.Near(0.290 + 0.02 * 4, result.Single(("model", "baseline"), ("regularizer", "dropout")).Number("best_val_loss"), "baseline/dropout seed 2 (failed after 2 epochs)");
        Expected.Near(0.360, result.Single(("model", "bigger"), ("regularizer", "none")).Number("best_val_loss"), "bigger/none seed 2 (diverged)");
    }

    [Fact]
    public void Every_panel_of_the_overview_is_checked_here()
    {
        var checkedTitles = new[]
        {
            "Trials", "Queued", "Running", "Completed", "Failed", "Diverged", "Best validation loss",
            "Overfitting onset (best epoch)", "Final train/validation gap", "Best validation accuracy", "Best validation mean absolute error (regression)",
            "Ranked trials (best 100 by best validation loss)",
            "Running, failed and diverged trials", "Stopped early",
        };
        Assert.Equal(checkedTitles.Order(), DashboardFiles.DataPanels(_dashboard).Select(p => (string)p["title"]!).Order());
    }

    private async Task<QueryResult> RunGridAsync(string title)
    {
        var panel = DashboardFiles.Panel(_dashboard, title);
        Assert.Equal("groupingToMatrix", (string?)panel["transformations"]![0]!["id"]);
        var result = await _grafana.RunTargetAsync(panel, DashboardFiles.Targets(panel).Single());
        // The grouping-to-matrix transformation needs exactly these columns.
        Assert.Equal(["Time", "model", "regularizer", (string)panel["transformations"]![0]!["options"]!["valueField"]!], result.Columns);
        return result;
    }

    private static IEnumerable<(string Model, string Regularizer)> Cells() =>
        from model in SmallSweep.Models from regularizer in SmallSweep.Regularizers select (model, regularizer);

    private static string Schema(TrialStatus status) => GridSweep.Runtime.Metrics.Schema.StatusName(status);
}

/// <summary>The environment Grafana would have: the datasource's variables pointing at the test's influxd.</summary>
public static class QueryEnvironment
{
    public static IReadOnlyDictionary<string, string> For(InfluxServer server) => new Dictionary<string, string>
    {
        ["INFLUX_URL"] = server.Url,
        ["INFLUX_DATABASE"] = SmallSweep.Database,
        ["INFLUX_TOKEN"] = "", // InfluxDB 1.x with authentication off ignores the Authorization header
    };
}
