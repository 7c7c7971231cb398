using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace GridSweep.Dashboards.Tests;

/// <summary>The cluster dashboard's queries over the trainer nodes' heartbeats.</summary>
[Collection(SmallSweepCollection.Name)]
public sealed class ClusterQuerySpecs : IAsyncLifetime, IDisposable
{
    private readonly GrafanaEmulation _grafana;
    private readonly JsonObject _dashboard = DashboardFiles.Load("gridsweep-cluster.json");

    public ClusterQuerySpecs(SmallSweepFixture fixture, ITestOutputHelper output)
    {
        _grafana = new GrafanaEmulation(QueryEnvironment.For(fixture.Server), output)
        {
            // The dashboard's default range, now-1h to now, holds the heartbeats just written.
            From = DateTimeOffset.UtcNow.AddHours(-1),
            To = DateTimeOffset.UtcNow.AddSeconds(5),
            Interval = (string)DashboardFiles.Panel(_dashboard, "Busy slots")["interval"]!,
        };
        Assert.True(fixture.WrittenAfter > _grafana.From);
    }

    public Task InitializeAsync() => _grafana.ResolveVariablesAsync(_dashboard);

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => _grafana.Dispose();

    private static IEnumerable<Heartbeat> Latest => SmallSweep.Heartbeats.GroupBy(h => (h.Node, h.Device)).Select(g => g.Last());

    [Fact]
    public void The_node_variable_lists_the_trainer_nodes() =>
        Assert.Equal(["trainer-a", "trainer-b"], _grafana.Options["node"]);

    [Fact]
    public async Task Cluster_now_counts_the_nodes_and_sums_their_latest_heartbeats()
    {
        var panel = DashboardFiles.Panel(_dashboard, "Cluster now");
        var targets = DashboardFiles.Targets(panel).ToList();
        var nodes = await _grafana.RunTargetAsync(panel, targets[0]);
        Assert.Equal(2, Assert.Single(nodes.Rows).Number("trainer_nodes"));
        var totals = Assert.Single((await _grafana.RunTargetAsync(panel, targets[1])).Rows);
        Assert.Equal(Latest.Sum(h => h.Slots), totals.Number("slots"));
        Assert.Equal(Latest.Sum(h => h.BusySlots), totals.Number("busy_slots"));
        Expected.Near(Latest.Sum(h => h.EpochsPerMinute), totals.Number("epochs_per_minute"), "epochs per minute");
        Expected.Near(Latest.Sum(h => h.SamplesPerSecond), totals.Number("samples_per_second"), "samples per second");
        Assert.Equal((3, 3, 42.5, 6000.0), ((int)totals.Number("slots"), (int)totals.Number("busy_slots"), totals.Number("epochs_per_minute"), totals.Number("samples_per_second")));
    }

    [Fact]
    public async Task The_node_table_shows_each_devices_latest_heartbeat()
    {
        var panel = DashboardFiles.Panel(_dashboard, "Trainer nodes (latest heartbeat)");
        var result = await _grafana.RunTargetAsync(panel, DashboardFiles.Targets(panel).Single());
        Assert.Equal(["Time", "device", "node", "slots", "busy_slots", "epochs_per_minute", "samples_per_second"], result.Columns);
        Assert.Equal(2, result.Rows.Count);
        foreach (var beat in Latest)
        {
            var row = result.Single(("node", beat.Node), ("device", beat.Device));
            Assert.Equal(beat.Slots, row.Number("slots"));
            Assert.Equal(beat.BusySlots, row.Number("busy_slots"));
            Assert.Equal(beat.EpochsPerMinute, row.Number("epochs_per_minute"));
            Assert.Equal(beat.SamplesPerSecond, row.Number("samples_per_second"));
        }
    }

    [Theory]
    [InlineData("Busy slots", "busy_slots")]
    [InlineData("Epochs per minute", "epochs_per_minute")]
    [InlineData("Samples per second per device", "samples_per_second")]
    public async Task A_time_series_has_one_line_per_node_and_device_at_the_interval(string title, string field)
    {
        var panel = DashboardFiles.Panel(_dashboard, title);
        var target = DashboardFiles.Targets(panel).Single();
        Assert.Equal("time_series", (string?)target["resultFormat"]);
        var result = await _grafana.RunTargetAsync(panel, target);
        Assert.Equal(["trainer-a/cpu", "trainer-b/cuda:0"], result.Series.Select(s => $"{s.Tags["node"]}/{s.Tags["device"]}").Order());
        foreach (var series in result.Series)
        {
            var written = SmallSweep.Heartbeats.Where(h => h.Node == series.Tags["node"] && h.Device == series.Tags["device"])
                .Select(h => field switch
                {
                    "busy_slots" => h.BusySlots,
                    "epochs_per_minute" => h.EpochsPerMinute,
                    _ => h.SamplesPerSecond,
                }).ToList();
            var rows = result.Rows.Where(r => r.Series == series).ToList();
            Assert.NotEmpty(rows);
            foreach (var row in rows)
            {
                Assert.Equal(0, row.TimeMs % 10_000); // GROUP BY time($__interval) with $__interval = 10s
                Assert.InRange(row.Number(field), written.Min(), written.Max());
            }
        }
    }

    [Fact]
    public async Task The_standing_table_shows_each_nodes_latest_judgement_and_why()
    {
        var panel = DashboardFiles.Panel(_dashboard, "Node standing (quarantine)");
        var result = await _grafana.RunTargetAsync(panel, DashboardFiles.Targets(panel).Single());
        Assert.Equal(["Time", "node", "standing", "quarantined", "failure_streak", "quarantine_seconds", "quarantine_reason"], result.Columns);
        Assert.Equal(2, result.Rows.Count);
        var a = result.Single(("node", "trainer-a"));
        Assert.Equal(("ok", 0.0, 0.0, ""), (a.Text("standing"), a.Number("quarantined"), a.Number("quarantine_seconds"), a.Text("quarantine_reason")));
        var b = result.Single(("node", "trainer-b"));
        Assert.Equal(("quarantined", 1.0, 3.0, 600.0), (b.Text("standing"), b.Number("quarantined"), b.Number("failure_streak"), b.Number("quarantine_seconds")));
        Assert.Equal(SmallSweep.Judgements[^1].Reason, b.Text("quarantine_reason"));
        // The heartbeats' panels are not disturbed by the judgements in the same series.
        var heartbeats = DashboardFiles.Panel(_dashboard, "Trainer nodes (latest heartbeat)");
        Assert.Equal(2, (await _grafana.RunTargetAsync(heartbeats, DashboardFiles.Targets(heartbeats).Single())).Rows.Count);
    }

    [Fact]
    public void Every_panel_of_the_cluster_dashboard_is_checked_here() =>
        Assert.Equal(
            new[] { "Cluster now", "Trainer nodes (latest heartbeat)", "Busy slots", "Epochs per minute", "Samples per second per device", "Node standing (quarantine)" }.Order(),
            DashboardFiles.DataPanels(_dashboard).Select(p => (string)p["title"]!).Order());
}
