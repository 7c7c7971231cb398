using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using GridSweep.TestKit;

namespace GridSweep.Coordinator.Tests.Cluster;

/// <summary>
/// A real GridSweep process (coordinator or trainer node) on loopback, with its output kept line by line so a
/// test can wait for what it prints. Killed by process id on dispose.
/// </summary>
internal sealed class NodeProcess : IDisposable
{
    /// <summary>
    /// How long a test waits for real training or a cluster step before calling it a hang. Not a deadline: on two
    /// loaded cores a step that takes seconds alone can take minutes, so tests report how long things took instead.
    /// </summary>
    public static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(15);

    private readonly Process process;
    private readonly ConcurrentQueue<(DateTime At, string Line)> lines = new();
    private readonly StringBuilder log = new();

    /// <summary>Short failure detection, for tests only: a killed node is noticed in seconds, not half a minute.</summary>
    public static readonly IReadOnlyDictionary<string, string?> TestFailureDetection = new Dictionary<string, string?>
    {
        ["GridSweep__Cluster__FailureDetectionSeconds"] = "2",
        ["GridSweep__Cluster__DowningStableAfterSeconds"] = "2",
    };

    /// <summary>The defaults of <c>ClusterSettings</c>, as a node in production runs.</summary>
    public static readonly IReadOnlyDictionary<string, string?> ProductionFailureDetection = new Dictionary<string, string?>
    {
        ["GridSweep__Cluster__FailureDetectionSeconds"] = null,
        ["GridSweep__Cluster__DowningStableAfterSeconds"] = null,
    };

    private NodeProcess(string name, string assembly, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null)
    {
        Name = name;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, assembly));
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        foreach (var (variable, value) in environment ?? TestFailureDetection)
        {
            if (value is null)
                start.Environment.Remove(variable);
            else
                start.Environment[variable] = value;
        }
        start.Environment["GridSweep__Trainer__RegisterIntervalSeconds"] = "1";
        start.Environment["NO_COLOR"] = "1";
        process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Name { get; }
    public int Id => process.Id;
    public bool HasExited => process.HasExited;
    public int ExitCode => process.ExitCode;

    public string Output
    {
        get { lock (log) return log.ToString(); }
    }

    public IEnumerable<(DateTime At, string Line)> Lines => lines;

    public static NodeProcess Coordinator(string spec, int port, string output, params string[] extra) =>
        Coordinator(TestFailureDetection, spec, port, output, extra);

    public static NodeProcess Coordinator(IReadOnlyDictionary<string, string?> environment, string spec, int port, string output, params string[] extra) =>
        new("coordinator", "gridsweep.dll",
            ["coordinator", spec, "--host", "127.0.0.1", "--port", $"{port}", "--out", output, "--plain", .. extra], environment);

    /// <remarks>Later options win, so <paramref name="extra"/> may override <c>--slots 1</c>.</remarks>
    public static NodeProcess Trainer(string nodeId, int coordinatorPort, string cache, params string[] extra) =>
        Trainer(TestFailureDetection, nodeId, coordinatorPort, cache, extra);

    public static NodeProcess Trainer(IReadOnlyDictionary<string, string?> environment, string nodeId, int coordinatorPort, string cache, params string[] extra) =>
        new(nodeId, "GridSweep.TrainerNode.dll",
        [
            "--seed-node", $"akka.tcp://gridsweep@127.0.0.1:{coordinatorPort}", "--host", "127.0.0.1", "--port", "0",
            "--slots", "1", "--node-id", nodeId, "--data", TestData.ImdbArchive, "--word-index", TestData.KerasWordIndex,
            "--cache", cache, .. extra,
        ], environment);

    /// <summary>Any <c>gridsweep</c> command, running in the background.</summary>
    public static NodeProcess Cli(string name, params string[] arguments) => new(name, "gridsweep.dll", arguments);

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Waits for a line matching the pattern and returns it with its time.</summary>
    public (DateTime At, string Line) WaitFor(string pattern, TimeSpan timeout)
    {
        var regex = new Regex(pattern);
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            foreach (var entry in lines)
                if (regex.IsMatch(entry.Line))
                    return entry;
            if (process.HasExited)
                break;
            Thread.Sleep(50);
        }
        throw new TimeoutException($"{Name} printed no line matching /{pattern}/ within {timeout.TotalSeconds} s " +
            $"(exited: {process.HasExited}). Output:\n{Output}");
    }

    public int WaitForExit(TimeSpan timeout)
    {
        if (!process.WaitForExit(timeout))
            throw new TimeoutException($"{Name} did not exit within {timeout.TotalSeconds} s. Output:\n{Output}");
        process.WaitForExit(); // Drains the asynchronous output readers.
        return process.ExitCode;
    }

    public void KillHard() => process.Kill(entireProcessTree: true);

    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", $"{process.Id}"]);
        kill.WaitForExit();
    }

    public void Dispose()
    {
        if (!process.HasExited)
            process.Kill(entireProcessTree: true);
        process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is null)
            return;
        lines.Enqueue((DateTime.UtcNow, line));
        lock (log)
            log.AppendLine(line);
    }
}
