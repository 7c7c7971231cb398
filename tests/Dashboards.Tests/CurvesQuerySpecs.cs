using System.Text.Json.Nodes;
using GridSweep.Runtime.Metrics;
using Xunit.Abstractions;

namespace GridSweep.Dashboards.Tests;

/// <summary>The learning-curve dashboard's queries: epoch on x, one repeated panel per grid cell.</summary>
[Collection(SmallSweepCollection.Name)]
public sealed class CurvesQuerySpecs : IAsyncLifetime, IDisposable
{
    public const string OverlayTitle = "Validation loss by epoch: one line per grid row and column (mean over their cells, dashed: the least and greatest seed)";
    public const string MetricTitle = "Validation metric by epoch (accuracy, or mean absolute error for regression): one line per grid row and column (mean over their cells, dashed: the least and greatest seed)";
    public const string CellTitle = "$row / $col: train (dashed) and validation loss by epoch, mean over seeds (A) and each selected seed (B)";

    /// <summary>The tags every curve is grouped by, as Grafana's table lists them: one line per grid cell.</summary>
    private static readonly string[] AxisTags = ["activation", "batch_size", "epochs", "learning_rate", "model", "optimizer", "regularizer"];
    private readonly GrafanaEmulation _grafana;
    private readonly JsonObject _dashboard = DashboardFiles.Load("gridsweep-curves.json");

    public CurvesQuerySpecs(SmallSweepFixture fixture, ITestOutputHelper output) =>
        _grafana = new GrafanaEmulation(QueryEnvironment.For(fixture.Server), output);

    public Task InitializeAsync() => _grafana.ResolveVariablesAsync(_dashboard);

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => _grafana.Dispose();

    [Fact]
    public async Task The_repeated_cell_panels_give_each_cell_its_picked_seeds_curves_by_epoch()
    {
        _grafana.Select("seed", "1", "2");
        var panel = DashboardFiles.Panel(_dashboard, CellTitle);
        var target = Target(panel, "B");
        var cells = await _grafana.RunPerCellAsync(panel, target);
        foreach (var (model, regularizer, result) in cells)
        {
            Assert.Equal(["Time", .. AxisTags, "seed", "epoch", "train_loss", "val_loss"], result.Columns);
            var trials = Expected.Cell(model, regularizer).Where(t => t.Epochs.Count > 0).ToList();
            Assert.Equal(trials.Select(t => t.Spec.Seed.ToString()).Order(), result.Series.Select(s => s.Tags["seed"]).Order());
            foreach (var trial in trials)
            {
                var rows = result.Rows.Where(r => r.Text("seed") == trial.Spec.Seed.ToString()).ToList();
                Assert.Equal(trial.Epochs.Select(e => (double)e.Epoch), rows.Select(r => r.Number("epoch")));
                // Each epoch sits at the schema's fixed time: 2000-01-01T00:00:00Z + epoch seconds.
                Assert.Equal(trial.Epochs.Select(e => Schema.EpochTime(e.Epoch) / 1_000_000), rows.Select(r => r.TimeMs));
                foreach (var (epoch, row) in trial.Epochs.Zip(rows))
                {
                    if (double.IsFinite(epoch.ValLoss))
                    {
                        Expected.Near(epoch.ValLoss, row.Number("val_loss"), $"{trial.Spec.Id} epoch {epoch.Epoch} val_loss");
                        Expected.Near(epoch.TrainLoss, row.Number("train_loss"), $"{trial.Spec.Id} epoch {epoch.Epoch} train_loss");
                    }
                    else
                    {
                        Assert.False(row.Has("val_loss") || row.Has("train_loss"), "a diverged epoch keeps its epoch but no loss");
                    }
                }
            }
        }
        Assert.Equal(4, cells.Count);
    }

    [Fact]
    public async Task With_every_seed_a_cell_panel_draws_its_mean_and_spread_over_seeds_and_no_seed_of_its_own()
    {
        Assert.True(_grafana.Selections["seed"].All);
        var panel = DashboardFiles.Panel(_dashboard, CellTitle);
        Assert.Empty((await _grafana.RunPerCellAsync(panel, Target(panel, "B"))).SelectMany(c => c.Result.Rows));
        var cells = await _grafana.RunPerCellAsync(panel, Target(panel, "A"));
        Assert.Equal(4, cells.Count);
        foreach (var (model, regularizer, result) in cells)
        {
            Assert.Equal(["Time", "epoch", "train_loss", "val_loss", "val_loss_min", "val_loss_max"], result.Columns);
            var byEpoch = Expected.Cell(model, regularizer).SelectMany(t => t.Epochs).GroupBy(e => e.Epoch).OrderBy(g => g.Key).ToList();
            Assert.Equal(byEpoch.Select(g => (double)g.Key), result.Rows.Select(r => r.Number("epoch")));
            foreach (var (group, row) in byEpoch.Zip(result.Rows))
            {
                var finite = group.Where(e => double.IsFinite(e.ValLoss)).ToList();
                if (finite.Count == 0)
                    continue;
                Expected.Near(finite.Average(e => e.ValLoss), row.Number("val_loss"), $"{model}/{regularizer} epoch {group.Key}");
                Expected.Near(finite.Min(e => e.ValLoss), row.Number("val_loss_min"), $"{model}/{regularizer} epoch {group.Key} min");
                Expected.Near(finite.Max(e => e.ValLoss), row.Number("val_loss_max"), $"{model}/{regularizer} epoch {group.Key} max");
                Expected.Near(finite.Average(e => e.TrainLoss), row.Number("train_loss"), $"{model}/{regularizer} epoch {group.Key} train");
            }
        }
    }

    [Fact]
    public async Task The_overlay_averages_seeds_per_epoch_in_influxdb()
    {
        var panel = DashboardFiles.Panel(_dashboard, OverlayTitle);
        var result = await RunOverlayAsync(panel, whole: "A", narrowed: "B", expectNarrowed: false);
        // One line per pair of the grid's row and column axes (model x regularizer by default).
        Assert.Equal(["Time", "model", "regularizer", "epoch", "val_loss", "val_loss_min", "val_loss_max", "seeds"], result.Columns);
        foreach (var model in SmallSweep.Models)
        {
            foreach (var regularizer in SmallSweep.Regularizers)
            {
                var byEpoch = Expected.Cell(model, regularizer)
                    .SelectMany(t => t.Epochs)
                    .GroupBy(e => e.Epoch)
                    .OrderBy(g => g.Key)
                    .ToList();
                var rows = result.Rows.Where(r => r.Text("model") == model && r.Text("regularizer") == regularizer).ToList();
                Assert.Equal(byEpoch.Select(g => (double)g.Key), rows.Select(r => r.Number("epoch")));
                foreach (var (group, row) in byEpoch.Zip(rows))
                {
                    var finite = group.Where(e => double.IsFinite(e.ValLoss)).ToList();
                    if (finite.Count > 0)
                    {
                        Expected.Near(finite.Average(e => e.ValLoss), row.Number("val_loss"), $"{model}/{regularizer} epoch {group.Key}");
                        Expected.Near(finite.Min(e => e.ValLoss), row.Number("val_loss_min"), $"{model}/{regularizer} epoch {group.Key} min");
                        Expected.Near(finite.Max(e => e.ValLoss), row.Number("val_loss_max"), $"{model}/{regularizer} epoch {group.Key} max");
                    }
                    else
                    {
                        Assert.False(row.Has("val_loss"));
                    }
                    Assert.Equal(group.Count(), row.Number("seeds"));
                }
            }
        }
        // baseline/none epoch 1: seed 1 at 0.300 + 0.02 * 4, seed 2 at 0.320 + 0.02 * 1.
        Expected.Near((0.38 + 0.34) / 2, result.Rows.First(r => r.Text("model") == "baseline" && r.Text("regularizer") == "none").Number("val_loss"), "baseline/none epoch 1");
    }

    [Fact]
    public async Task A_seed_selection_leaves_only_that_seeds_curve()
    {
        _grafana.Select("seed", "1");
        var panel = DashboardFiles.Panel(_dashboard, CellTitle);
        var result = await _grafana.RunTargetAsync(panel, Target(panel, "B"),
            new Dictionary<string, string> { ["row"] = "baseline", ["col"] = "none" });
        var series = Assert.Single(result.Series);
        Assert.Equal("1", series.Tags["seed"]);
        Assert.Equal(5, series.Values.Count);
        Expected.Near(0.300, result.Rows.Min(r => r.Number("val_loss")), "baseline/none seed 1 best");
    }

    [Fact]
    public void The_default_grid_is_model_by_regularizer_and_lists_the_selected_sweeps_values()
    {
        Assert.Equal(["model"], _grafana.Selections["row_axis"].Values);
        Assert.Equal(["regularizer"], _grafana.Selections["col_axis"].Values);
        Assert.Equal(SmallSweep.Models, _grafana.Options["row"]);
        Assert.Equal(SmallSweep.Regularizers, _grafana.Options["col"]);
        Assert.Equal(["binary"], _grafana.Options["task"]);
    }

    [Fact]
    public async Task A_grid_over_learning_rate_and_batch_size_gives_each_cell_its_seeds_curves()
    {
        _grafana.Select("sweep", SmallSweep.RegressionSweep);
        await _grafana.ChooseGridAsync(_dashboard, "learning_rate", "batch_size");
        Assert.Equal(SmallSweep.LearningRates, _grafana.Options["row"]);
        Assert.Equal(SmallSweep.BatchSizes, _grafana.Options["col"]);

        _grafana.Select("seed", "1", "2");
        var panel = DashboardFiles.Panel(_dashboard, CellTitle);
        var cells = await _grafana.RunPerCellAsync(panel, Target(panel, "B"));
        Assert.Equal(4, cells.Count);
        foreach (var (rate, batch, result) in cells)
        {
            var trials = SmallSweep.InRegressionSweep
                .Where(t => t.Spec.OptimizerConfig.LearningRate.ToString(System.Globalization.CultureInfo.InvariantCulture) == rate && t.Spec.BatchSize.ToString() == batch)
                .ToList();
            Assert.Equal(2, trials.Count);
            Assert.Equal(trials.Select(t => t.Spec.Seed.ToString()).Order(), result.Series.Select(s => s.Tags["seed"]).Order());
            Assert.All(result.Series, s => Assert.Equal((rate, batch, "tanh"), (s.Tags["learning_rate"], s.Tags["batch_size"], s.Tags["activation"])));
            foreach (var trial in trials)
            {
                var rows = result.Rows.Where(r => r.Text("seed") == trial.Spec.Seed.ToString()).ToList();
                Assert.Equal(trial.Epochs.Select(e => (double)e.Epoch), rows.Select(r => r.Number("epoch")));
                foreach (var (epoch, row) in trial.Epochs.Zip(rows))
                    Expected.Near(epoch.ValLoss, row.Number("val_loss"), $"{trial.Spec.Id} epoch {epoch.Epoch} val_loss");
            }
        }
    }

    [Fact]
    public async Task The_metric_panel_shows_each_cells_mean_validation_accuracy_for_a_classification_sweep()
    {
        var panel = DashboardFiles.Panel(_dashboard, MetricTitle);
        Assert.Empty((await _grafana.RunTargetAsync(panel, Target(panel, "B"))).Rows);
        Assert.Empty((await _grafana.RunTargetAsync(panel, Target(panel, "D"))).Rows);
        var result = await RunOverlayAsync(panel, whole: "A", narrowed: "C", expectNarrowed: false);
        Assert.Equal(["Time", "model", "regularizer", "epoch", "val_accuracy", "val_accuracy_min", "val_accuracy_max", "seeds"], result.Columns);
        foreach (var model in SmallSweep.Models)
        {
            foreach (var regularizer in SmallSweep.Regularizers)
            {
                var byEpoch = Expected.Cell(model, regularizer).SelectMany(t => t.Epochs).GroupBy(e => e.Epoch).OrderBy(g => g.Key).ToList();
                var rows = result.Rows.Where(r => r.Text("model") == model && r.Text("regularizer") == regularizer).ToList();
                Assert.Equal(byEpoch.Select(g => (double)g.Key), rows.Select(r => r.Number("epoch")));
                foreach (var (group, row) in byEpoch.Zip(rows))
                    Expected.Near(group.Average(e => e.ValAccuracy), row.Number("val_accuracy"), $"{model}/{regularizer} epoch {group.Key}");
            }
        }
    }

    [Fact]
    public async Task The_metric_panel_shows_each_cells_mean_validation_mae_for_a_regression_sweep()
    {
        _grafana.Select("sweep", SmallSweep.RegressionSweep);
        await _grafana.ChooseGridAsync(_dashboard, "learning_rate", "batch_size");
        var panel = DashboardFiles.Panel(_dashboard, MetricTitle);
        Assert.Empty((await _grafana.RunTargetAsync(panel, Target(panel, "A"))).Rows);
        Assert.Empty((await _grafana.RunTargetAsync(panel, Target(panel, "C"))).Rows);
        var result = await RunOverlayAsync(panel, whole: "B", narrowed: "D", expectNarrowed: false);
        Assert.Equal(["Time", "batch_size", "learning_rate", "epoch", "val_mae", "val_mae_min", "val_mae_max", "seeds"], result.Columns);
        // One line per (learning rate, batch size): the two learning rates are two lines, not one averaged line.
        Assert.Equal(4, result.Series.Count);
        foreach (var cell in SmallSweep.InRegressionSweep.GroupBy(t => (Rate: t.Spec.OptimizerConfig.LearningRate.ToString(System.Globalization.CultureInfo.InvariantCulture), t.Spec.BatchSize.ToString())))
        {
            var rows = result.Rows.Where(r => r.Text("learning_rate") == cell.Key.Rate && r.Text("batch_size") == cell.Key.Item2).ToList();
            var byEpoch = cell.SelectMany(t => t.Epochs).GroupBy(e => e.Epoch).OrderBy(g => g.Key).ToList();
            Assert.Equal(byEpoch.Select(g => (double)g.Key), rows.Select(r => r.Number("epoch")));
            foreach (var (group, row) in byEpoch.Zip(rows))
                Expected.Near(group.Average(e => e.ValMae), row.Number("val_mae"), $"{cell.Key} epoch {group.Key}");
        }
        // adam-lr0.001, batch 16: seeds 1 and 2 bottom out at 2.75 (epoch 2) and 3.0 (epoch 3); epoch 1 is 2.85 and 3.4.
        Expected.Near((2.85 + 3.4) / 2, result.Rows.First(r => r.Text("learning_rate") == "0.001" && r.Text("batch_size") == "16").Number("val_mae"), "epoch 1");
    }

    [Fact]
    public async Task A_narrowed_grid_is_read_from_the_cells_and_every_value_picked_one_by_one_draws_what_all_draws()
    {
        var panel = DashboardFiles.Panel(_dashboard, OverlayTitle);
        var whole = await RunOverlayAsync(panel, whole: "A", narrowed: "B", expectNarrowed: false);

        // Every optimizer picked by hand instead of All: the pre-aggregated pairs cannot know, the cells answer, the same.
        _grafana.Select("optimizer", [.. _grafana.Options["optimizer"]]);
        var picked = await RunOverlayAsync(panel, whole: "A", narrowed: "B", expectNarrowed: true);
        Assert.Equal(Lines(whole), Lines(picked));

        // One model: only its lines, with the values of the whole grid's.
        _grafana.Select("model", "baseline");
        var narrowed = await RunOverlayAsync(panel, whole: "A", narrowed: "B", expectNarrowed: true);
        Assert.Equal(Lines(whole).Where(l => l.StartsWith("baseline ", StringComparison.Ordinal)), Lines(narrowed));
        Assert.Equal(SmallSweep.Regularizers.Order(), narrowed.Series.Select(s => s.Tags["regularizer"]).Order());
    }

    /// <summary>
    /// An overlay quantity's two queries: <paramref name="whole"/> reads gridsweep_axes_epoch with every filter at All,
    /// <paramref name="narrowed"/> reads gridsweep_cell_epoch once a filter is set; exactly the expected one answers.
    /// </summary>
    private async Task<QueryResult> RunOverlayAsync(JsonObject panel, string whole, string narrowed, bool expectNarrowed)
    {
        var fromPairs = await _grafana.RunTargetAsync(panel, Target(panel, whole));
        var fromCells = await _grafana.RunTargetAsync(panel, Target(panel, narrowed));
        Assert.Contains("gridsweep_axes_epoch", fromPairs.Query);
        Assert.Contains("gridsweep_cell_epoch", fromCells.Query);
        var (answered, silent) = expectNarrowed ? (fromCells, fromPairs) : (fromPairs, fromCells);
        Assert.NotEmpty(answered.Rows);
        Assert.Empty(silent.Rows);
        return answered;
    }

    /// <summary>Each row as text: the row and column axes' values, then every value column rounded.</summary>
    private static List<string> Lines(QueryResult result) =>
        result.Rows.Select(r => string.Join(' ', r.Series.Tags.OrderBy(t => t.Key).Select(t => t.Value)
            .Concat(result.Columns.Skip(1 + r.Series.Tags.Count).Select(c => r.Has(c) ? r.Number(c).ToString("G10", System.Globalization.CultureInfo.InvariantCulture) : "-")))).ToList();

    private static JsonObject Target(JsonObject panel, string refId) => DashboardFiles.Targets(panel).Single(t => (string?)t["refId"] == refId);

    [Fact]
    public void Every_panel_of_the_curves_dashboard_is_checked_here() =>
        Assert.Equal(new[] { CellTitle, OverlayTitle, MetricTitle }.Order(), DashboardFiles.DataPanels(_dashboard).Select(p => (string)p["title"]!).Order());
}
