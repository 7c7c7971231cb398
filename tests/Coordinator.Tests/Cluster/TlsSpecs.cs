using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Event;
using GridSweep.Coordinator.Results;
using GridSweep.Messages.Protocol;
using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;
using GridSweep.Runtime.Cluster;
using GridSweep.Runtime.Configuration;
using GridSweep.TestKit;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace GridSweep.Coordinator.Tests.Cluster;

/// <summary>
/// Mutual TLS between real processes on loopback: members with certificates from the cluster's CA (made by
/// <c>gridsweep certs</c>) run a sweep on the Boston table, while rogue trainer nodes that know the coordinator's
/// address (one without TLS, one with a certificate from another CA that trusts the cluster's CA) try to join,
/// register and send results, and never get past the handshake.
/// </summary>
[Collection(nameof(ClusterSpecs))] // Real training: one cluster at a time on two cores.
public sealed class TlsSpecs(ITestOutputHelper report) : IDisposable
{
    private const int Epochs = 5;
    private static readonly TimeSpan HangGuard = NodeProcess.HangGuard;

    private readonly TempDirectory directory = new("gridsweep-tls");
    private readonly List<ChildProcess> processes = [];
    private readonly int port = Loopback.FreePort();

    public void Dispose()
    {
        foreach (var process in processes)
            process.Dispose();
        directory.Dispose();
    }

    [Fact]
    public void Members_with_the_clusters_certificates_run_a_sweep_and_rogue_peers_that_know_the_address_fail_at_the_handshake()
    {
        var certs = directory.Combine("certs");
        var other = directory.Combine("other-ca");
        var made = GridSweepCli.Run("certs", "--out", certs, "--node", "coordinator", "--node", "trainer-a", "--san", "127.0.0.1", "--san", "localhost");
        Assert.True(made.ExitCode == 0, made.Report);
        var rogueMade = GridSweepCli.Run("certs", "--out", other, "--node", "rogue");
        Assert.True(rogueMade.ExitCode == 0, rogueMade.Report);
        // The rogue knows the cluster's CA certificate (it is no secret) and trusts it beside its own CA: the refusal is the coordinator's.
        var rogueTrust = directory.Combine("rogue-trust.pem");
        File.WriteAllText(rogueTrust, File.ReadAllText(Path.Combine(other, "ca.crt")) + File.ReadAllText(Path.Combine(certs, "ca.crt")));

        var spec = directory.Combine("tls.yaml");
        File.WriteAllText(spec, $$$"""
            name: tls-study
            dataset: {name: csv, path: {{{TestData.BostonHousing}}}, target: MEDV, task: regression, validation: 0.2, split_seed: 113}
            training: {epochs: {{{Epochs}}}, batch_size: 32, optimizer: {name: adam, learning_rate: 0.001}, seeds: [1]}
            grid:
              model: {small: {hidden: [8]}, wide: {hidden: [32, 32]}}
              regularizer: {none: {}}
            """);
        var output = directory.Combine("runs");

        var coordinator = Track(GridSweepCli.Start("coordinator", GridSweepCli.Full, NodeProcess.TestFailureDetection,
            ["coordinator", spec, "--host", "127.0.0.1", "--port", $"{port}", "--out", output, "--plain",
            .. Tls(certs, "coordinator", Path.Combine(certs, "ca.crt"))]));
        coordinator.WaitFor($@"coordinator at akka\.ssl\.tcp://gridsweep@127\.0\.0\.1:{port} \(mutual TLS\)", HangGuard);

        var plainRogue = Track(Trainer("rogue-plain"));
        var otherCaRogue = Track(Trainer("rogue-other-ca", Tls(other, "rogue", rogueTrust)));
        // Each rogue tries again and again; a failed handshake shows in its own log and, for the certificate, in the coordinator's.
        var plainFailure = plainRogue.WaitFor($@"Association failed with akka\.tcp://gridsweep@127\.0\.0\.1:{port}", HangGuard);
        var otherCaFailure = otherCaRogue.WaitFor($@"Association failed with akka\.ssl\.tcp://gridsweep@127\.0\.0\.1:{port}|TLS handshake failed", HangGuard);
        var refused = coordinator.WaitFor(@"TLS: refused .*CN=rogue", HangGuard);
        report.WriteLine($"rogue without TLS: {plainFailure.Line}");
        report.WriteLine($"rogue from another CA: {otherCaFailure.Line}");
        report.WriteLine($"coordinator: {refused.Line}");

        // A rogue that skips joining: it registers and sends a forged result for every trial straight to the coordinator's actors.
        var trialIds = SweepGrid.Expand(SweepSpecParser.Load(spec)).Select(t => t.Id).ToList();
        foreach (var (name, tls) in new[] { ("rogue-direct-plain", (TlsSettings?)null), ("rogue-direct-other-ca", RogueTls(other, rogueTrust)) })
        {
            using var rogue = new RogueClient(name, tls);
            var failure = rogue.ForgeResults($"127.0.0.1:{port}", trialIds, HangGuard);
            report.WriteLine($"{name}: {failure}");
        }

        var trainer = Track(Trainer("trainer-a", Tls(certs, "trainer-a", Path.Combine(certs, "ca.crt"))));
        Assert.True(coordinator.WaitForExit(HangGuard) == 0, coordinator.Output);

        // Only the member trained: every trial completed, every attempt in the ledger is trainer-a's.
        var folder = Path.Combine(output, "tls-study");
        var trials = RunFolder.ReadRows(Path.Combine(folder, RunFolder.TrialsFile), RunFolder.TrialColumns);
        Assert.Equal(2, trials.Count);
        Assert.All(trials, t => Assert.Equal("completed", t["status"]));
        Assert.Equal(2 * Epochs, RunFolder.ReadRows(Path.Combine(folder, RunFolder.EpochsFile), RunFolder.EpochColumns).Count);
        Assert.Equal(["trainer-a"], AttemptNodes(folder));
        Assert.DoesNotMatch(@"trainer rogue|on rogue|rogue-\S* (joined|completed)", coordinator.Output);
        Assert.Contains("trainer trainer-a joined", coordinator.Output, StringComparison.Ordinal);
        foreach (var rogue in new[] { plainRogue, otherCaRogue })
        {
            // A member finds the coordinator's singleton and is welcomed by the seed; a rogue does neither.
            Assert.DoesNotMatch(@"Singleton identified|Welcome from", rogue.Output);
            Assert.False(rogue.HasExited, $"{rogue.Name} should still be trying:\n{rogue.Output}");
        }
        Assert.Contains("Singleton identified", trainer.Output, StringComparison.Ordinal);
    }

    private static TlsSettings RogueTls(string folder, string trust) => TlsSettings.ForClient(new TlsOptions
    {
        Certificate = Path.Combine(folder, "rogue.crt"),
        Key = Path.Combine(folder, "rogue.key"),
        Ca = trust,
    })!;

    private static string[] Tls(string folder, string node, string ca) =>
        ["--tls-certificate", Path.Combine(folder, node + ".crt"), "--tls-key", Path.Combine(folder, node + ".key"), "--tls-ca", ca];

    private ChildProcess Trainer(string nodeId, params string[] extra) =>
        GridSweepCli.Start(nodeId, GridSweepCli.TrainerNode, new Dictionary<string, string>(NodeProcess.TestFailureDetection) { ["GridSweep__Trainer__RegisterIntervalSeconds"] = "1" },
        [
            "--seed-node", $"127.0.0.1:{port}", "--host", "127.0.0.1", "--port", "0", "--slots", "1", "--node-id", nodeId,
            "--dataset", "none", "--cache", directory.Combine("cache-" + nodeId), .. extra,
        ]);

    private static IReadOnlyList<string> AttemptNodes(string folder)
    {
        using var ledger = new SqliteConnection($"Data Source={Path.Combine(folder, RunFolder.LedgerFile)};Mode=ReadOnly;Pooling=False");
        ledger.Open();
        using var query = ledger.CreateCommand();
        query.CommandText = "SELECT DISTINCT node_id FROM gridsweep_attempts ORDER BY node_id";
        var nodes = new List<string>();
        using var reader = query.ExecuteReader();
        while (reader.Read())
            nodes.Add(reader.GetString(0));
        return nodes;
    }

    private ChildProcess Track(ChildProcess process)
    {
        processes.Add(process);
        return process;
    }
}

/// <summary>
/// A remoting client in this process that knows the protocol and the coordinator's address but is no member: it
/// sends <see cref="RegisterTrainer"/> and a forged <see cref="TrialCompleted"/> per trial to the coordinator's actor,
/// and keeps its own log of warnings and errors, where a refused association shows.
/// </summary>
internal sealed class RogueClient : IDisposable
{
    private readonly ActorSystem system;
    private readonly ConcurrentQueue<string> log = new();
    private readonly string name;
    private readonly string scheme;

    public RogueClient(string name, TlsSettings? tls)
    {
        this.name = name;
        scheme = RemotingClient.Scheme(tls);
        var setup = RemotingClient.Setup(tls, "WARNING", stdoutLogLevel: "OFF");
        system = ActorSystem.Create(name, setup);
        var listener = system.ActorOf(Props.Create(() => new LogListener(log)));
        system.EventStream.Subscribe(listener, typeof(Warning));
        system.EventStream.Subscribe(listener, typeof(Error));
    }

    /// <summary>Sends its registration and forged results until its log shows the association failing; returns that line.</summary>
    public string ForgeResults(string hostPort, IReadOnlyList<string> trialIds, TimeSpan timeout)
    {
        var coordinator = system.ActorSelection($"{scheme}://{ClusterNames.System}@{hostPort}/user/{ClusterNames.Coordinator}/{ClusterNames.Coordinator}");
        var forged = new TrialSummary(TrialStatus.Completed, 1, 0.001, 0.001, 0, double.NaN, 1);
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            coordinator.Tell(new RegisterTrainer(name, 1, "cpu"));
            foreach (var id in trialIds)
                coordinator.Tell(new TrialCompleted(id, 1, name, forged, [new EpochMetrics(1, 0.001, 0, 0.001, double.NaN, double.NaN, 1)]));
            Thread.Sleep(TimeSpan.FromSeconds(1));
            if (log.FirstOrDefault(l => l.Contains("Association failed", StringComparison.Ordinal) || l.Contains("gated", StringComparison.Ordinal)) is { } failure)
                return failure;
        }
        throw new TimeoutException($"{name}: no association failure logged within {timeout}:\n{string.Join('\n', log)}");
    }

    public void Dispose() => system.Terminate().Wait(TimeSpan.FromSeconds(30));

    private sealed class LogListener : ReceiveActor
    {
        public LogListener(ConcurrentQueue<string> log) => Receive<LogEvent>(e => log.Enqueue($"{e.LogLevel()} {e.LogSource}: {e.Message}"));
    }
}
