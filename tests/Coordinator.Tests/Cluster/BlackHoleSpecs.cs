using System.Globalization;
using GridSweep.Coordinator.Ledger;
using GridSweep.Coordinator.Results;
using GridSweep.TestKit;
using Xunit.Abstractions;

namespace GridSweep.Coordinator.Tests.Cluster;

/// <summary>
/// Trainer nodes with broken data, as separate processes beside a real coordinator and a healthy trainer, training the
/// real Boston housing table: one that fails every trial it takes is quarantined, one that cannot load its data at all
/// never registers.
/// </summary>
[Collection(nameof(ClusterSpecs))] // One cluster at a time: the machine has two cores.
public sealed class BlackHoleSpecs : IClassFixture<InfluxServerFixture>, IDisposable
{
    private const int Trials = 12;
    private static readonly TimeSpan HangGuard = NodeProcess.HangGuard;

    private readonly ITestOutputHelper report;
    private readonly InfluxServer influx;
    private readonly TempDirectory directory = new("gridsweep-black-hole");
    private readonly List<ChildProcess> processes = [];
    private readonly string spec;
    private readonly string output;
    private readonly string cache;
    private readonly int port = Loopback.FreePort();

    public BlackHoleSpecs(InfluxServerFixture fixture, ITestOutputHelper report)
    {
        this.report = report;
        influx = fixture.Server;
        spec = directory.Combine("black-hole.yaml");
        File.WriteAllText(spec, $"""
            name: black-hole-study
            dataset:
              name: csv
              path: "{TestData.BostonHousing}"
              target: MEDV
              task: regression
              validation: 0.2
              split_seed: 113
              standardize: true
            training:
              epochs: 40
              batch_size: 32
              optimizer: {"{"}name: adam, learning_rate: 0.001{"}"}
              seeds: [1, 2, 3, 4, 5, 6]
            grid:
              model:
                small: {"{"}hidden: [8]{"}"}
                wider: {"{"}hidden: [32, 32]{"}"}
            """);
        output = directory.Combine("runs");
        cache = directory.Combine("cache");
    }

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

    private string[] Metrics(string database, string nodeId) =>
        ["--influx-url", influx.Url, "--influx-api", "v1", "--influx-bucket", database, "--influx-spool", directory.Combine("spool-" + nodeId)];

    /// <summary>A trainer that loads no data ahead: each trial loads the sweep's table when it arrives, from <paramref name="table"/>.
    /// Standing, as the standing coordinator: a trainer that left with the finished sweep would be gone from status.</summary>
    private ChildProcess StartTrainer(string nodeId, string table, params string[] extra) =>
        Track(NodeProcess.Trainer(nodeId, port, cache, ["--dataset", "none", "--data", table, "--wait-for-next-sweep", .. extra]));

    [Fact]
    public async Task A_black_hole_trainer_beside_a_healthy_one_is_quarantined_and_every_trial_is_completed_by_the_healthy_one()
    {
        // The black hole's copy of the table was cut off mid-row (a half-synced volume): every trial it takes fails to load it.
        var broken = directory.Combine("boston_housing.csv");
        var lines = File.ReadAllLines(TestData.BostonHousing);
        File.WriteAllLines(broken, [.. lines.Take(200), lines[200][..12]]);
        var database = $"q_{Guid.NewGuid():N}"[..14];
        await influx.CreateDatabaseAsync(database);

        var coordinator = Track(NodeProcess.Coordinator(spec, port, output,
            ["--stay", "--quarantine-seconds", "3600", .. Metrics(database, "coordinator")]));
        StartTrainer("healthy", TestData.BostonHousing, Metrics(database, "healthy"));
        coordinator.WaitFor(@"started on healthy", HangGuard);
        StartTrainer("black-hole", broken, Metrics(database, "black-hole"));

        var quarantined = coordinator.WaitFor(@"trainer black-hole is quarantined for 60 min: failed 3 trials in a row while other nodes completed trials", HangGuard);
        Assert.Contains("line 201", quarantined.Line);
        coordinator.WaitFor(@"still answering", HangGuard);

        var status = GridSweepCli.Run("status", "--host", "127.0.0.1", "--port", $"{port}");
        Assert.True(status.ExitCode == 0, status.All);
        report.WriteLine(status.Output);
        // Lines longer than the console are folded at spaces: they are read with the folds taken out.
        var unfolded = string.Join(' ', status.Output.Split('\n').Select(l => l.Trim()));
        Assert.Contains($"sweep black-hole-study: {Trials} trials, 0 queued, 0 running, {Trials} completed, 0 diverged, 0 failed", unfolded);
        Assert.Matches(@"black-hole\s+cpu\s+1\s+0\s+0\s+3\s+quarantined", status.Output);
        Assert.Matches(@$"healthy\s+cpu\s+1\s+0\s+{Trials}\s+0\s+ok", status.Output);
        Assert.Matches(@"black-hole quarantined until \d\d:\d\d:\d\d UTC: failed 3 trials in a row while other nodes completed trials", unfolded);

        coordinator.Terminate();
        Assert.Equal(0, coordinator.WaitForExit(HangGuard));

        // Every trial completed once, by the healthy node, with no failure charged to it.
        var folder = Path.Combine(output, "black-hole-study");
        var trials = RunFolder.ReadRows(Path.Combine(folder, RunFolder.TrialsFile), RunFolder.TrialColumns);
        Assert.Equal(Trials, trials.Select(t => t["trial_id"]).Distinct().Count());
        Assert.All(trials, t => Assert.Equal(("completed", ""), (t["status"], t["error"])));
        using var ledger = LedgerDatabase.Sqlite(Path.Combine(folder, RunFolder.LedgerFile)).Connect();
        var lastAttempts = Query(ledger, "SELECT a.trial_id, a.node_id FROM gridsweep_attempts a WHERE a.attempt = " +
            "(SELECT MAX(b.attempt) FROM gridsweep_attempts b WHERE b.sweep = a.sweep AND b.trial_id = a.trial_id)");
        Assert.Equal(Trials, lastAttempts.Count);
        Assert.All(lastAttempts, a => Assert.Equal("healthy", a[1]));
        var failures = Query(ledger, "SELECT trial_id, attempt, node_id, excused FROM gridsweep_failures");
        Assert.True(failures.Count >= 3, $"{failures.Count} failures recorded");
        Assert.All(failures, f => Assert.Equal(("black-hole", "1"), (f[2], f[3])));

        // The node's standing in gridsweep_node, beside its heartbeats.
        List<InfluxRow> standing = [];
        for (var wait = 0; wait < 60 && standing.Count == 0; wait++, await Task.Delay(500))
            standing = await influx.SelectAsync(database, "SELECT last(\"quarantined\") AS quarantined, last(\"standing\") AS standing, " +
                "last(\"quarantine_reason\") AS reason, last(\"quarantine_seconds\") AS seconds FROM gridsweep_node WHERE \"node\" = 'black-hole'");
        var row = Assert.Single(standing);
        Assert.Equal((1L, "quarantined", 3600.0), (row.Long("quarantined"), row.String("standing"), row.Double("seconds")));
        Assert.Contains("failed 3 trials in a row", row.String("reason"));
        var heartbeats = await influx.SelectAsync(database, "SELECT last(\"slots\") AS slots FROM gridsweep_node WHERE \"node\" = 'black-hole'");
        Assert.Equal(1L, Assert.Single(heartbeats).Long("slots"));
    }

    [Fact]
    public void A_trainer_that_cannot_load_its_data_says_why_exits_2_and_never_registers()
    {
        var archive = directory.Combine("aclImdb_v1.tar.gz");
        File.WriteAllText(archive, "not an archive: the download was an error page\n");
        var coordinator = Track(NodeProcess.Coordinator(spec, port, output, "--stay"));
        StartTrainer("healthy", TestData.BostonHousing);
        coordinator.WaitFor(@"trainer healthy joined", HangGuard);

        // Told to prepare IMDB from a file that is no archive.
        var broken = Track(NodeProcess.Trainer("broken", port, cache, "--data", archive));

        Assert.Equal(2, broken.WaitForExit(HangGuard));
        Assert.Contains($"--data (setting GridSweep:Trainer:Data, environment GridSweep__Trainer__Data): IMDB data '{archive}': is not a gzip file", broken.Output);
        var status = GridSweepCli.Run("status", "--host", "127.0.0.1", "--port", $"{port}");
        Assert.True(status.ExitCode == 0, status.All);
        Assert.Contains("healthy", status.Output);
        Assert.DoesNotContain("broken", status.Output);
        Assert.DoesNotContain("trainer broken joined", coordinator.Output);
    }

    private static List<string[]> Query(System.Data.Common.DbConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<string[]>();
        while (reader.Read())
            rows.Add(Enumerable.Range(0, reader.FieldCount).Select(i => Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture)!).ToArray());
        return rows;
    }
}
