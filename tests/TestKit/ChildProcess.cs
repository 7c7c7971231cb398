using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using CliWrap;
using CliWrap.Buffered;

namespace GridSweep.TestKit;

/// <summary>What a finished process wrote and how it ended.</summary>
public sealed record ProcessResult(int ExitCode, string Output, string Error)
{
    /// <summary>Standard output followed by standard error.</summary>
    public string All => Output + Error;

    /// <summary>Exit code and both streams, for an assertion's message.</summary>
    public string Report => $"exit code {ExitCode}\nstdout:\n{Output}\nstderr:\n{Error}";
}

/// <summary>
/// The one way the tests and benchmarks run other programs (CliWrap underneath). <see cref="Run"/> waits for a
/// program to finish and returns what it wrote, killing it when it hangs; <see cref="Start"/> leaves it running in
/// the background with its output kept line by line, so a test can wait for what it prints, signal it, and have it
/// killed by process id on dispose.
/// </summary>
public sealed class ChildProcess : IDisposable
{
    /// <summary>How long <see cref="Run"/> waits unless told otherwise: a guard against hangs, not a performance bound.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(10);

    private readonly CommandTask<CommandResult> _task;
    private readonly ConcurrentQueue<(DateTime At, string Line)> _lines = new();
    private readonly StringBuilder _log = new();

    private ChildProcess(string name, Command command)
    {
        Name = name;
        _task = command
            .WithValidation(CommandResultValidation.None)
            .WithStandardOutputPipe(PipeTarget.ToDelegate(Keep))
            .WithStandardErrorPipe(PipeTarget.ToDelegate(Keep))
            .ExecuteAsync();
        Id = _task.ProcessId;
    }

    /// <summary>
    /// Runs a program to completion with both streams buffered. The child inherits this process's environment with
    /// <paramref name="environment"/> on top; after <paramref name="timeout"/> (<see cref="DefaultTimeout"/>;
    /// <see cref="Timeout.InfiniteTimeSpan"/> for none) it is killed with its children and a <see cref="TimeoutException"/> thrown.
    /// </summary>
    public static ProcessResult Run(string fileName, IEnumerable<string> arguments, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null) =>
        RunAsync(fileName, arguments, workingDirectory, environment, timeout).GetAwaiter().GetResult();

    /// <inheritdoc cref="Run"/>
    public static async Task<ProcessResult> RunAsync(string fileName, IEnumerable<string> arguments, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var list = arguments.ToList();
        var limit = timeout ?? DefaultTimeout;
        using var hangGuard = new CancellationTokenSource(limit);
        try
        {
            var result = await Command(fileName, list, workingDirectory, environment)
                .WithValidation(CommandResultValidation.None)
                .ExecuteBufferedAsync(hangGuard.Token);
            return new ProcessResult(result.ExitCode, result.StandardOutput, result.StandardError);
        }
        catch (OperationCanceledException) when (hangGuard.IsCancellationRequested)
        {
            throw new TimeoutException($"{fileName} {string.Join(' ', list)} did not finish in {limit.TotalMinutes:0.#} minutes");
        }
    }

    /// <summary>Starts a program in the background; <paramref name="name"/> names it in failure messages.</summary>
    public static ChildProcess Start(string name, string fileName, IEnumerable<string> arguments, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null) =>
        new(name, Command(fileName, arguments.ToList(), workingDirectory, environment));

    /// <summary>The first of <paramref name="names"/> found on the PATH or in the usual system folders, or null.</summary>
    public static string? FindExecutable(params string[] names)
    {
        var folders = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/local/bin", "/usr/bin", "/usr/sbin", "/bin"])
            .Distinct()
            .ToList();
        return names.SelectMany(name => folders.Select(folder => Path.Combine(folder, name))).FirstOrDefault(File.Exists);
    }

    public string Name { get; }

    public int Id { get; }

    /// <summary>True once the process has exited and all it wrote has been read.</summary>
    public bool HasExited => _task.Task.IsCompleted;

    public int ExitCode => HasExited
        ? _task.Task.GetAwaiter().GetResult().ExitCode
        : throw new InvalidOperationException($"{Name} (process {Id}) has not exited");

    /// <summary>Standard output and standard error, interleaved as they arrived.</summary>
    public string Output
    {
        get { lock (_log) return _log.ToString(); }
    }

    /// <summary>Every line so far with the time it arrived.</summary>
    public IEnumerable<(DateTime At, string Line)> Lines => _lines;

    /// <summary>Waits for a line matching the pattern (printed after <paramref name="after"/>, when given) and returns it with its time.</summary>
    public (DateTime At, string Line) WaitFor(string pattern, TimeSpan timeout, DateTime? after = null)
    {
        var regex = new Regex(pattern);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var exited = HasExited; // Read before the lines: once exited, every line is in.
            foreach (var entry in _lines)
            {
                if ((after is null || entry.At >= after) && regex.IsMatch(entry.Line))
                    return entry;
            }
            if (exited || DateTime.UtcNow >= deadline)
                break;
            Thread.Sleep(50);
        }
        throw new TimeoutException($"{Name} printed no line matching /{pattern}/ within {timeout.TotalSeconds} s " +
            $"(exited: {HasExited}). Output:\n{Output}");
    }

    /// <summary>Waits until the process has exited and its output is read; returns its exit code.</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        if (!((IAsyncResult)_task.Task).AsyncWaitHandle.WaitOne(timeout))
            throw new TimeoutException($"{Name} did not exit within {timeout.TotalSeconds} s. Output:\n{Output}");
        return ExitCode;
    }

    /// <summary>SIGKILL to the process and its children, by process id, as a crash would end it.</summary>
    public void KillHard()
    {
        try
        {
            using var process = Process.GetProcessById(Id);
            process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            // Already gone.
        }
    }

    /// <summary>SIGTERM, as a container runtime or Ctrl-C in a service manager would stop it.</summary>
    public void Terminate()
    {
        var kill = Run("kill", ["-TERM", $"{Id}"], timeout: TimeSpan.FromMinutes(1));
        if (kill.ExitCode != 0 && !HasExited)
            throw new InvalidOperationException($"kill -TERM {Id} ({Name}) failed: {kill.Report}");
    }

    public void Dispose()
    {
        if (!HasExited)
            KillHard();
        // Let the output readers finish, so nothing runs on after the test.
        ((IAsyncResult)_task.Task).AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(30));
    }

    private static Command Command(string fileName, IReadOnlyList<string> arguments, string? workingDirectory,
        IReadOnlyDictionary<string, string>? environment)
    {
        var command = Cli.Wrap(fileName).WithArguments(arguments);
        if (workingDirectory is not null)
            command = command.WithWorkingDirectory(workingDirectory);
        if (environment is { Count: > 0 })
            command = command.WithEnvironmentVariables(environment.ToDictionary(e => e.Key, e => (string?)e.Value));
        return command;
    }

    private void Keep(string line)
    {
        _lines.Enqueue((DateTime.UtcNow, line));
        lock (_log)
            _log.AppendLine(line);
    }
}
