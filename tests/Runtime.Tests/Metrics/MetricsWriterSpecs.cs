using System.Collections.Concurrent;
using GridSweep.Messages.Trials;
using GridSweep.Runtime.Metrics;
using GridSweep.TestKit;

namespace GridSweep.Runtime.Tests.Metrics;

/// <summary>MetricsWriter against a real InfluxDB 1.6 through the v1 API, read back with InfluxQL.</summary>
public class MetricsWriterSpecs(InfluxServerFixture fixture) : IClassFixture<InfluxServerFixture>
{
    private readonly InfluxServer _server = fixture.Server;

    [Fact]
    public async Task A_simulated_sweep_arrives_with_every_value_tag_and_field()
    {
        var database = await MetricsKit.NewDatabaseAsync(_server);
        using var spool = new TempDirectory("gridsweep-metrics");
        var trials = new[]
        {
            MetricsKit.Trial("aaaaaaaaaaa1", model: "baseline", regularizer: "none", seed: 1),
            MetricsKit.Trial("aaaaaaaaaaa2", model: "smaller", regularizer: "l2", seed: 2),
            MetricsKit.Trial("aaaaaaaaaaa3", model: "bigger", regularizer: "dropout", seed: 3),
        };
        await using (var writer = new MetricsWriter(MetricsKit.V1(_server, database, spool.Path), MetricsKit.Fast()))
        {
            await writer.CheckAsync();
            writer.NodeHeartbeat("trainer-0", "cpu", 2, 0, 0, 0);
            for (var t = 0; t < trials.Length; t++)
            {
                writer.TrialStateChanged(trials[t], TrialStatus.Queued, null, 1, "trainer-0");
                writer.TrialStateChanged(trials[t], TrialStatus.Running, null, 1, "trainer-0");
                var epochs = Enumerable.Range(1, 10).Select(e => MetricsKit.Epoch(e, salt: t / 10.0)).ToList();
                foreach (var epoch in epochs)
                    writer.EpochCompleted(trials[t], epoch, "trainer-0", 1000 * (t + 1));
                writer.TrialStateChanged(trials[t], TrialStatus.Completed, TrialSummary.From(TrialStatus.Completed, epochs, 12.5), 1, "trainer-0");
            }
            writer.NodeHeartbeat("trainer-0", "cpu", 2, 1, 29.5, 25000);
            Assert.True(await writer.FlushAsync(TimeSpan.FromSeconds(20)), writer.LastError);
            Assert.Equal(1 + 3 * 13 + 1, writer.WrittenPoints);
            Assert.Equal(0, writer.PendingPoints);
        }

        var rows = await _server.SelectAsync(database, "SELECT * FROM gridsweep_epoch GROUP BY *");
        Assert.Equal(30, rows.Count);
        for (var t = 0; t < trials.Length; t++)
        {
            var trial = trials[t];
            var mine = rows.Where(r => r.Tag("trial_id") == trial.Id).OrderBy(r => r.Long("epoch")).ToList();
            Assert.Equal(Enumerable.Range(1, 10).Select(e => (long)e), mine.Select(r => r.Long("epoch")));
            foreach (var row in mine)
            {
                var expected = MetricsKit.Epoch((int)row.Long("epoch"), salt: t / 10.0);
                Assert.Equal((trial.Sweep, trial.Model, trial.Regularizer, trial.Seed.ToString()),
                    (row.Tag("sweep"), row.Tag("model"), row.Tag("regularizer"), row.Tag("seed")));
                Assert.Equal(Schema.EpochTime(expected.Epoch), row.Time);
                Assert.Equal(expected.TrainLoss, row.Double("train_loss"));
                Assert.Equal(expected.TrainPenalty, row.Double("train_penalty"));
                Assert.Equal(expected.ValLoss, row.Double("val_loss"));
                Assert.Equal(expected.TrainAccuracy, row.Double("train_accuracy"));
                Assert.Equal(expected.ValAccuracy, row.Double("val_accuracy"));
                Assert.Equal(expected.ValLoss - expected.TrainLoss, row.Double("gap"));
                Assert.Equal(expected.Seconds, row.Double("seconds"));
                Assert.Equal(1000.0 * (t + 1), row.Double("samples_per_second"));
                Assert.Equal("trainer-0", row.String("node"));
            }
        }

        var fieldTypes = (await _server.SelectAsync(database, "SHOW FIELD KEYS FROM gridsweep_epoch"))
            .ToDictionary(r => r.String("fieldKey")!, r => r.String("fieldType"));
        Assert.Equal("integer", fieldTypes["epoch"]);
        Assert.Equal("float", fieldTypes["val_loss"]);
        Assert.Equal("string", fieldTypes["node"]);
        var tagKeys = (await _server.SelectAsync(database, "SHOW TAG KEYS FROM gridsweep_epoch")).Select(r => r.String("tagKey"));
        // The trial's id is a field, not a tag: no tag has a value per trial (InfluxDB 1.x caps values per tag at 100,000).
        Assert.Equal(["activation", "batch_size", "epochs", "learning_rate", "model", "optimizer", "regularizer", "seed", "sweep", "task"], tagKeys);
        Assert.Equal("string", fieldTypes["trial_id"]);

        var states = await _server.SelectAsync(database, "SELECT * FROM gridsweep_trial GROUP BY *");
        Assert.Equal(9, states.Count);
        for (var t = 0; t < trials.Length; t++)
        {
            var mine = states.Where(r => r.Tag("trial_id") == trials[t].Id).OrderBy(r => r.Time).ToList();
            Assert.Equal(["queued", "running", "completed"], mine.Select(r => r.String("status")));
            Assert.All(mine, r => Assert.Equal((1L, "trainer-0"), (r.Long("attempt"), r.String("node"))));
            Assert.False(mine[1].Has("best_epoch"));
            var summary = TrialSummary.From(TrialStatus.Completed, Enumerable.Range(1, 10).Select(e => MetricsKit.Epoch(e, salt: t / 10.0)).ToList(), 12.5);
            Assert.Equal(4, summary.BestEpoch);
            Assert.Equal((4L, summary.BestValLoss, summary.FinalGap),
                (mine[2].Long("best_epoch"), mine[2].Double("best_val_loss"), mine[2].Double("final_gap")));
        }
        var current = await _server.SelectAsync(database, "SELECT last(status) FROM gridsweep_trial GROUP BY *");
        Assert.All(current, r => Assert.Equal("completed", r.String("last")));

        var nodes = await _server.SelectAsync(database, "SELECT * FROM gridsweep_node GROUP BY *");
        Assert.Equal(2, nodes.Count);
        var beat = nodes.OrderBy(r => r.Time).Last();
        Assert.Equal(("trainer-0", "cpu", 2L, 1L, 29.5, 25000.0),
            (beat.Tag("node"), beat.Tag("device"), beat.Long("slots"), beat.Long("busy_slots"), beat.Double("epochs_per_minute"), beat.Double("samples_per_second")));
    }

    [Fact]
    public async Task A_rerun_after_a_lost_node_leaves_exactly_one_curve_with_the_new_values()
    {
        var database = await MetricsKit.NewDatabaseAsync(_server);
        using var spool = new TempDirectory("gridsweep-metrics");
        var trial = MetricsKit.Trial("bbbbbbbbbbb1");
        await using (var writer = new MetricsWriter(MetricsKit.V1(_server, database, spool.Path), MetricsKit.Fast()))
        {
            writer.TrialStateChanged(trial, TrialStatus.Running, null, 1, "trainer-lost");
            for (var epoch = 1; epoch <= 3; epoch++)
                writer.EpochCompleted(trial, MetricsKit.Epoch(epoch, salt: 0.5), "trainer-lost", 100);
            Assert.True(await writer.FlushAsync(TimeSpan.FromSeconds(20)), writer.LastError);

            writer.TrialStateChanged(trial, TrialStatus.Running, null, 2, "trainer-1");
            for (var epoch = 1; epoch <= 5; epoch++)
                writer.EpochCompleted(trial, MetricsKit.Epoch(epoch), "trainer-1", 200);
            Assert.True(await writer.FlushAsync(TimeSpan.FromSeconds(20)), writer.LastError);
        }

        var rows = await _server.SelectAsync(database, "SELECT * FROM gridsweep_epoch GROUP BY *");
        Assert.Equal([1L, 2, 3, 4, 5], rows.Select(r => r.Long("epoch")).Order());
        Assert.All(rows, row =>
        {
            var expected = MetricsKit.Epoch((int)row.Long("epoch"));
            Assert.Equal((expected.ValLoss, expected.TrainLoss, "trainer-1", 200.0),
                (row.Double("val_loss"), row.Double("train_loss"), row.String("node"), row.Double("samples_per_second")));
        });
        var attempts = await _server.SelectAsync(database, "SELECT attempt, node FROM gridsweep_trial");
        Assert.Equal([(1L, "trainer-lost"), (2L, "trainer-1")], attempts.OrderBy(r => r.Time).Select(r => (r.Long("attempt"), r.String("node"))));
    }

    [Fact]
    public async Task Every_grid_axis_and_the_task_are_tags_and_each_task_has_its_own_metric_fields()
    {
        var database = await MetricsKit.NewDatabaseAsync(_server);
        using var spool = new TempDirectory("gridsweep-metrics");
        var regression = MetricsKit.RegressionTrial("rrrrrrrrrrr1");
        var adam = MetricsKit.Trial("ccccccccccc1");
        var sgd = MetricsKit.Trial("ccccccccccc2") with { Optimizer = "sgd", OptimizerConfig = new("sgd", 0.01) };
        var regressionEpochs = Enumerable.Range(1, 6).Select(e => MetricsKit.RegressionEpoch(e)).ToList();
        await using (var writer = new MetricsWriter(MetricsKit.V1(_server, database, spool.Path), MetricsKit.Fast()))
        {
            foreach (var epoch in regressionEpochs)
                writer.EpochCompleted(regression, epoch, "trainer-0", 100);
            writer.TrialStateChanged(regression, TrialStatus.Completed, TrialSummary.From(TrialStatus.Completed, regressionEpochs, 3), 1, "trainer-0");
            foreach (var trial in new[] { adam, sgd })
            {
                var epochs = Enumerable.Range(1, 6).Select(e => MetricsKit.Epoch(e, salt: trial == sgd ? 0.2 : 0)).ToList();
                foreach (var epoch in epochs)
                    writer.EpochCompleted(trial, epoch, "trainer-0", 100);
                writer.TrialStateChanged(trial, TrialStatus.Completed, TrialSummary.From(TrialStatus.Completed, epochs, 3), 1, "trainer-0");
            }
            Assert.True(await writer.FlushAsync(TimeSpan.FromSeconds(20)), writer.LastError);
        }

        var rows = await _server.SelectAsync(database, "SELECT * FROM gridsweep_epoch GROUP BY *");
        var regressionRows = rows.Where(r => r.Tag("trial_id") == regression.Id).OrderBy(r => r.Long("epoch")).ToList();
        Assert.Equal(6, regressionRows.Count);
        foreach (var row in regressionRows)
        {
            var expected = MetricsKit.RegressionEpoch((int)row.Long("epoch"));
            Assert.Equal(("sgd-lr0.01", "0.01", "tanh", "32", "200", "regression"),
                (row.Tag("optimizer"), row.Tag("learning_rate"), row.Tag("activation"), row.Tag("batch_size"), row.Tag("epochs"), row.Tag("task")));
            Assert.Equal((expected.TrainMae, expected.ValMae), (row.Double("train_mae"), row.Double("val_mae")));
            Assert.False(row.Has("train_accuracy") || row.Has("val_accuracy"), "a regression epoch has no accuracy");
        }
        Assert.All(rows.Where(r => r.Tag("task") == "binary"), row =>
        {
            Assert.True(row.Has("val_accuracy"));
            Assert.False(row.Has("train_mae") || row.Has("val_mae"), "a classification epoch has no MAE");
        });

        // Two optimizers of one model are two lines now, not one averaged line.
        var byOptimizer = await _server.SelectAsync(database,
            "SELECT mean(val_accuracy) FROM gridsweep_epoch WHERE task = 'binary' AND time = '2000-01-01T00:00:01Z' GROUP BY optimizer, learning_rate");
        Assert.Equal([("adam", "0.001", MetricsKit.Epoch(1).ValAccuracy), ("sgd", "0.01", MetricsKit.Epoch(1, salt: 0.2).ValAccuracy)],
            byOptimizer.OrderBy(r => r.Tag("optimizer")).Select(r => (r.Tag("optimizer"), r.Tag("learning_rate"), r.Double("mean"))));

        var summaries = await _server.SelectAsync(database, "SELECT * FROM gridsweep_trial GROUP BY *");
        var regressionSummary = Assert.Single(summaries, r => r.Tag("trial_id") == regression.Id);
        Assert.Equal(regressionEpochs.Min(e => e.ValMae), regressionSummary.Double("best_val_mae"));
        Assert.False(regressionSummary.Has("best_val_accuracy"));
        var adamSummary = Assert.Single(summaries, r => r.Tag("trial_id") == adam.Id);
        Assert.Equal(Enumerable.Range(1, 6).Max(e => MetricsKit.Epoch(e).ValAccuracy), adamSummary.Double("best_val_accuracy"));
        Assert.False(adamSummary.Has("best_val_mae"));

        var fieldTypes = (await _server.SelectAsync(database, "SHOW FIELD KEYS FROM gridsweep_epoch"))
            .ToDictionary(r => r.String("fieldKey")!, r => r.String("fieldType"));
        Assert.Equal(("float", "float"), (fieldTypes["train_mae"], fieldTypes["val_mae"]));
    }

    [Fact]
    public async Task Tags_with_spaces_commas_and_equals_read_back_as_written()
    {
        var database = await MetricsKit.NewDatabaseAsync(_server);
        using var spool = new TempDirectory("gridsweep-metrics");
        var trial = MetricsKit.Trial("cccccccccc01", sweep: "sweep one", model: "wide, deep=2", regularizer: "l2 = 0.001, dropout");
        await using (var writer = new MetricsWriter(MetricsKit.V1(_server, database, spool.Path), MetricsKit.Fast()))
        {
            writer.EpochCompleted(trial, MetricsKit.Epoch(1), "node \"a\", b=c", 1);
            writer.TrialStateChanged(trial, TrialStatus.Failed,
                new TrialSummary(TrialStatus.Failed, 0, double.NaN, double.NaN, double.NaN, double.NaN, 1, "CUDA error:\n \"out of memory\" at C:\\x"), 1, "n");
            Assert.True(await writer.FlushAsync(TimeSpan.FromSeconds(20)), writer.LastError);
        }

        var epoch = Assert.Single(await _server.SelectAsync(database, "SELECT * FROM gridsweep_epoch GROUP BY *"));
        Assert.Equal(("sweep one", "wide, deep=2", "l2 = 0.001, dropout"), (epoch.Tag("sweep"), epoch.Tag("model"), epoch.Tag("regularizer")));
        Assert.Equal("node \"a\", b=c", epoch.String("node"));
        var failed = Assert.Single(await _server.SelectAsync(database, "SELECT * FROM gridsweep_trial WHERE model = 'wide, deep=2'"));
        Assert.Equal("CUDA error:  \"out of memory\" at C:\\x", failed.String("error"));
        Assert.False(failed.Has("best_val_loss")); // NaN is left out, not written
    }

    [Fact]
    public async Task A_diverged_epoch_keeps_its_finite_fields()
    {
        var database = await MetricsKit.NewDatabaseAsync(_server);
        using var spool = new TempDirectory("gridsweep-metrics");
        await using (var writer = new MetricsWriter(MetricsKit.V1(_server, database, spool.Path), MetricsKit.Fast()))
        {
            writer.EpochCompleted(MetricsKit.Trial("dddddddddd01"), new EpochMetrics(3, double.NaN, 0.1, double.PositiveInfinity, 0.5, 0.5, 2), "n", 10);
            Assert.True(await writer.FlushAsync(TimeSpan.FromSeconds(20)), writer.LastError);
        }

        var row = Assert.Single(await _server.SelectAsync(database, "SELECT * FROM gridsweep_epoch"));
        Assert.Equal((3L, 0.1, 2.0), (row.Long("epoch"), row.Double("train_penalty"), row.Double("seconds")));
        Assert.False(row.Has("train_loss") || row.Has("val_loss") || row.Has("gap"));
    }

    [Fact]
    public async Task Check_accepts_a_usable_database_and_names_url_and_database_otherwise()
    {
        var database = await MetricsKit.NewDatabaseAsync(_server);
        var expiring = await MetricsKit.NewDatabaseAsync(_server, retentionDuration: "30d");
        using var spool = new TempDirectory("gridsweep-metrics");

        await using (var good = new MetricsWriter(MetricsKit.V1(_server, database, spool.Path), MetricsKit.Fast()))
            await good.CheckAsync();

        await using (var missing = new MetricsWriter(MetricsKit.V1(_server, "no_such_db", spool.Path), MetricsKit.Fast()))
        {
            var error = await Assert.ThrowsAsync<InfluxSetupException>(() => missing.CheckAsync());
            Assert.Equal($"InfluxDB at {_server.Url} (database 'no_such_db'): database 'no_such_db' not found: create it (CREATE DATABASE \"no_such_db\") or check --influx-bucket", error.Message);
        }

        await using (var finite = new MetricsWriter(MetricsKit.V1(_server, expiring, spool.Path), MetricsKit.Fast()))
        {
            var error = await Assert.ThrowsAsync<InfluxSetupException>(() => finite.CheckAsync());
            Assert.Contains($"InfluxDB at {_server.Url} (database '{expiring}'): retention policy 'short' keeps data for 720h0m0s", error.Message);
            Assert.Contains("use a retention policy of infinite duration (--influx-rp)", error.Message);
        }

        await using (var down = new MetricsWriter(MetricsKit.V1($"http://127.0.0.1:{Loopback.FreePort()}", database, spool.Path), MetricsKit.Fast()))
        {
            var error = await Assert.ThrowsAsync<InfluxSetupException>(() => down.CheckAsync());
            Assert.Contains($"(database '{database}'): InfluxDB at http://127.0.0.1:", error.Message);
            Assert.Contains("is unreachable", error.Message);
        }
    }

    [Fact]
    public async Task A_missing_database_is_reported_and_its_points_wait_for_corrected_settings()
    {
        var database = MetricsKit.NewDatabase();
        using var spool = new TempDirectory("gridsweep-metrics");
        var warnings = new ConcurrentQueue<string>();
        var trial = MetricsKit.Trial("eeeeeeeeee01");
        var writer = new MetricsWriter(MetricsKit.V1(_server, database, spool.Path), MetricsKit.Fast(warnings));
        await using (writer)
        {
            for (var epoch = 1; epoch <= 20; epoch++)
                writer.EpochCompleted(trial, MetricsKit.Epoch(epoch), "n", 1);
            Assert.False(await writer.FlushAsync(TimeSpan.FromSeconds(10)));
            Assert.True(writer.IsRejected);
        }

        Assert.StartsWith(
            $"InfluxDB at {_server.Url} rejected the write: 404 not found (database not found: \"{database}\") — " +
            $"database '{database}' not found: create it (CREATE DATABASE \"{database}\") or check --influx-bucket. " +
            $"20 points stay spooled in {spool.Path}",
            writer.LastError);
        Assert.Contains(writer.LastError, warnings);
        Assert.Equal((20L, 0L, 0L), (writer.SpooledPoints, writer.WrittenPoints, writer.DroppedPoints));

        await _server.CreateDatabaseAsync(database);
        await using (var corrected = new MetricsWriter(MetricsKit.V1(_server, database, spool.Path), MetricsKit.Fast()))
            Assert.True(await corrected.FlushAsync(TimeSpan.FromSeconds(20)), corrected.LastError);
        var rows = await _server.SelectAsync(database, "SELECT epoch FROM gridsweep_epoch");
        Assert.Equal(Enumerable.Range(1, 20).Select(e => (long)e), rows.Select(r => r.Long("epoch")));
        Assert.Empty(spool.SpoolFiles());
    }

    [Fact]
    public async Task A_batch_InfluxDB_refuses_as_malformed_is_set_aside_and_writing_goes_on()
    {
        var database = await MetricsKit.NewDatabaseAsync(_server);
        // val_loss already holds strings in this shard: our float val_loss conflicts (400 partial write).
        await WriteRawAsync(database, $"gridsweep_epoch,seed=other val_loss=\"text\" {Schema.EpochTime(1)}");
        using var spool = new TempDirectory("gridsweep-metrics");
        var trial = MetricsKit.Trial("ffffffffff01");
        await using var writer = new MetricsWriter(MetricsKit.V1(_server, database, spool.Path), MetricsKit.Fast());

        writer.EpochCompleted(trial, MetricsKit.Epoch(1), "n", 1);
        Assert.True(await writer.FlushAsync(TimeSpan.FromSeconds(20)));
        Assert.Contains($"InfluxDB at {_server.Url} refused points of a batch: 400 bad request (partial write: field type conflict", writer.LastError);
        Assert.Contains("the batch (1 points) is kept in", writer.LastError);
        writer.NodeHeartbeat("n", "cpu", 1, 1, 1, 1);
        Assert.True(await writer.FlushAsync(TimeSpan.FromSeconds(20)));

        Assert.Equal((1L, 1L), (writer.SetAsidePoints, writer.WrittenPoints));
        Assert.Null(writer.LastError);
        var kept = Assert.Single(Directory.GetFiles(Path.Combine(spool.Path, MetricsSpool.RejectedFolder)));
        Assert.Contains("trial_id=\"ffffffffff01\"", File.ReadAllText(kept));
        Assert.Single(await _server.SelectAsync(database, "SELECT * FROM gridsweep_node"));
    }

    [Fact]
    public async Task The_v2_api_against_InfluxDB_1_6_says_to_use_v1()
    {
        using var spool = new TempDirectory("gridsweep-metrics");
        await using var writer = new MetricsWriter(MetricsKit.V2(_server.Url, spool.Path), MetricsKit.Fast());

        writer.EpochCompleted(MetricsKit.Trial("v2v2v2v2v2v2"), MetricsKit.Epoch(1), "n", 1);

        Assert.False(await writer.FlushAsync(TimeSpan.FromSeconds(10)));
        Assert.True(writer.IsRejected);
        Assert.Contains($"InfluxDB at {_server.Url} rejected the write: 404 not found", writer.LastError);
        Assert.Contains("404 not found (404 page not found) — the server has no /api/v2/write (InfluxDB 1.x before 1.8): use --influx-api v1", writer.LastError);
    }

    private async Task WriteRawAsync(string database, string lines)
    {
        using var http = new HttpClient();
        using var response = await http.PostAsync($"{_server.Url}/write?db={database}", new StringContent(lines));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }
}
