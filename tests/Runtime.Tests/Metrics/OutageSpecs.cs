using System.Collections.Concurrent;
using System.Diagnostics;
using GridSweep.Runtime.Metrics;
using GridSweep.TestKit;
using Xunit.Abstractions;

namespace GridSweep.Runtime.Tests.Metrics;

/// <summary>InfluxDB killed and restarted under a writer: a server of this class's own, since these tests stop it.</summary>
public class OutageSpecs(InfluxServerFixture fixture, ITestOutputHelper output) : IClassFixture<InfluxServerFixture>
{
    private readonly InfluxServer _server = fixture.Server;

    [Fact]
    public async Task Writes_go_on_through_an_outage_and_every_trial_ends_with_exactly_its_epochs()
    {
        _server.Start();
        var database = await MetricsKit.NewDatabaseAsync(_server);
        using var spool = new TempDirectory("gridsweep-metrics");
        var warnings = new ConcurrentQueue<string>();
        var trials = Enumerable.Range(1, 3).Select(i => MetricsKit.Trial($"outage00000{i}", seed: i)).ToArray();
        var slowest = TimeSpan.Zero;
        var writer = new MetricsWriter(MetricsKit.V1(_server, database, spool.Path), MetricsKit.Fast(warnings));

        async Task TrainAsync(int from, int to)
        {
            for (var epoch = from; epoch <= to; epoch++)
            {
                foreach (var trial in trials)
                {
                    var call = Stopwatch.StartNew();
                    writer.EpochCompleted(trial, MetricsKit.Epoch(epoch), "trainer-0", 500);
                    slowest = call.Elapsed > slowest ? call.Elapsed : slowest;
                }
                await Task.Delay(10);
            }
        }

        await using (writer)
        {
            await TrainAsync(1, 10);
            Assert.True(await writer.FlushAsync(TimeSpan.FromSeconds(20)), writer.LastError);

            _server.Stop();
            await TrainAsync(11, 20);
            Assert.True(await MetricsKit.EventuallyAsync(() => writer.SpooledPoints == 30, TimeSpan.FromSeconds(20)),
                $"{writer.SpooledPoints} spooled");
            Assert.Equal(30, writer.PendingPoints);
            Assert.Contains("is unreachable", writer.LastError);
            Assert.Contains(warnings, w => w.Contains($"InfluxDB at {_server.Url} is unreachable") && w.Contains(" points pending, ") && w.Contains($"spooled in {spool.Path}"));

            _server.Start();
            await TrainAsync(21, 30);
            Assert.True(await writer.FlushAsync(TimeSpan.FromSeconds(30)), writer.LastError);
            Assert.Equal((90L, 0L, 0L), (writer.WrittenPoints, writer.PendingPoints, writer.DroppedPoints));
            Assert.Null(writer.LastError);
        }

        output.WriteLine($"slowest EpochCompleted call: {slowest.TotalMilliseconds:F2} ms; warnings:");
        foreach (var warning in warnings)
            output.WriteLine(warning);
        Assert.True(slowest < TimeSpan.FromMilliseconds(250), $"slowest EpochCompleted call took {slowest.TotalMilliseconds:F1} ms");
        Assert.Contains(warnings, w => w.Contains("took the whole backlog"));
        Assert.Empty(spool.SpoolFiles());
        var rows = await _server.SelectAsync(database, "SELECT trial_id, epoch, val_loss FROM gridsweep_epoch");
        foreach (var trial in trials)
        {
            var mine = rows.Where(r => r.Tag("trial_id") == trial.Id).ToList();
            Assert.Equal(Enumerable.Range(1, 30).Select(e => (long)e), mine.Select(r => r.Long("epoch")).Order());
            Assert.All(mine, r => Assert.Equal(MetricsKit.Epoch((int)r.Long("epoch")).ValLoss, r.Double("val_loss")));
        }
    }

    [Fact]
    public async Task Points_spooled_when_the_process_stopped_are_sent_by_the_next_one()
    {
        _server.Start();
        var database = await MetricsKit.NewDatabaseAsync(_server);
        using var spool = new TempDirectory("gridsweep-metrics");
        var trial = MetricsKit.Trial("restart00001");
        var settings = MetricsKit.V1(_server, database, spool.Path);

        _server.Stop();
        var writer = new MetricsWriter(settings, MetricsKit.Fast());
        for (var epoch = 1; epoch <= 12; epoch++)
            writer.EpochCompleted(trial, MetricsKit.Epoch(epoch), "trainer-0", 500);
        var disposing = Stopwatch.StartNew();
        await writer.DisposeAsync();
        Assert.True(disposing.Elapsed < TimeSpan.FromSeconds(5), $"dispose took {disposing.Elapsed}");
        Assert.Equal(12, writer.SpooledPoints);
        Assert.NotEmpty(spool.SpoolFiles());

        _server.Start();
        var warnings = new ConcurrentQueue<string>();
        await using (var next = new MetricsWriter(settings, MetricsKit.Fast(warnings)))
        {
            Assert.True(await next.FlushAsync(TimeSpan.FromSeconds(20)), next.LastError);
            Assert.Equal(12, next.WrittenPoints);
        }

        Assert.Contains(warnings, w => w.StartsWith($"12 points of an earlier run wait in {spool.Path}", StringComparison.Ordinal));
        Assert.Empty(spool.SpoolFiles());
        var rows = await _server.SelectAsync(database, "SELECT epoch FROM gridsweep_epoch");
        Assert.Equal(Enumerable.Range(1, 12).Select(e => (long)e), rows.Select(r => r.Long("epoch")));
    }
}
