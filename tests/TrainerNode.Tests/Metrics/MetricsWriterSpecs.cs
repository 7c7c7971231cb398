using System.Collections.Concurrent;
using GridSweep.Messages.Trials;
using GridSweep.TrainerNode.Metrics;
using GridSweep.TrainerNode.Tests.InfluxDb;

namespace GridSweep.TrainerNode.Tests.Metrics;

/// <summary>MetricsWriter against a real InfluxDB 1.6 through the v1 API, read back with InfluxQL.</summary>
public class MetricsWriterSpecs(InfluxServerFixture fixture) : IClassFixture<InfluxServerFixture>
{
    private readonly InfluxServer _server = fixture.Server;

    [Fact]
    public async Task A_simulated_sweep_arrives_with_every_value_tag_and_field()
    {
        var database = MetricsKit.NewDatabase();
        await _server.CreateDatabaseAsync(database);
        using var spool = new TempFolder();
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
        Assert.Equal(["model", "regularizer", "seed", "sweep", "trial_id"], tagKeys);

        var states = await _server.SelectAsync(database, "SELECT * FROM gridsweep_trial GROUP BY trial_id");
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
        var current = await _server.SelectAsync(database, "SELECT last(status) FROM gridsweep_trial GROUP BY trial_id");
        Assert.All(current, r => Assert.Equal("completed", r.String("last")));

        var nodes = await _server.SelectAsync(database, "SELECT * FROM gridsweep_node GROUP BY *");
        Assert.Equal(2, nodes.Count);
        var beat = nodes.OrderBy(r => r.Time).Last();
        Assert.Equal(("trainer-0", "cpu", 2L, 1L, 29.5, 25000.0),
            (beat.Tag("node"), beat.Tag("device"), beat.Long("slots"), beat.Long("busy_slots"), beat.Double("epochs_per_minute"), beat.Double("samples_per_second")));
    }
}
