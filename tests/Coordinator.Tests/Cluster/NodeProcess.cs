using GridSweep.TestKit;

namespace GridSweep.Coordinator.Tests.Cluster;

/// <summary>
/// Real GridSweep processes (coordinator, trainer node, any <c>gridsweep</c> command) on loopback, running in the
/// background as <see cref="ChildProcess"/>es: output kept line by line, killed by process id on dispose.
/// </summary>
internal static class NodeProcess
{
    /// <summary>Short failure detection, for tests only: a killed node is noticed in seconds, not a minute.</summary>
    private static readonly Dictionary<string, string> FastCluster = new()
    {
        ["GridSweep__Cluster__FailureDetectionSeconds"] = "2",
        ["GridSweep__Cluster__DowningStableAfterSeconds"] = "2",
        ["GridSweep__Trainer__RegisterIntervalSeconds"] = "1",
    };

    public static ChildProcess Coordinator(string spec, int port, string output, params string[] extra) =>
        GridSweepCli.Start("coordinator", GridSweepCli.Full, FastCluster,
            ["coordinator", spec, "--host", "127.0.0.1", "--port", $"{port}", "--out", output, "--plain", .. extra]);

    public static ChildProcess Trainer(string nodeId, int coordinatorPort, string cache, params string[] extra) =>
        GridSweepCli.Start(nodeId, GridSweepCli.TrainerNode, FastCluster,
        [
            "--seed-node", $"akka.tcp://gridsweep@127.0.0.1:{coordinatorPort}", "--host", "127.0.0.1", "--port", "0",
            "--slots", "1", "--node-id", nodeId, "--data", TestData.ImdbArchive, "--word-index", TestData.KerasWordIndex,
            "--cache", cache, .. extra,
        ]);

    /// <summary>Any <c>gridsweep</c> command, running in the background.</summary>
    public static ChildProcess Cli(string name, params string[] arguments) => GridSweepCli.Start(name, GridSweepCli.Full, FastCluster, arguments);
}
