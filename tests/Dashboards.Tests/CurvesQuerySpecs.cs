using System.Text.Json.Nodes;
using GridSweep.Runtime.Metrics;
using Xunit.Abstractions;

namespace GridSweep.Dashboards.Tests;

/// <summary>The learning-curve dashboard's queries: epoch on x, one repeated panel per grid cell.</summary>
[Collection(SmallSweepCollection.Name)]
public sealed class CurvesQuerySpecs : IAsyncLifetime, IDisposable
{
    private const string OverlayTitle = "Validation loss by epoch, every selected cell (mean over the selected seeds)";
    private const string CellTitle = "$model / $regularizer: train (dashed) and validation loss by epoch";
    private readonly GrafanaEmulation _grafana;
    private readonly JsonObject _dashboard = DashboardFiles.Load("gridsweep-curves.json");

    public CurvesQuerySpecs(SmallSweepFixture fixture, ITestOutputHelper output) =>
        _grafana = new GrafanaEmulation(QueryEnvironment.For(fixture.Server), output);

    public Task InitializeAsync() => _grafana.ResolveVariablesAsync(_dashboard);

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => _grafana.Dispose();

    [Fact]
    public async Task The_repeated_cell_panels_give_each_cell_its_seeds_curves_by_epoch()
    {
        var panel = DashboardFiles.Panel(_dashboard, CellTitle);
        var target = DashboardFiles.Targets(panel).Single();
        var cells = await _grafana.RunPerCellAsync(panel, target);
        foreach (var (model, regularizer, result) in cells)
        {
            Assert.Equal(["Time", "seed", "epoch", "train_loss", "val_loss"], result.Columns);
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
    public async Task The_overlay_averages_seeds_per_epoch_in_influxdb()
    {
        var panel = DashboardFiles.Panel(_dashboard, OverlayTitle);
        var result = await _grafana.RunTargetAsync(panel, DashboardFiles.Targets(panel).Single());
        Assert.Equal(["Time", "model", "regularizer", "epoch", "val_loss"], result.Columns);
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
                        Expected.Near(finite.Average(e => e.ValLoss), row.Number("val_loss"), $"{model}/{regularizer} epoch {group.Key}");
                    else
                        Assert.False(row.Has("val_loss"));
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
        var result = await _grafana.RunTargetAsync(panel, DashboardFiles.Targets(panel).Single(),
            new Dictionary<string, string> { ["model"] = "baseline", ["regularizer"] = "none" });
        var series = Assert.Single(result.Series);
        Assert.Equal("1", series.Tags["seed"]);
        Assert.Equal(5, series.Values.Count);
        Expected.Near(0.300, result.Rows.Min(r => r.Number("val_loss")), "baseline/none seed 1 best");
    }

    [Fact]
    public void Every_panel_of_the_curves_dashboard_is_checked_here() =>
        Assert.Equal(new[] { CellTitle, OverlayTitle }.Order(), DashboardFiles.DataPanels(_dashboard).Select(p => (string)p["title"]!).Order());
}
