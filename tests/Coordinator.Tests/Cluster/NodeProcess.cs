using GridSweep.TestKit;

namespace GridSweep.Coordinator.Tests.Cluster;

/// <summary>
/// Real GridSweep processes (coordinator, trainer node, any <c>gridsweep</c> command) on loopback, running in the
/// background as <see cref="ChildProcess"/>es: output kept line by line, killed by process id on dispose.
/// </summary>
internal static class NodeProcess
{
    /// <summary>
    /// How long a test waits for real training or a cluster step before calling it a hang. Not a deadline: on two
    /// loaded cores a step that takes seconds alone can take minutes, so tests report how long things took instead.
    /// </summary>
    public static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Shorter failure detection, for tests only: a killed node is noticed in seconds, not half a minute. 5 s is
    /// about 3x the worst heartbeat gap LoadSpecs measured on two loaded cores (1.7 s); 2 s downed a healthy
    /// coordinator once when other builds loaded the machine to a load average of 13.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> TestFailureDetection = new Dictionary<string, string>
    {
        ["GridSweep__Cluster__FailureDetectionSeconds"] = "5",
        ["GridSweep__Cluster__DowningStableAfterSeconds"] = "3",
    };

    /// <summary>The defaults of <c>ClusterNodeOptions</c>, as a node in production runs.</summary>
    public static readonly IReadOnlyDictionary<string, string> ProductionFailureDetection = new Dictionary<string, string>();

    public static ChildProcess Coordinator(string spec, int port, string output, params string[] extra) =>
        Coordinator(TestFailureDetection, spec, port, output, extra);

    public static ChildProcess Coordinator(IReadOnlyDictionary<string, string> failureDetection, string spec, int port, string output, params string[] extra) =>
        GridSweepCli.Start("coordinator", GridSweepCli.Full, Environment(failureDetection),
            ["coordinator", spec, "--host", "127.0.0.1", "--port", $"{port}", "--out", output, "--plain", .. extra]);

    /// <remarks>Later options win, so <paramref name="extra"/> may override <c>--slots 1</c>.</remarks>
    public static ChildProcess Trainer(string nodeId, int coordinatorPort, string cache, params string[] extra) =>
        Trainer(TestFailureDetection, nodeId, coordinatorPort, cache, extra);

    public static ChildProcess Trainer(IReadOnlyDictionary<string, string> failureDetection, string nodeId, int coordinatorPort, string cache, params string[] extra) =>
        GridSweepCli.Start(nodeId, GridSweepCli.TrainerNode, Environment(failureDetection),
        [
            "--seed-node", $"127.0.0.1:{coordinatorPort}", "--host", "127.0.0.1", "--port", "0",
            "--slots", "1", "--node-id", nodeId, "--data", TestData.ImdbArchive, "--word-index", TestData.KerasWordIndex,
            "--cache", cache, .. extra,
        ]);

    /// <summary>Any <c>gridsweep</c> command, running in the background.</summary>
    public static ChildProcess Cli(string name, params string[] arguments) =>
        GridSweepCli.Start(name, GridSweepCli.Full, Environment(TestFailureDetection), arguments);

    private static Dictionary<string, string> Environment(IReadOnlyDictionary<string, string> failureDetection) =>
        new(failureDetection) { ["GridSweep__Trainer__RegisterIntervalSeconds"] = "1" };
}
