using System.Net;
using System.Text.RegularExpressions;
using GridSweep.Coordinator.Results;
using GridSweep.TestKit;
using Xunit.Abstractions;

namespace GridSweep.Coordinator.Tests.Cluster;

/// <summary>
/// No zombies: a node frozen (SIGSTOP) past failure detection and downing is downed by the other members; once it runs
/// again (SIGCONT) it exits with code 3 and says why, its health endpoint stops answering ready, and the same command
/// started again (as its supervisor would) rejoins and the sweep finishes. Real processes, real training on the Boston
/// table, test failure detection (5 s, downing stable after 3 s).
/// </summary>
[Collection(nameof(ClusterSpecs))] // Real training: one such test at a time on two cores.
public sealed class DownedNodeSpecs(PostgresServerFixture postgres, ITestOutputHelper report) : IClassFixture<PostgresServerFixture>, IDisposable
{
    private const int Trials = 4;
    private const int Epochs = 150;
    private const int RemovedFromCluster = 3;
    private static readonly TimeSpan HangGuard = NodeProcess.HangGuard;
    /// <summary>Frozen this long, a node is past failure detection (5 s) and stable-after (3 s) several times over.</summary>
    private static readonly TimeSpan Frozen = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Downing stable after 10 s rather than 3 s: the resolver downs every node when a decision waits longer than
    /// stable-after and three quarters of it (Akka's down-all-when-unstable), and at a load average of 35 the standby's
    /// decision once came 7 s late, downing the standby too.
    /// </summary>
    private static readonly IReadOnlyDictionary<string, string> PatientDowning = new Dictionary<string, string>(NodeProcess.TestFailureDetection)
    {
        ["GridSweep__Cluster__DowningStableAfterSeconds"] = "10",
    };

    private readonly TempDirectory directory = new("gridsweep-downed");
    private readonly List<ChildProcess> processes = [];
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    public void Dispose()
    {
        foreach (var process in processes)
        {
            Signal("CONT", process); // A frozen process cannot be killed cleanly by every runtime; wake it first.
            process.Dispose();
        }
        directory.Dispose();
    }

    [Fact]
    public void A_trainer_downed_by_the_coordinator_exits_3_saying_why_and_restarted_rejoins_and_exits_0_when_the_sweep_is_finished()
    {
        var spec = Spec("downed-trainer");
        var port = Loopback.FreePort();
        var (trainerHealth, coordinatorHealth) = (Loopback.FreePort(), Loopback.FreePort());
        string[] trainerArguments = ["--health-port", $"{trainerHealth}"];

        // Before it has joined, a trainer's endpoint answers alive but not ready.
        var trainer = Track(Trainer("trainer-a", [port], NodeProcess.TestFailureDetection, trainerArguments));
        WaitForStatus(trainerHealth, "/alive", HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, Probe(trainerHealth, "/ready"));

        var coordinator = Track(NodeProcess.Coordinator(spec, port, directory.Combine("runs"), "--health-port", $"{coordinatorHealth}"));
        WaitForStatus(trainerHealth, "/ready", HttpStatusCode.OK);
        WaitForStatus(coordinatorHealth, "/ready", HttpStatusCode.OK);
        var trialId = coordinator.WaitFor(@"started on trainer-a", HangGuard).Line.Split(' ')[1];
        coordinator.WaitFor($@"{trialId} .* epoch 3/", HangGuard);

        Signal("STOP", trainer);
        var lost = coordinator.WaitFor(@"queued again: trainer trainer-a lost", HangGuard);
        WaitPast(lost.At + Frozen);
        Signal("CONT", trainer);
        var resumedAt = DateTime.UtcNow;

        Assert.Equal(RemovedFromCluster, trainer.WaitForExit(HangGuard));
        report.WriteLine($"the trainer exited {(DateTime.UtcNow - resumedAt).TotalSeconds:F1} s after SIGCONT: " +
            trainer.Lines.Last(l => l.Line.Contains("exiting with code")).Line);
        Assert.Matches(@"node akka\.tcp://gridsweep@127\.0\.0\.1:\d+ was downed and removed from the cluster.*; exiting with code 3", trainer.Output);
        Assert.Null(ProbeOrNull(trainerHealth, "/ready"));

        // Its supervisor starts it again: it rejoins, the sweep finishes, and it leaves with the sweep.
        var restarted = Track(Trainer("trainer-a", [port], NodeProcess.TestFailureDetection, trainerArguments));
        coordinator.WaitFor(@"(started|resumed) on trainer-a", HangGuard, after: resumedAt);
        Assert.Equal(0, coordinator.WaitForExit(HangGuard));
        Assert.Equal(0, restarted.WaitForExit(HangGuard));
        Assert.Contains("sweep downed-trainer is finished; this trainer left the cluster", restarted.Output);
        AssertEveryTrialCompletedOnce(directory.Combine("runs"), "downed-trainer");
    }

    [Fact]
    public void A_coordinator_downed_by_its_standby_exits_3_saying_why_and_restarted_resumes_from_the_ledger()
    {
        var database = "downed_" + Guid.NewGuid().ToString("N")[..8];
        postgres.Server.CreateDatabase(database);
        var password = directory.Combine("ledger-password");
        File.WriteAllText(password, postgres.Server.Password);
        string[] ledger = ["--ledger", $"postgres://{PostgresServer.User}@127.0.0.1:{postgres.Server.Port}/{database}", "--ledger-password-file", password];
        var spec = Spec("downed-coordinator");
        var (activePort, standbyPort) = (Loopback.FreePort(), Loopback.FreePort());
        var (activeHealth, standbyHealth, trainerHealth) = (Loopback.FreePort(), Loopback.FreePort(), Loopback.FreePort());
        string[] activeArguments = [.. ledger, "--health-port", $"{activeHealth}"];

        var active = Track(NodeProcess.Coordinator(PatientDowning, spec, activePort, directory.Combine("active"), activeArguments));
        active.WaitFor("coordinator at", HangGuard);
        var standby = Track(NodeProcess.Coordinator(PatientDowning, spec, standbyPort, directory.Combine("standby"), [.. ledger, "--seed-node", $"127.0.0.1:{activePort}", "--health-port", $"{standbyHealth}"]));
        var trainer = Track(Trainer("trainer-a", [activePort, standbyPort], PatientDowning, "--health-port", $"{trainerHealth}"));
        active.WaitFor(@"started on trainer-a", HangGuard);
        // Every node Up before the freeze: a standby still joining is no coordinator its side can keep.
        foreach (var health in new[] { activeHealth, standbyHealth, trainerHealth })
            WaitForStatus(health, "/ready", HttpStatusCode.OK);

        Signal("STOP", active);
        var frozenAt = DateTime.UtcNow;
        // The standby's side downs the frozen node. It takes the sweep over only once the frozen one has exited: until
        // then that process holds the ledger's claim (a PostgreSQL session), which is what fences a coordinator that lingers.
        // The resolver's decision is taken by the leader of the side that goes on: the standby or the trainer, by address.
        var downing = new Regex($@"SBR took decision .* downing \[akka\.tcp://gridsweep@127\.0\.0\.1:{activePort}\]");
        var deadline = DateTime.UtcNow + HangGuard;
        while (!new[] { standby, trainer }.Any(p => p.Lines.Any(l => downing.IsMatch(l.Line))))
        {
            Assert.True(DateTime.UtcNow < deadline, $"nobody downed the frozen coordinator within {HangGuard}:\n{standby.Output}\n{trainer.Output}");
            Thread.Sleep(250);
        }
        WaitPast(frozenAt + Frozen);
        Signal("CONT", active);
        var resumedAt = DateTime.UtcNow;

        Assert.Equal(RemovedFromCluster, active.WaitForExit(HangGuard));
        report.WriteLine($"the frozen coordinator exited {(DateTime.UtcNow - resumedAt).TotalSeconds:F1} s after SIGCONT: " +
            active.Lines.Last(l => l.Line.Contains("exiting with code")).Line);
        Assert.Matches($@"node akka\.tcp://gridsweep@127\.0\.0\.1:{activePort} was downed and removed from the cluster.*; exiting with code 3", active.Output);
        Assert.Null(ProbeOrNull(activeHealth, "/ready"));
        standby.WaitFor(@"ledger: PostgreSQL", HangGuard);

        // Started again, it joins as a standby (seed: the running coordinator) and the sweep finishes from the one ledger.
        var restarted = Track(NodeProcess.Coordinator(PatientDowning, spec, activePort, directory.Combine("active"), [.. activeArguments, "--seed-node", $"127.0.0.1:{standbyPort}"]));
        WaitForStatus(activeHealth, "/ready", HttpStatusCode.OK);
        Assert.Equal(0, standby.WaitForExit(HangGuard));
        Assert.Equal(0, trainer.WaitForExit(HangGuard));
        Assert.Contains("sweep downed-coordinator is finished", trainer.Output);
        restarted.Terminate();
        restarted.WaitForExit(HangGuard);
        AssertEveryTrialCompletedOnce(directory.Combine("standby"), "downed-coordinator");
    }

    private string Spec(string name)
    {
        var spec = directory.Combine(name + ".yaml");
        File.WriteAllText(spec, $$$"""
            name: {{{name}}}
            dataset: {name: csv, path: {{{TestData.BostonHousing}}}, target: MEDV, task: regression, validation: 0.2, split_seed: 113}
            training: {epochs: {{{Epochs}}}, batch_size: 32, optimizer: {name: adam, learning_rate: 0.001}, seeds: [1, 2]}
            grid:
              model: {wide: {hidden: [256, 256]}, small: {hidden: [16]}}
              regularizer: {none: {}}
            """);
        return spec;
    }

    /// <summary>A trainer node that loads each trial's table when it arrives (no --data: the sweep file's path holds).</summary>
    private ChildProcess Trainer(string nodeId, int[] seedPorts, IReadOnlyDictionary<string, string> failureDetection, params string[] extra) =>
        GridSweepCli.Start(nodeId, GridSweepCli.TrainerNode,
            new Dictionary<string, string>(failureDetection) { ["GridSweep__Trainer__RegisterIntervalSeconds"] = "1" },
            [
                .. seedPorts.SelectMany(p => new[] { "--seed-node", $"127.0.0.1:{p}" }), "--host", "127.0.0.1", "--port", "0",
                "--slots", "1", "--node-id", nodeId, "--dataset", "none", "--cache", directory.Combine("cache-" + nodeId), .. extra,
            ]);

    private ChildProcess Track(ChildProcess process)
    {
        processes.Add(process);
        return process;
    }

    private static void Signal(string signal, ChildProcess process)
    {
        if (process.HasExited)
            return;
        var kill = ChildProcess.Run("kill", [$"-{signal}", $"{process.Id}"], timeout: TimeSpan.FromMinutes(1));
        Assert.True(kill.ExitCode == 0 || process.HasExited, kill.Report);
    }

    private static void WaitPast(DateTime moment)
    {
        while (DateTime.UtcNow < moment)
            Thread.Sleep(200);
    }

    private static HttpStatusCode? ProbeOrNull(int port, string path)
    {
        try
        {
            return Probe(port, path);
        }
        catch (HttpRequestException)
        {
            return null; // Nothing listens: the process is gone.
        }
    }

    private static HttpStatusCode Probe(int port, string path) =>
        Http.GetAsync($"http://127.0.0.1:{port}{path}").GetAwaiter().GetResult().StatusCode;

    private static void WaitForStatus(int port, string path, HttpStatusCode expected)
    {
        var deadline = DateTime.UtcNow + HangGuard;
        HttpStatusCode? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                last = Probe(port, path);
            }
            catch (Exception error) when (error is HttpRequestException or TaskCanceledException)
            {
                last = null;
            }
            if (last == expected)
                return;
            Thread.Sleep(250);
        }
        Assert.Fail($"http://127.0.0.1:{port}{path} answered {last?.ToString() ?? "nothing"}, not {expected}, within {HangGuard}");
    }

    private static void AssertEveryTrialCompletedOnce(string output, string sweep)
    {
        var trials = RunFolder.ReadRows(Path.Combine(output, sweep, RunFolder.TrialsFile), RunFolder.TrialColumns);
        Assert.Equal(Trials, trials.Count);
        Assert.Equal(Trials, trials.Select(t => t["trial_id"]).Distinct().Count());
        Assert.All(trials, t => Assert.Equal("completed", t["status"]));
    }
}
