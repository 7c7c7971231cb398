using System.Text.Json.Nodes;
using GridSweep.Coordinator.Results;
using GridSweep.Runtime.Metrics;
using GridSweep.TestKit;
using Xunit.Abstractions;

namespace GridSweep.Dashboards.Tests;

/// <summary>A row of the run folder's <c>epochs.csv</c>.</summary>
public sealed record EpochRow(string TrialId, string Model, string Regularizer, string Seed, int Epoch, double TrainLoss, double ValLoss, double ValAccuracy);

/// <summary>A row of the run folder's <c>trials.csv</c>.</summary>
public sealed record TrialRow(string TrialId, string Model, string Regularizer, string Seed, string Status, int BestEpoch, double BestValLoss, double FinalGap,
    string StoppedEpoch = "");

/// <summary>
/// A real sweep, run once by the real <c>gridsweep run</c> CLI on the IMDB archive into a fresh database of
/// its own influxd: 2 models (baseline 16-16, smaller 4-4) x 2 regularizers (none, l2 0.001) x 1 seed, 3 epochs.
/// Keeps the run's exit code and output and its run folder's <c>epochs.csv</c> and <c>trials.csv</c>.
/// </summary>
public sealed class RealSweepFixture : IAsyncLifetime
{
    public const string SweepName = "dashboards-real";
    public const string Database = "real_sweep";
    public static readonly string[] Models = ["baseline", "smaller"];
    public static readonly string[] Regularizers = ["l2", "none"]; // as InfluxDB lists tag values: sorted
    public static readonly string[] Seeds = ["1"];
    public const int Epochs = 3;

    private readonly TempDirectory _directory = new("gridsweep-dashboards-real");

    public InfluxServer Server { get; private set; } = null!;

    /// <summary>Wall-clock time before the run started: the start of the cluster dashboard's time range.</summary>
    public DateTimeOffset StartedAt { get; private set; }

    /// <summary>The exit code of <c>gridsweep run</c>.</summary>
    public int ExitCode { get; private set; } = -1;

    /// <summary>What <c>gridsweep run</c> printed, standard output then error.</summary>
    public string Output { get; private set; } = "";

    public IReadOnlyList<EpochRow> EpochRows { get; private set; } = [];

    public IReadOnlyList<TrialRow> TrialRows { get; private set; } = [];

    public string RunFolderPath => _directory.Combine("runs", SweepName);

    public async Task InitializeAsync()
    {
        Server = new InfluxServer(authEnabled: false);
        Server.Start();
        await Server.CreateDatabaseAsync(Database);

        var spec = _directory.Combine("sweep.yaml");
        await File.WriteAllTextAsync(spec, $$$"""
            name: {{{SweepName}}}
            dataset: {name: imdb, num_words: 10000}
            training: {epochs: {{{Epochs}}}, batch_size: 512, optimizer: {name: adam, learning_rate: 0.001}, seeds: [1]}
            grid:
              model: {baseline: {hidden: [16, 16]}, smaller: {hidden: [4, 4]}}
              regularizer: {none: {}, l2: {l2: 0.001}}
            """);
        StartedAt = DateTimeOffset.UtcNow.AddSeconds(-1);
        var run = await Task.Run(() => GridSweepCli.Run(
            "run", spec, "--data", TestData.ImdbArchive, "--word-index", TestData.KerasWordIndex,
            "--influx-url", Server.Url, "--influx-api", "v1", "--influx-bucket", Database, "--influx-spool", _directory.Combine("spool"),
            "--out", _directory.Combine("runs"), "--cache", _directory.Combine("cache"), "--plain"));
        (ExitCode, Output) = (run.ExitCode, run.All);

        EpochRows = RunFolder.ReadRows(Path.Combine(RunFolderPath, RunFolder.EpochsFile), RunFolder.EpochColumns)
            .Select(r => new EpochRow(r["trial_id"], r["model"], r["regularizer"], r["seed"], int.Parse(r["epoch"]),
                CsvFormat.ParseNumber(r["train_loss"]), CsvFormat.ParseNumber(r["val_loss"]), CsvFormat.ParseNumber(r["val_accuracy"])))
            .ToList();
        TrialRows = RunFolder.ReadRows(Path.Combine(RunFolderPath, RunFolder.TrialsFile), RunFolder.TrialColumns)
            .Select(r => new TrialRow(r["trial_id"], r["model"], r["regularizer"], r["seed"], r["status"], int.Parse(r["best_epoch"]),
                CsvFormat.ParseNumber(r["best_val_loss"]), CsvFormat.ParseNumber(r["final_gap"]), r["stopped_epoch"]))
            .ToList();
    }

    public Task DisposeAsync()
    {
        Server?.Dispose();
        _directory.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>The environment Grafana would have: the datasource's variables pointing at this run's database.</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["INFLUX_URL"] = Server.Url,
        ["INFLUX_DATABASE"] = Database,
        ["INFLUX_TOKEN"] = "",
    };

    public IEnumerable<EpochRow> Curve(string trialId) => EpochRows.Where(e => e.TrialId == trialId).OrderBy(e => e.Epoch);

    public IEnumerable<TrialRow> Cell(string model, string regularizer) =>
        TrialRows.Where(t => t.Model == model && t.Regularizer == regularizer);
}

/// <summary>
/// Every panel of every dashboard against what a real small sweep wrote: the real CLI trains on IMDB and
/// streams to a real influxd, then each panel's query runs with the variables filled from their own queries
/// (as Grafana does) and must show what the run folder holds. The simulated sweep of the other query specs
/// covers the states a healthy run never reaches (failed, diverged, queued, retried).
/// </summary>
public sealed class RealSweepPanelSpecs : IClassFixture<RealSweepFixture>, IAsyncLifetime
{
    private const string Overview = "gridsweep-overview.json";
    private const string Curves = "gridsweep-curves.json";
    private const string Cluster = "gridsweep-cluster.json";
    private const string BestValLoss = "Best validation loss";
    private const string BestEpoch = "Overfitting onset (best epoch)";
    private const string FinalGap = "Final train/validation gap";
    private const string Ranked = "Ranked trials (best 100 by best validation loss)";
    private const string Attention = "Running, failed and diverged trials";
    private const string Overlay = CurvesQuerySpecs.OverlayTitle;
    private const string CellCurves = CurvesQuerySpecs.CellTitle;
    private const string MetricCurves = CurvesQuerySpecs.MetricTitle;
    private const string BestValAccuracy = "Best validation accuracy";
    private const string BestValMae = "Best validation mean absolute error (regression)";
    private const string ClusterNow = "Cluster now";
    private const string NodeTable = "Trainer nodes (latest heartbeat)";
    private const string NodeStanding = "Node standing (quarantine)";

    /// <summary>Each dashboard's panels that the facts below check; a panel added without a check fails <see cref="Every_panel_of_every_dashboard_is_checked_on_the_real_sweep"/>.</summary>
    private static readonly IReadOnlyDictionary<string, string[]> Checked = new Dictionary<string, string[]>
    {
        [Overview] = ["Trials", "Queued", "Running", "Completed", "Failed", "Diverged", "Stopped early", BestValLoss, BestEpoch, FinalGap, BestValAccuracy, BestValMae, Ranked, Attention],
        [Curves] = [Overlay, CellCurves, MetricCurves],
        [Cluster] = [ClusterNow, NodeTable, "Busy slots", "Epochs per minute", "Samples per second per device", NodeStanding],
    };

    /// <summary>Every curve is grouped by these tags, one line per grid cell: Grafana's table lists them sorted.</summary>
    private static readonly string[] AxisTags = ["activation", "batch_size", "epochs", "learning_rate", "model", "optimizer", "regularizer"];

    private readonly RealSweepFixture _run;
    private readonly ITestOutputHelper _output;
    private readonly List<GrafanaEmulation> _emulations = [];

    public RealSweepPanelSpecs(RealSweepFixture run, ITestOutputHelper output)
    {
        _run = run;
        _output = output;
    }

    public Task InitializeAsync()
    {
        // Nothing below means anything unless the real run succeeded and left its 4 x 3 epochs on disk.
        Assert.True(_run.ExitCode == 0, $"gridsweep run exited with {_run.ExitCode}:\n{_run.Output}");
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        foreach (var grafana in _emulations)
            grafana.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public void The_real_run_finished_4_trials_of_3_epochs_in_its_run_folder()
    {
        Assert.Contains("4 completed, 0 diverged, 0 failed", _run.Output);
        Assert.Equal(4, _run.TrialRows.Count);
        Assert.All(_run.TrialRows, t => Assert.Equal("completed", t.Status));
        Assert.Equal(
            (from m in RealSweepFixture.Models from r in RealSweepFixture.Regularizers select $"{m}/{r}").Order(),
            _run.TrialRows.Select(t => $"{t.Model}/{t.Regularizer}").Order());
        Assert.All(_run.TrialRows, t => Assert.Equal([1, 2, 3], _run.Curve(t.TrialId).Select(e => e.Epoch)));
        Assert.Equal(12, _run.EpochRows.Count);
    }

    [Theory]
    [InlineData(Overview)]
    [InlineData(Curves)]
    public async Task The_sweep_variables_are_filled_from_their_own_queries_with_the_real_sweeps_grid(string file)
    {
        var (grafana, _) = await OpenAsync(file);
        Assert.Equal([RealSweepFixture.SweepName], grafana.Options["sweep"]);
        Assert.Equal([RealSweepFixture.SweepName], grafana.Selections["sweep"].Values);
        Assert.Equal(RealSweepFixture.Models, grafana.Options["model"]);
        Assert.Equal(RealSweepFixture.Regularizers, grafana.Options["regularizer"]);
        Assert.Equal(RealSweepFixture.Seeds, grafana.Options["seed"]);
        Assert.True(grafana.Selections["model"].All && grafana.Selections["regularizer"].All && grafana.Selections["seed"].All);
    }

    [Theory]
    [InlineData("Trials", "trials", null, 4)]
    [InlineData("Queued", "queued", "queued", 0)]
    [InlineData("Running", "running", "running", 0)]
    [InlineData("Completed", "completed", "completed", 4)]
    [InlineData("Failed", "failed", "failed", 0)]
    [InlineData("Diverged", "diverged", "diverged", 0)]
    [InlineData("Stopped early", "stopped_early", "stopped", 0)]
    public async Task A_progress_count_shows_the_trials_whose_latest_state_is_that(string title, string column, string? status, int expected)
    {
        var (grafana, dashboard) = await OpenAsync(Overview);
        var panel = DashboardFiles.Panel(dashboard, title);
        var result = await grafana.RunTargetAsync(panel, DashboardFiles.Targets(panel).Single());
        // The run has no early stopping: no trial of trials.csv has a stopped epoch.
        Assert.Equal(expected, status == "stopped"
            ? _run.TrialRows.Count(t => t.StoppedEpoch.Length > 0)
            : _run.TrialRows.Count(t => status is null || t.Status == status));
        // InfluxDB counts nothing as no row at all; the stat then shows its noValue, "0".
        var noValue = (string?)panel["fieldConfig"]?["defaults"]?["noValue"] ?? "(none)";
        Assert.Equal("0", noValue);
        var shown = result.Rows.Count == 0 ? double.Parse(noValue) : Assert.Single(result.Rows).Number(column);
        Assert.Equal(expected, shown);
        if (expected > 0)
            Assert.Equal(["Time", column], result.Columns);
    }

    [Fact]
    public async Task The_best_validation_loss_grid_is_each_cells_minimum_of_epochs_csv()
    {
        var result = await RunGridAsync(BestValLoss);
        foreach (var (model, regularizer) in Cells())
        {
            var trials = _run.Cell(model, regularizer).ToList();
            var expected = trials.Average(t => _run.Curve(t.TrialId).Min(e => e.ValLoss));
            var shown = result.Single(("model", model), ("regularizer", regularizer)).Number("best_val_loss");
            Expected.Near(expected, shown, $"{model}/{regularizer} against epochs.csv");
            Expected.Near(trials.Average(t => t.BestValLoss), shown, $"{model}/{regularizer} against trials.csv");
        }
    }

    [Fact]
    public async Task The_overfitting_onset_grid_is_each_cells_best_epoch_of_trials_csv()
    {
        var result = await RunGridAsync(BestEpoch);
        foreach (var (model, regularizer) in Cells())
        {
            var trials = _run.Cell(model, regularizer).ToList();
            var shown = result.Single(("model", model), ("regularizer", regularizer)).Number("best_epoch");
            Expected.Near(trials.Average(t => (double)t.BestEpoch), shown, $"{model}/{regularizer} against trials.csv");
            Expected.Near(trials.Average(t => (double)_run.Curve(t.TrialId).MinBy(e => e.ValLoss)!.Epoch), shown, $"{model}/{regularizer} against epochs.csv");
        }
    }

    [Fact]
    public async Task The_best_validation_accuracy_grid_is_each_cells_maximum_of_epochs_csv_and_the_mae_grid_is_empty()
    {
        var result = await RunGridAsync(BestValAccuracy);
        foreach (var (model, regularizer) in Cells())
        {
            var expected = _run.Cell(model, regularizer).Average(t => _run.Curve(t.TrialId).Max(e => e.ValAccuracy));
            Expected.Near(expected, result.Single(("model", model), ("regularizer", regularizer)).Number("best_val_accuracy"), $"{model}/{regularizer} against epochs.csv");
        }
        var (grafana, dashboard) = await OpenAsync(Overview);
        var mae = DashboardFiles.Panel(dashboard, BestValMae);
        Assert.Empty((await grafana.RunTargetAsync(mae, DashboardFiles.Targets(mae).Single())).Rows);
    }

    [Fact]
    public async Task The_metric_curves_show_every_cells_validation_accuracy_from_epochs_csv()
    {
        var (grafana, dashboard) = await OpenAsync(Curves);
        var panel = DashboardFiles.Panel(dashboard, MetricCurves);
        var targets = DashboardFiles.Targets(panel).ToDictionary(t => (string)t["refId"]!);
        Assert.Empty((await grafana.RunTargetAsync(panel, targets["B"])).Rows);
        var result = await grafana.RunTargetAsync(panel, targets["A"]);
        Assert.Equal(4, result.Series.Count);
        foreach (var (model, regularizer) in Cells())
        {
            var byEpoch = _run.EpochRows.Where(e => e.Model == model && e.Regularizer == regularizer).GroupBy(e => e.Epoch).OrderBy(g => g.Key).ToList();
            var rows = result.Rows.Where(r => r.Text("model") == model && r.Text("regularizer") == regularizer).ToList();
            Assert.Equal(byEpoch.Select(g => (double)g.Key), rows.Select(r => r.Number("epoch")));
            foreach (var (group, row) in byEpoch.Zip(rows))
                Expected.Near(group.Average(e => e.ValAccuracy), row.Number("val_accuracy"), $"{model}/{regularizer} epoch {group.Key}");
        }
    }

    [Fact]
    public async Task The_final_gap_grid_is_each_cells_last_epoch_gap()
    {
        var result = await RunGridAsync(FinalGap);
        foreach (var (model, regularizer) in Cells())
        {
            var trials = _run.Cell(model, regularizer).ToList();
            var shown = result.Single(("model", model), ("regularizer", regularizer)).Number("final_gap");
            var lastEpochs = trials.Select(t => _run.Curve(t.TrialId).Last()).ToList();
            Expected.Near(lastEpochs.Average(e => e.ValLoss - e.TrainLoss), shown, $"{model}/{regularizer} against epochs.csv");
            Expected.Near(trials.Average(t => t.FinalGap), shown, $"{model}/{regularizer} against trials.csv");
        }
    }

    [Fact]
    public async Task The_ranked_table_orders_the_trials_of_trials_csv_by_best_validation_loss()
    {
        var (grafana, dashboard) = await OpenAsync(Overview);
        var panel = DashboardFiles.Panel(dashboard, Ranked);
        var result = await grafana.RunTargetAsync(panel, DashboardFiles.Targets(panel).Single());
        Assert.Equal(["Time", "best_val_loss", "trial_id", "model", "regularizer", "seed", "status", "best_epoch", "stopped_epoch", "final_gap", "attempt", "node",
            "optimizer", "learning_rate", "activation", "batch_size", "epochs", "task", "best_val_accuracy", "best_val_mae"], result.Columns);
        // The table panel sorts by its sortBy, best_val_loss ascending; that is the order a user reads.
        var sortBy = Assert.Single(panel["options"]!["sortBy"]!.AsArray())!;
        Assert.Equal(("best_val_loss", false), ((string)sortBy["displayName"]!, (bool)sortBy["desc"]!));
        var shown = result.Rows.OrderBy(r => r.Number("best_val_loss")).ToList();
        var expected = _run.TrialRows.OrderBy(t => t.BestValLoss).ToList();
        Assert.Equal(expected.Select(t => t.TrialId), shown.Select(r => r.Text("trial_id")));
        foreach (var (trial, row) in expected.Zip(shown))
        {
            Assert.Equal((trial.Model, trial.Regularizer, trial.Seed, trial.Status), (row.Text("model"), row.Text("regularizer"), row.Text("seed"), row.Text("status")));
            Expected.Near(trial.BestValLoss, row.Number("best_val_loss"), $"{trial.TrialId} best_val_loss");
            Assert.Equal(trial.BestEpoch, row.Number("best_epoch"));
            Assert.False(row.Has("stopped_epoch"), $"{trial.TrialId} ran every epoch");
            Expected.Near(trial.FinalGap, row.Number("final_gap"), $"{trial.TrialId} final_gap");
            Assert.Equal(1, row.Number("attempt"));
            Assert.Equal("local", row.Text("node"));
        }
    }

    [Fact]
    public async Task The_attention_table_is_empty_when_every_trial_completed()
    {
        var (grafana, dashboard) = await OpenAsync(Overview);
        var panel = DashboardFiles.Panel(dashboard, Attention);
        var result = await grafana.RunTargetAsync(panel, DashboardFiles.Targets(panel).Single());
        Assert.Empty(result.Rows);
        Assert.DoesNotContain(_run.TrialRows, t => t.Status is "running" or "failed" or "diverged");
    }

    [Fact]
    public async Task Each_repeated_cell_panel_shows_3_epochs_of_train_and_validation_loss_equal_to_epochs_csv()
    {
        var (grafana, dashboard) = await OpenAsync(Curves);
        var panel = DashboardFiles.Panel(dashboard, CellCurves);
        grafana.Select("seed", RealSweepFixture.Seeds.ToArray());
        var target = DashboardFiles.Targets(panel).Single(t => (string?)t["refId"] == "B");
        var cells = await grafana.RunPerCellAsync(panel, target);
        foreach (var (model, regularizer, result) in cells)
        {
            Assert.Equal(["Time", .. AxisTags, "seed", "epoch", "train_loss", "val_loss"], result.Columns);
            var trial = Assert.Single(_run.Cell(model, regularizer));
            var series = Assert.Single(result.Series);
            Assert.Equal(trial.Seed, series.Tags["seed"]);
            var epochs = _run.Curve(trial.TrialId).ToList();
            Assert.Equal(RealSweepFixture.Epochs, result.Rows.Count);
            Assert.Equal(epochs.Select(e => (double)e.Epoch), result.Rows.Select(r => r.Number("epoch")));
            Assert.Equal(epochs.Select(e => Schema.EpochTime(e.Epoch) / 1_000_000), result.Rows.Select(r => r.TimeMs));
            foreach (var (epoch, row) in epochs.Zip(result.Rows))
            {
                Expected.Near(epoch.TrainLoss, row.Number("train_loss"), $"{model}/{regularizer} epoch {epoch.Epoch} train_loss");
                Expected.Near(epoch.ValLoss, row.Number("val_loss"), $"{model}/{regularizer} epoch {epoch.Epoch} val_loss");
            }
        }
        Assert.Equal(4, cells.Count);
    }

    [Fact]
    public async Task The_overlay_shows_every_cells_validation_loss_by_epoch_from_epochs_csv()
    {
        var (grafana, dashboard) = await OpenAsync(Curves);
        var panel = DashboardFiles.Panel(dashboard, Overlay);
        // Every filter at All: the coordinator's pairs of axes answer (A), the cells' query (B) stays silent.
        var result = await grafana.RunTargetAsync(panel, DashboardFiles.Targets(panel).Single(t => (string?)t["refId"] == "A"));
        Assert.Contains("gridsweep_axes_epoch", result.Query);
        Assert.Empty((await grafana.RunTargetAsync(panel, DashboardFiles.Targets(panel).Single(t => (string?)t["refId"] == "B"))).Rows);
        Assert.Equal(["Time", "model", "regularizer", "epoch", "val_loss", "val_loss_min", "val_loss_max", "seeds"], result.Columns);
        Assert.Equal(4, result.Series.Count);
        foreach (var (model, regularizer) in Cells())
        {
            var byEpoch = _run.EpochRows.Where(e => e.Model == model && e.Regularizer == regularizer)
                .GroupBy(e => e.Epoch).OrderBy(g => g.Key).ToList();
            var rows = result.Rows.Where(r => r.Text("model") == model && r.Text("regularizer") == regularizer).ToList();
            Assert.Equal(RealSweepFixture.Epochs, rows.Count);
            Assert.Equal(byEpoch.Select(g => (double)g.Key), rows.Select(r => r.Number("epoch")));
            foreach (var (group, row) in byEpoch.Zip(rows))
            {
                // The coordinator's aggregates against the run's own epochs.csv: mean, least and greatest seed, how many.
                Expected.Near(group.Average(e => e.ValLoss), row.Number("val_loss"), $"{model}/{regularizer} epoch {group.Key}");
                Expected.Near(group.Min(e => e.ValLoss), row.Number("val_loss_min"), $"{model}/{regularizer} epoch {group.Key} min");
                Expected.Near(group.Max(e => e.ValLoss), row.Number("val_loss_max"), $"{model}/{regularizer} epoch {group.Key} max");
                Assert.Equal(group.Count(), row.Number("seeds"));
            }
        }
    }

    [Fact]
    public async Task The_cluster_dashboard_shows_the_local_trainer_with_1_slot_and_its_latest_heartbeat()
    {
        var (grafana, dashboard) = await OpenAsync(Cluster);
        Assert.Equal(["local"], grafana.Options["node"]);
        var latest = (await Heartbeats()).GroupBy(h => (h.Tag("node"), h.Tag("device"))).Select(g => g.MaxBy(h => h.Time)!).ToList();
        var beat = Assert.Single(latest);

        var now = DashboardFiles.Panel(dashboard, ClusterNow);
        var targets = DashboardFiles.Targets(now).ToList();
        Assert.Equal(1, Assert.Single((await grafana.RunTargetAsync(now, targets[0])).Rows).Number("trainer_nodes"));
        var totals = Assert.Single((await grafana.RunTargetAsync(now, targets[1])).Rows);
        Assert.Equal(1, totals.Number("slots"));
        AssertHeartbeat(beat, totals);

        var table = DashboardFiles.Panel(dashboard, NodeTable);
        var result = await grafana.RunTargetAsync(table, DashboardFiles.Targets(table).Single());
        Assert.Equal(["Time", "device", "node", "slots", "busy_slots", "epochs_per_minute", "samples_per_second"], result.Columns);
        var row = Assert.Single(result.Rows);
        Assert.Equal(("local", beat.Tag("device")), (row.Text("node"), row.Text("device")));
        Assert.Equal(1, row.Number("slots"));
        AssertHeartbeat(beat, row);
    }

    [Theory]
    [InlineData("Busy slots", "busy_slots")]
    [InlineData("Epochs per minute", "epochs_per_minute")]
    [InlineData("Samples per second per device", "samples_per_second")]
    public async Task A_cluster_time_series_holds_the_mean_of_the_runs_heartbeats_per_interval(string title, string field)
    {
        var (grafana, dashboard) = await OpenAsync(Cluster);
        var panel = DashboardFiles.Panel(dashboard, title);
        var target = DashboardFiles.Targets(panel).Single();
        var result = await grafana.RunTargetAsync(panel, target);
        var heartbeats = await Heartbeats();
        Assert.NotEmpty(heartbeats);
        var series = Assert.Single(result.Series);
        Assert.Equal(("local", heartbeats[0].Tag("device")), (series.Tags["node"], series.Tags["device"]));
        // GROUP BY time($__interval) with the panel's 10s interval and fill(none): one row per 10 s holding heartbeats.
        var buckets = heartbeats.GroupBy(h => h.Time / 10_000_000_000 * 10_000).OrderBy(g => g.Key).ToList();
        Assert.Equal(buckets.Select(b => b.Key), result.Rows.Select(r => r.TimeMs));
        foreach (var (bucket, row) in buckets.Zip(result.Rows))
            Expected.Near(bucket.Average(h => h.Double(field)), row.Number(field), $"{field} at {row.TimeText}");
    }

    [Fact]
    public async Task The_node_standing_panel_lists_no_node_when_every_trial_completed_and_none_was_judged()
    {
        var (grafana, dashboard) = await OpenAsync(Cluster);
        var standing = DashboardFiles.Panel(dashboard, NodeStanding);
        var heartbeats = DashboardFiles.Panel(dashboard, NodeTable);

        // The local trainer's heartbeats share the series the judgements go to: the node is there, and was never judged.
        Assert.NotEmpty((await grafana.RunTargetAsync(heartbeats, DashboardFiles.Targets(heartbeats).Single())).Rows);
        Assert.Empty((await grafana.RunTargetAsync(standing, DashboardFiles.Targets(standing).Single())).Rows);
    }

    [Fact]
    public void Every_panel_of_every_dashboard_is_checked_on_the_real_sweep()
    {
        Assert.Equal(DashboardFiles.Uids.Keys.Order(), Checked.Keys.Order());
        foreach (var (file, titles) in Checked)
            Assert.Equal(titles.Order(), DashboardFiles.DataPanels(DashboardFiles.Load(file)).Select(p => (string)p["title"]!).Order());
    }

    /// <summary>The dashboard and a Grafana emulation of it pointed at the run's database, its variables resolved.</summary>
    private async Task<(GrafanaEmulation Grafana, JsonObject Dashboard)> OpenAsync(string file)
    {
        var dashboard = DashboardFiles.Load(file);
        var grafana = new GrafanaEmulation(_run.Environment, _output);
        _emulations.Add(grafana);
        if (file == Cluster)
        {
            // The dashboard's default range, now-1h to now, holds the heartbeats of the run just finished.
            grafana.From = DateTimeOffset.UtcNow.AddHours(-1);
            grafana.To = DateTimeOffset.UtcNow.AddSeconds(5);
            grafana.Interval = (string)DashboardFiles.Panel(dashboard, "Busy slots")["interval"]!;
            Assert.True(_run.StartedAt > grafana.From);
        }
        await grafana.ResolveVariablesAsync(dashboard);
        return (grafana, dashboard);
    }

    private async Task<QueryResult> RunGridAsync(string title)
    {
        var (grafana, dashboard) = await OpenAsync(Overview);
        var panel = DashboardFiles.Panel(dashboard, title);
        var result = await grafana.RunTargetAsync(panel, DashboardFiles.Targets(panel).Single());
        // Exactly the columns the grouping-to-matrix transformation needs, one row per cell of the 2 x 2 grid.
        Assert.Equal(["Time", "model", "regularizer", (string)panel["transformations"]![0]!["options"]!["valueField"]!], result.Columns);
        Assert.Equal(Cells().Count(), result.Rows.Count);
        return result;
    }

    /// <summary>The heartbeats the run wrote, read straight from InfluxDB (times in ns).</summary>
    private async Task<List<InfluxRow>> Heartbeats() =>
        await _run.Server.SelectAsync(RealSweepFixture.Database, $"SELECT * FROM \"{Schema.NodeMeasurement}\" GROUP BY *");

    private static void AssertHeartbeat(InfluxRow beat, Row shown)
    {
        Assert.Equal(beat.Double("slots"), shown.Number("slots"));
        Assert.Equal(beat.Double("busy_slots"), shown.Number("busy_slots"));
        Expected.Near(beat.Double("epochs_per_minute"), shown.Number("epochs_per_minute"), "epochs per minute");
        Expected.Near(beat.Double("samples_per_second"), shown.Number("samples_per_second"), "samples per second");
    }

    private static IEnumerable<(string Model, string Regularizer)> Cells() =>
        from model in RealSweepFixture.Models from regularizer in RealSweepFixture.Regularizers select (model, regularizer);
}
