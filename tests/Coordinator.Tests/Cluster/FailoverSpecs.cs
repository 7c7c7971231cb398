using System.Text.RegularExpressions;
using GridSweep.Coordinator.Results;
using GridSweep.TestKit;
using Npgsql;
using Xunit.Abstractions;

namespace GridSweep.Coordinator.Tests.Cluster;

/// <summary>
/// Two coordinator nodes sharing a PostgreSQL ledger (a real server on loopback), two trainers, real processes and
/// real training: <c>kill -9</c> of the active coordinator mid-sweep, with production failure detection. The standby
/// takes the sweep over; no trial is trained twice, none is lost.
/// </summary>
[Collection(nameof(ClusterSpecs))] // Real training: one such test at a time on two cores.
public sealed class FailoverSpecs(PostgresServerFixture postgres, InfluxServerFixture influx, ITestOutputHelper report)
    : IClassFixture<PostgresServerFixture>, IClassFixture<InfluxServerFixture>, IDisposable
{
    private const int Trials = 8;
    private const int Epochs = 300;
    private static readonly TimeSpan HangGuard = NodeProcess.HangGuard;

    private readonly TempDirectory directory = new("gridsweep-failover");
    private readonly List<ChildProcess> processes = [];

    public void Dispose()
    {
        foreach (var process in processes)
            process.Dispose();
        directory.Dispose();
    }

    private ChildProcess Track(ChildProcess process)
    {
        processes.Add(process);
        return process;
    }

    [Fact]
    public async Task Killing_the_active_coordinator_hands_the_sweep_to_the_standby_which_adopts_the_trials_in_flight_and_trains_none_twice()
    {
        var database = "failover_" + Guid.NewGuid().ToString("N")[..8];
        await influx.Server.CreateDatabaseAsync(database);
        string[] Metrics(string node) =>
            ["--influx-url", influx.Server.Url, "--influx-api", "v1", "--influx-bucket", database, "--influx-spool", directory.Combine("spool-" + node)];
        postgres.Server.CreateDatabase(database);
        var password = directory.Combine("ledger-password");
        File.WriteAllText(password, postgres.Server.Password);
        string[] ledger = ["--ledger", $"postgres://{PostgresServer.User}@127.0.0.1:{postgres.Server.Port}/{database}", "--ledger-password-file", password];
        var spec = directory.Combine("failover.yaml");
        File.WriteAllText(spec, $$$"""
            name: failover
            dataset: {name: csv, path: {{{TestData.BostonHousing}}}, target: MEDV, task: regression, validation: 0.2, split_seed: 113}
            training: {epochs: {{{Epochs}}}, batch_size: 32, optimizer: {name: adam, learning_rate: 0.001}, seeds: [1, 2, 3, 4]}
            grid:
              model: {wide: {hidden: [512, 512]}, deep: {hidden: [256, 256, 256]}}
              regularizer: {none: {}}
            """);
        var (activePort, standbyPort) = (Loopback.FreePort(), Loopback.FreePort());
        var production = NodeProcess.ProductionFailureDetection;

        var active = Track(NodeProcess.Coordinator(production, spec, activePort, directory.Combine("active"), [.. ledger, .. Metrics("active")]));
        active.WaitFor("coordinator at", HangGuard);
        var standby = Track(NodeProcess.Coordinator(production, spec, standbyPort, directory.Combine("standby"),
            [.. ledger, .. Metrics("standby"), "--seed-node", $"127.0.0.1:{activePort}"]));
        var trainers = new List<ChildProcess>();
        foreach (var node in new[] { "trainer-a", "trainer-b" })
        {
            trainers.Add(GridSweepCli.Start(node, GridSweepCli.TrainerNode, new Dictionary<string, string> { ["GridSweep__Trainer__RegisterIntervalSeconds"] = "1" },
            [
                "--seed-node", $"127.0.0.1:{activePort}", "--seed-node", $"127.0.0.1:{standbyPort}", "--host", "127.0.0.1", "--port", "0",
                "--slots", "1", "--node-id", node, "--dataset", "none", "--cache", directory.Combine("cache-" + node), .. Metrics(node),
            ]));
            Track(trainers[^1]);
        }

        // Mid-sweep: a trial finished, and both trainers well into their next ones.
        active.WaitFor(@"completed: best epoch", HangGuard);
        active.WaitFor(@"\[[3-9]/8\] .* epoch [5-9]\d/", HangGuard);
        active.KillHard();
        var killedAt = DateTime.UtcNow;
        var started = Ids(active, "started on");
        var ended = Ids(active, "completed: ");
        var inFlight = started.Except(ended).ToList();
        report.WriteLine($"killed the active coordinator with {ended.Count} trial(s) finished and {string.Join(", ", inFlight)} in flight");
        Assert.NotEmpty(inFlight);

        var takeover = standby.WaitFor(@"ledger: PostgreSQL", HangGuard);
        Assert.Equal(0, standby.WaitForExit(HangGuard));
        var firstAssignment = standby.Lines.FirstOrDefault(l => l.Line.Contains("started on"));
        report.WriteLine($"the standby opened the ledger {(takeover.At - killedAt).TotalSeconds:F1} s after the kill" +
            (firstAssignment.Line is null ? "" : $" and gave out work {(firstAssignment.At - killedAt).TotalSeconds:F1} s after it"));
        report.WriteLine(string.Join('\n', standby.Lines.Select(l => l.Line).Where(l =>
            l.Contains("ledger:") || l.Contains("still out") || l.Contains("queued again") || l.Contains("adopted") || inFlight.Any(l.Contains))));
        foreach (var trainer in trainers)
            report.WriteLine(string.Join('\n', trainer.Lines.Select(l => $"{trainer.Name}: {l.Line}").Where(l => l.Contains("coordinator") || l.Contains("joining"))));

        // No trial the active one finished or had out was trained again by the standby.
        var restartedThere = Ids(standby, "started on").Concat(Ids(standby, "resumed on")).ToHashSet();
        Assert.Empty(restartedThere.Intersect(ended.Concat(inFlight)));
        // The trials in flight went on where they were: adopted with their trainers, or their ends taken.
        Assert.All(inFlight, id => Assert.Contains(standby.Lines, l => l.Line.Contains(id) && l.Line.Contains("adopted on")));
        Assert.Equal(Trials, ended.Count + inFlight.Count + restartedThere.Count);

        // The ledger: every trial once, completed, with one whole curve; the standby's exports say the same.
        using (var connection = new NpgsqlConnection(postgres.Server.ConnectionStringOf(database)))
        {
            connection.Open();
            using var trials = new NpgsqlCommand("SELECT count(*), count(DISTINCT trial_id), count(*) FILTER (WHERE status = 'completed') FROM gridsweep_trials", connection);
            using (var reader = trials.ExecuteReader())
            {
                reader.Read();
                Assert.Equal((Trials, Trials, Trials), (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2)) is var t ? ((int)t.Item1, (int)t.Item2, (int)t.Item3) : default);
            }
            using var curves = new NpgsqlCommand("SELECT trial_id, count(*), min(epoch), max(epoch) FROM gridsweep_epochs GROUP BY trial_id", connection);
            using var rows = curves.ExecuteReader();
            var seen = 0;
            while (rows.Read())
            {
                seen++;
                Assert.True((rows.GetInt64(1), rows.GetInt32(2), rows.GetInt32(3)) == (Epochs, 1, Epochs), $"trial {rows.GetString(0)}: {rows.GetInt64(1)} epochs, {rows.GetInt32(2)}..{rows.GetInt32(3)}");
            }
            Assert.Equal(Trials, seen);
        }
        var exported = RunFolder.ReadRows(Path.Combine(directory.Combine("standby"), "failover", RunFolder.TrialsFile), RunFolder.TrialColumns);
        Assert.Equal(Trials, exported.Select(r => r["trial_id"]).Distinct().Count());
        Assert.Equal(Trials, exported.Count);
        Assert.Equal(Trials * Epochs, RunFolder.ReadRows(Path.Combine(directory.Combine("standby"), "failover", RunFolder.EpochsFile), RunFolder.EpochColumns).Count);

        // InfluxDB: one curve per trial, each epoch once (an adopted attempt's epochs are written by its one trainer).
        List<InfluxRow> points = [];
        for (var wait = 0; wait < 60 && points.Count < Trials * Epochs; wait++, await Task.Delay(500))
            points = await influx.Server.SelectAsync(database, "SELECT trial_id, epoch, val_loss FROM gridsweep_epoch");
        Assert.Equal(Trials, points.Select(p => p.Tag("trial_id")).Distinct().Count());
        Assert.All(points.GroupBy(p => p.Tag("trial_id")), curve => Assert.Equal(Enumerable.Range(1, Epochs).Select(e => (long)e), curve.Select(p => p.Long("epoch")).Order()));
    }

    /// <summary>The trial ids of a coordinator's display lines that contain <paramref name="marker"/> ("[3/8] id label started on node").</summary>
    private static List<string> Ids(ChildProcess coordinator, string marker) =>
        coordinator.Lines.Select(l => l.Line).Where(l => l.Contains(marker))
            .Select(l => Regex.Match(l, @"\b([0-9a-f]{12})\b").Groups[1].Value).Distinct().ToList();
}
