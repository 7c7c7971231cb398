using GridSweep.Coordinator.Results;
using GridSweep.TestKit;
using Xunit.Abstractions;

namespace GridSweep.Coordinator.Tests.Cluster;

/// <summary>
/// A coordinator and trainer nodes as separate processes on loopback, with real Akka remoting, the real
/// IMDB data and real training; nodes are killed for real. Every test ends by checking the ledger: each
/// trial completed exactly once with exactly one full curve.
/// </summary>
[Collection(nameof(ClusterSpecs))] // One cluster at a time: the machine has two cores.
public sealed class ClusterSpecs : IClassFixture<InfluxServerFixture>, IDisposable
{
    private const int Epochs = 12;
    private static readonly TimeSpan HangGuard = NodeProcess.HangGuard;

    private readonly ITestOutputHelper report;

    private readonly TempDirectory directory = new("gridsweep-cluster");
    private readonly List<ChildProcess> processes = [];
    private readonly string spec;
    private readonly string output;
    private readonly string cache;
    private readonly int port = Loopback.FreePort();

    private readonly InfluxServer influx;

    public ClusterSpecs(InfluxServerFixture fixture, ITestOutputHelper report)
    {
        this.report = report;
        influx = fixture.Server;
        spec = directory.Combine("cluster.yaml");
        File.WriteAllText(spec, $"""
            name: cluster-study
            dataset: {"{"}name: imdb, num_words: 10000{"}"}
            training:
              epochs: {Epochs}
              batch_size: 512
              optimizer: {"{"}name: adam, learning_rate: 0.001{"}"}
              seeds: [1]
            grid:
              model:
                baseline: {"{"}hidden: [16, 16]{"}"}
                smaller:  {"{"}hidden: [4, 4]{"}"}
              regularizer:
                none:    {"{"}{"}"}
                l2:      {"{"}l2: 0.001{"}"}
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

    private ChildProcess StartCoordinator(params string[] extra) => Track(NodeProcess.Coordinator(spec, port, output,
        ["--data", TestData.ImdbArchive, "--word-index", TestData.KerasWordIndex, "--cache", cache, .. extra]));

    private ChildProcess StartTrainer(string nodeId, params string[] extra) => Track(NodeProcess.Trainer(nodeId, port, cache, extra));

    private string[] Metrics(string database, string nodeId) =>
        ["--influx-url", influx.Url, "--influx-api", "v1", "--influx-bucket", database, "--influx-spool", directory.Combine("spool-" + nodeId)];

    private ChildProcess Track(ChildProcess process)
    {
        processes.Add(process);
        return process;
    }

    [Fact]
    public async Task A_trainer_killed_mid_trial_loses_nothing_and_its_trial_runs_elsewhere_leaving_one_curve_in_influxdb()
    {
        var database = $"c_{Guid.NewGuid():N}"[..14];
        await influx.CreateDatabaseAsync(database);
        var coordinator = StartCoordinator();
        var a = StartTrainer("trainer-a", Metrics(database, "trainer-a"));
        StartTrainer("trainer-b", Metrics(database, "trainer-b"));
        var started = coordinator.WaitFor(@"started on trainer-a", HangGuard).Line;
        var trialId = started.Split(' ')[1];
        coordinator.WaitFor($@"{trialId} .* epoch 2/", HangGuard);

        a.KillHard();
        var killedAt = DateTime.UtcNow;
        coordinator.WaitFor($@"{trialId} .* queued again: trainer trainer-a lost", HangGuard);
        var restarted = coordinator.WaitFor($@"{trialId} .* started on trainer-b", HangGuard);

        Assert.Equal(0, coordinator.WaitForExit(HangGuard));
        AssertEveryTrialCompletedExactlyOnce();
        report.WriteLine($"trial {trialId} ran elsewhere {(restarted.At - killedAt).TotalSeconds:F1} s after its trainer was killed");

        // InfluxDB: the abandoned attempt's epochs were overwritten by the new attempt's, never doubled.
        var csv = RunFolder.ReadRows(Path.Combine(output, "cluster-study", RunFolder.EpochsFile), RunFolder.EpochColumns);
        List<InfluxRow> points = [];
        for (var wait = 0; wait < 60 && points.Count < 4 * Epochs; wait++, await Task.Delay(500))
            points = await influx.SelectAsync(database, "SELECT trial_id, epoch, val_loss FROM gridsweep_epoch");
        Assert.Equal(4 * Epochs, points.Count);
        foreach (var trial in points.GroupBy(p => p.Tag("trial_id")))
        {
            Assert.Equal(Enumerable.Range(1, Epochs).Select(e => (long)e), trial.Select(p => p.Long("epoch")).Order());
            var expected = csv.Where(r => r["trial_id"] == trial.Key).ToDictionary(r => long.Parse(r["epoch"]), r => CsvFormat.ParseNumber(r["val_loss"]));
            Assert.All(trial, p => Assert.Equal(expected[p.Long("epoch")], p.Double("val_loss"), 6));
        }
    }

    [Fact]
    public void A_coordinator_killed_mid_sweep_resumes_without_rerunning_completed_trials()
    {
        var coordinator = StartCoordinator();
        var trainer = StartTrainer("trainer-a");
        coordinator.WaitFor(@"completed: best epoch", HangGuard);
        coordinator.WaitFor(@"\[2/4\] .* epoch 2/", HangGuard);
        coordinator.KillHard();
        coordinator.WaitForExit(HangGuard);
        var completedBefore = Completed();
        Assert.NotEmpty(completedBefore);
        // Cut off from every coordinator, the trainer's side downs it: it exits 3 for its supervisor, here the test, to start it again.
        Assert.Equal(3, trainer.WaitForExit(HangGuard));
        StartTrainer("trainer-a");

        var restarted = StartCoordinator();
        var restartedAt = DateTime.UtcNow;
        // The trial in flight goes on from the trainer's checkpoint of it (taken after epoch 2 or later).
        restarted.WaitFor(@"\[\d/4\] .* resumed on trainer-a from its checkpoint after epoch ([2-9]|1[0-2])/12", HangGuard);
        Assert.Equal(0, restarted.WaitForExit(HangGuard));
        report.WriteLine($"the restarted coordinator finished the remaining trials in {(DateTime.UtcNow - restartedAt).TotalSeconds:F1} s");

        foreach (var id in completedBefore)
            Assert.DoesNotContain($"{id} ", string.Join('\n', restarted.Lines.Where(l => l.Line.Contains("started on")).Select(l => l.Line)));
        Assert.Contains($"{completedBefore.Count} already done", restarted.Output);
        AssertEveryTrialCompletedExactlyOnce();
    }

    [Fact]
    public void A_trainer_stopped_with_sigterm_hands_its_trial_back_and_leaves()
    {
        var coordinator = StartCoordinator();
        var a = StartTrainer("trainer-a");
        StartTrainer("trainer-b");
        var trialId = coordinator.WaitFor(@"started on trainer-a", HangGuard).Line.Split(' ')[1];
        coordinator.WaitFor($@"{trialId} .* epoch 2/", HangGuard);

        a.Terminate();
        var terminatedAt = DateTime.UtcNow;

        var handedBack = coordinator.WaitFor($@"{trialId} .* queued again: handed back by a leaving trainer", HangGuard);
        // Leaving gracefully takes the cluster's leave and exit phases; on two loaded cores that can be tens of seconds.
        Assert.Equal(0, a.WaitForExit(HangGuard));
        report.WriteLine($"trial handed back {(handedBack.At - terminatedAt).TotalSeconds:F1} s after SIGTERM; " +
            $"the trainer exited {(DateTime.UtcNow - terminatedAt).TotalSeconds:F1} s after it");
        Assert.Equal(0, coordinator.WaitForExit(HangGuard));
        AssertEveryTrialCompletedExactlyOnce();
    }

    [Fact]
    public void A_trainer_that_starts_first_and_one_that_joins_mid_sweep_both_get_work()
    {
        StartTrainer("trainer-early");
        Thread.Sleep(TimeSpan.FromSeconds(3));
        var coordinator = StartCoordinator();
        coordinator.WaitFor(@"started on trainer-early", HangGuard);
        coordinator.WaitFor(@"completed: best epoch", HangGuard);
        StartTrainer("trainer-late");
        coordinator.WaitFor(@"started on trainer-late", HangGuard);

        // The late trainer's first trial takes seconds: the coordinator is still there to answer.
        var status = GridSweepCli.Run("status", "--host", "127.0.0.1", "--port", $"{port}");
        Assert.True(status.ExitCode == 0, status.All);
        Assert.Contains("sweep cluster-study: 4 trials", status.Output);
        Assert.Contains("trainer-early", status.Output);
        Assert.Contains("trainer-late", status.Output);

        Assert.Equal(0, coordinator.WaitForExit(HangGuard));
        AssertEveryTrialCompletedExactlyOnce();
    }

    [Fact]
    public void A_coordinator_with_stay_keeps_answering_status_after_the_sweep_until_sigterm()
    {
        var coordinator = StartCoordinator("--slots", "1", "--stay");
        coordinator.WaitFor(@"still answering", HangGuard);

        var status = GridSweepCli.Run("status", "--host", "127.0.0.1", "--port", $"{port}");

        Assert.True(status.ExitCode == 0, status.All);
        Assert.Contains("4 trials, 0 queued, 0 running, 4 completed", status.Output);
        Assert.False(coordinator.HasExited);
        coordinator.Terminate();
        Assert.Equal(0, coordinator.WaitForExit(HangGuard));
        AssertEveryTrialCompletedExactlyOnce();
    }

    private HashSet<string> Completed() =>
        RunFolder.ReadRows(Path.Combine(output, "cluster-study", RunFolder.TrialsFile), RunFolder.TrialColumns)
            .Where(r => r["status"] == "completed").Select(r => r["trial_id"]).ToHashSet();

    private void AssertEveryTrialCompletedExactlyOnce()
    {
        var folder = Path.Combine(output, "cluster-study");
        var trials = RunFolder.ReadRows(Path.Combine(folder, RunFolder.TrialsFile), RunFolder.TrialColumns);
        Assert.Equal(4, trials.Count);
        Assert.Equal(4, trials.Select(t => t["trial_id"]).Distinct().Count());
        Assert.All(trials, t => Assert.Equal("completed", t["status"]));
        var epochs = RunFolder.ReadRows(Path.Combine(folder, RunFolder.EpochsFile), RunFolder.EpochColumns);
        foreach (var trial in trials)
        {
            var curve = epochs.Where(e => e["trial_id"] == trial["trial_id"]).Select(e => int.Parse(e["epoch"])).ToList();
            Assert.Equal(Enumerable.Range(1, Epochs), curve);
        }
    }
}
