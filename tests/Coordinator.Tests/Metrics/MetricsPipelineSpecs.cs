using GridSweep.Coordinator.Results;
using GridSweep.Coordinator.Tests.Cluster;
using GridSweep.TestKit;

namespace GridSweep.Coordinator.Tests.Metrics;

/// <summary>
/// The whole pipeline, trainer to a real influxd (Debian's InfluxDB 1.6 on a free loopback port): what
/// lands in InfluxDB must be exactly what the run folder holds, through an outage too.
/// </summary>
[Collection(nameof(ClusterSpecs))] // Shares the two cores with the cluster tests, one at a time.
public sealed class MetricsPipelineSpecs : IClassFixture<InfluxServerFixture>, IDisposable
{
    private readonly InfluxServer influx;
    private readonly TempDirectory directory = new("gridsweep-pipeline");
    private readonly string database = $"p_{Guid.NewGuid():N}"[..14];

    public MetricsPipelineSpecs(InfluxServerFixture fixture)
    {
        influx = fixture.Server;
        if (!influx.IsRunning)
            influx.Start();
    }

    public void Dispose() => directory.Dispose();

    private string Sweep(int epochs, params string[] models)
    {
        var spec = directory.Combine("pipeline.yaml");
        var grid = string.Join(", ", models.Select(m => m == "smaller" ? "smaller: {hidden: [4, 4]}" : "baseline: {hidden: [16, 16]}"));
        File.WriteAllText(spec, $$$"""
            name: pipeline
            dataset: {name: imdb, num_words: 10000}
            training: {epochs: {{{epochs}}}, batch_size: 512, optimizer: {name: adam, learning_rate: 0.001}, seeds: [1]}
            grid:
              model: { {{{grid}}} }
              regularizer: {none: {}, l2: {l2: 0.001}}
            """);
        return spec;
    }

    private string[] RunArguments(string spec) =>
    [
        "run", spec, "--data", TestData.ImdbArchive, "--word-index", TestData.KerasWordIndex,
        "--out", directory.Combine("runs"), "--cache", directory.Combine("cache"), "--plain",
        "--influx-url", influx.Url, "--influx-api", "v1", "--influx-bucket", database, "--influx-spool", directory.Combine("spool"),
    ];

    private List<Dictionary<string, string>> EpochRows() =>
        RunFolder.ReadRows(Path.Combine(directory.Path, "runs", "pipeline", RunFolder.EpochsFile), RunFolder.EpochColumns);

    /// <summary>Each trial's (epoch, val_loss) in InfluxDB equals its rows in epochs.csv: exactly its epochs, no gaps, no duplicates.</summary>
    private async Task AssertInfluxMatchesTheRunFolder(int trials, int epochs)
    {
        var csv = EpochRows();
        var points = await influx.SelectAsync(database, "SELECT trial_id, epoch, val_loss, train_loss FROM gridsweep_epoch WHERE sweep = 'pipeline'");
        Assert.Equal(trials * epochs, points.Count);
        foreach (var trial in points.GroupBy(p => p.Tag("trial_id")))
        {
            var expected = csv.Where(r => r["trial_id"] == trial.Key).ToDictionary(r => long.Parse(r["epoch"]), r => CsvFormat.ParseNumber(r["val_loss"]));
            Assert.Equal(Enumerable.Range(1, epochs).Select(e => (long)e), trial.Select(p => p.Long("epoch")).Order());
            foreach (var point in trial)
                Assert.Equal(expected[point.Long("epoch")], point.Double("val_loss"), 6);
        }
    }

    [Fact]
    public async Task A_run_streams_every_epoch_trial_state_and_heartbeat_to_influxdb()
    {
        await influx.CreateDatabaseAsync(database);

        var run = GridSweepCli.Run(RunArguments(Sweep(3, "baseline")));

        Assert.True(run.ExitCode == 0, run.All);
        await AssertInfluxMatchesTheRunFolder(trials: 2, epochs: 3);
        var states = await influx.SelectAsync(database, "SELECT last(status), trial_id FROM gridsweep_trial GROUP BY *");
        Assert.Equal(2, states.Count);
        Assert.All(states, s => Assert.Equal("completed", s.String("last")));
        var history = await influx.SelectAsync(database, "SELECT trial_id, status FROM gridsweep_trial");
        Assert.All(history.GroupBy(h => h.Tag("trial_id")), trial =>
            Assert.Equal(["queued", "running", "completed"], trial.Select(h => h.String("status"))));
        // The coordinator's aggregates of the same run: the sweep's counts, each trial's latest state, its cell's mean curve.
        var sweep = Assert.Single(await influx.SelectAsync(database, "SELECT trials, completed, queued, running, cells FROM gridsweep_sweep WHERE sweep = 'pipeline'"));
        Assert.Equal((2L, 2L, 0L, 0L, 2L), (sweep.Long("trials"), sweep.Long("completed"), sweep.Long("queued"), sweep.Long("running"), sweep.Long("cells")));
        var summaries = await influx.SelectAsync(database, "SELECT trial_id, status, epochs_done, curve_best_val_loss FROM gridsweep_trial_summary WHERE sweep = 'pipeline'");
        Assert.Equal(2, summaries.Count);
        var csv = EpochRows();
        Assert.All(summaries, s =>
        {
            Assert.Equal(("completed", 3L), (s.String("status"), s.Long("epochs_done")));
            Assert.Equal(csv.Where(r => r["trial_id"] == s.String("trial_id")).Min(r => CsvFormat.ParseNumber(r["val_loss"])), s.Double("curve_best_val_loss"), 6);
        });
        var cellEpochs = await influx.SelectAsync(database, "SELECT epoch, seeds, val_loss_mean FROM gridsweep_cell_epoch WHERE sweep = 'pipeline' GROUP BY regularizer");
        Assert.Equal(2 * 3, cellEpochs.Count);
        Assert.All(cellEpochs, c => Assert.Equal(
            csv.Where(r => r["regularizer"] == c.Tag("regularizer") && r["epoch"] == c.Long("epoch").ToString()).Average(r => CsvFormat.ParseNumber(r["val_loss"])),
            c.Double("val_loss_mean"), 6));
        var heartbeats = await influx.SelectAsync(database, "SELECT slots FROM gridsweep_node GROUP BY node");
        Assert.NotEmpty(heartbeats);
        Assert.All(heartbeats, h => Assert.Equal(1, h.Long("slots")));
    }

    [Fact]
    public async Task InfluxDB_stopped_mid_sweep_and_restarted_ends_with_every_epoch_exactly_once()
    {
        await influx.CreateDatabaseAsync(database);
        var run = NodeProcess.Cli("run", RunArguments(Sweep(6, "baseline", "smaller")));
        try
        {
            run.WaitFor(@"epoch 2/6", NodeProcess.HangGuard);
            influx.Stop();
            run.WaitFor(@"\[2/4\] .* epoch 3/6", NodeProcess.HangGuard);
            run.WaitFor(@"metrics: .*unreachable|metrics: .*pending", NodeProcess.HangGuard);
            influx.Start();
            Assert.Equal(0, run.WaitForExit(NodeProcess.HangGuard));
        }
        finally
        {
            run.Dispose();
            if (!influx.IsRunning)
                influx.Start();
        }

        await AssertInfluxMatchesTheRunFolder(trials: 4, epochs: 6);
    }

    [Fact]
    public void A_database_that_does_not_exist_is_reported_before_anything_runs()
    {
        var output = directory.Combine("runs");
        var run = GridSweepCli.Run(RunArguments(Sweep(2, "baseline")).Select(a => a == database ? "no_such_db" : a).ToArray());

        Assert.True(run.ExitCode == 2, run.All);
        Assert.Contains("no_such_db", run.All);
        Assert.Contains("not found", run.All);
        Assert.False(Directory.Exists(Path.Combine(output, "pipeline")), "nothing may be written when the metrics settings are wrong");
    }
}
