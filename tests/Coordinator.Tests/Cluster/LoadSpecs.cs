using System.Globalization;
using System.Text.RegularExpressions;
using GridSweep.TestKit;
using Xunit.Abstractions;

namespace GridSweep.Coordinator.Tests.Cluster;

/// <summary>
/// The cluster under full CPU load on two cores: a coordinator and two trainers with two slots each, the second
/// trainer reading the IMDB archive from scratch while the first trains the 512-512 net on both slots, then all
/// four slots training. No node may be marked unreachable or downed while they are healthy.
/// </summary>
[Collection(nameof(ClusterSpecs))] // One cluster at a time: the machine has two cores.
public sealed partial class LoadSpecs(ITestOutputHelper report) : IDisposable
{
    /// <summary>Seconds all four slots train after the second trainer joined; GRIDSWEEP_LOAD_SECONDS=600 for a long run by hand.</summary>
    private const string DurationVariable = "GRIDSWEEP_LOAD_SECONDS";

    /// <summary>A folder to keep every process's output in, for a run by hand.</summary>
    private const string LogsVariable = "GRIDSWEEP_LOAD_LOGS";

    private static readonly TimeSpan HangGuard = NodeProcess.HangGuard;

    private readonly TempDirectory directory = new("gridsweep-load");
    private readonly List<ChildProcess> processes = [];

    private static TimeSpan Duration =>
        TimeSpan.FromSeconds(Environment.GetEnvironmentVariable(DurationVariable) is { Length: > 0 } seconds
            ? double.Parse(seconds, CultureInfo.InvariantCulture)
            : 30);

    public void Dispose()
    {
        foreach (var process in processes)
            process.Dispose();
        directory.Dispose();
    }

    // What Akka 1.5 prints when it gives up on a node (marking, the split-brain resolver's decision), and what
    // GridSweep prints when a trainer loses the coordinator or the coordinator a trainer, or a node was downed.
    [GeneratedRegex(@"Marking node\(s\) as UNREACHABLE|SBR took decision|SBR is downing|auto-downing|lost the coordinator|coordinator left the cluster|was downed and removed|queued again")]
    private static partial Regex NodeLost();

    // Akka's warnings about late heartbeats, with the gap in milliseconds.
    [GeneratedRegex(@"heartbeat interval is growing too large for address \S+ (\d+) millis|Previous heartbeat was sent \[(\d+)(?:\.\d+)?\] ms ago")]
    private static partial Regex LateHeartbeat();

    [Theory]
    [InlineData("production")]
    [InlineData("test")]
    public void No_node_is_marked_unreachable_while_a_trainer_loads_data_beside_training(string failureDetection)
    {
        var environment = failureDetection == "production" ? NodeProcess.ProductionFailureDetection : NodeProcess.TestFailureDetection;
        var spec = directory.Combine("load.yaml");
        File.WriteAllText(spec, """
            name: load-study
            dataset: {name: imdb, num_words: 10000}
            training: {epochs: 100, batch_size: 512, optimizer: {name: adam, learning_rate: 0.001}, seeds: [1, 2, 3, 4, 5, 6]}
            grid:
              model: {bigger: {hidden: [512, 512]}}
              regularizer: {none: {}}
            """);
        var port = Loopback.FreePort();
        var started = DateTime.UtcNow;
        var coordinator = Track(NodeProcess.Coordinator(environment, spec, port, directory.Combine("runs")));
        var a = Track(NodeProcess.Trainer(environment, "trainer-a", port, directory.Combine("cache-a"), "--slots", "2"));
        coordinator.WaitFor(@"started on trainer-a", HangGuard);
        coordinator.WaitFor(@"\[2/6\] .* started on trainer-a", HangGuard);

        // A fresh cache: the whole pipeline (archive, tokenizer, encoding, multi-hot rows) beside two training slots.
        var b = Track(NodeProcess.Trainer(environment, "trainer-b", port, directory.Combine("cache-b"), "--slots", "2"));
        var bTrial = coordinator.WaitFor(@"started on trainer-b", HangGuard).Line.Split(' ')[1];
        var allTraining = DateTime.UtcNow;
        Thread.Sleep(Duration);
        // At least one epoch on the loaded trainer, however slow the cores are: the cluster held while it trained.
        coordinator.WaitFor($@"{bTrial} .* (epoch 1/|queued again)", HangGuard);
        var observed = DateTime.UtcNow;

        var lost = processes.SelectMany(p => p.Lines.Where(l => NodeLost().IsMatch(l.Line)).Select(l => $"{p.Name}: {l.Line}")).ToList();
        var gaps = processes.SelectMany(p => p.Lines.Select(l => LateHeartbeat().Match(l.Line)).Where(m => m.Success)
            .Select(m => (p.Name, Millis: int.Parse(m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value, CultureInfo.InvariantCulture)))).ToList();
        var epochs = coordinator.Lines.Count(l => l.Line.Contains(" epoch ") && l.Line.Contains("/100 "));
        report.WriteLine($"failure detection: {failureDetection}; trainer-b loaded its data beside training in " +
            $"{b.Lines.Select(l => Regex.Match(l.Line, @"^data: .* ready in (\S+ s)")).FirstOrDefault(m => m.Success)?.Groups[1].Value}; all four slots trained for " +
            $"{(observed - allTraining).TotalSeconds:F0} s; {epochs} epochs in {(observed - started).TotalSeconds:F0} s in all");
        report.WriteLine(gaps.Count == 0
            ? "no late-heartbeat warnings"
            : $"{gaps.Count} late-heartbeat warnings, worst {gaps.Max(g => g.Millis)} ms: " +
              string.Join(", ", gaps.GroupBy(g => g.Name).Select(g => $"{g.Key} {g.Count()} (worst {g.Max(x => x.Millis)} ms)")));
        report.WriteLine($"nodes lost: {lost.Count}");
        foreach (var line in lost)
            report.WriteLine(line);

        if (Environment.GetEnvironmentVariable(LogsVariable) is { Length: > 0 } logs)
        {
            Directory.CreateDirectory(logs);
            foreach (var process in processes)
                File.WriteAllText(Path.Combine(logs, $"{failureDetection}-{process.Name}.log"), process.Output);
        }

        Assert.True(lost.Count == 0, $"a healthy node was given up on:\n{string.Join('\n', lost)}\n\ncoordinator:\n{coordinator.Output}\n\ntrainer-a:\n{a.Output}\n\ntrainer-b:\n{b.Output}");
        Assert.False(a.HasExited || b.HasExited || coordinator.HasExited, "every node is still running");
    }

    private ChildProcess Track(ChildProcess process)
    {
        processes.Add(process);
        return process;
    }
}
