using System.Diagnostics;

namespace GridSweep.TestKit;

/// <summary>Runs one of the real GridSweep programs in a child process, as a user would, and waits for it.</summary>
public static class GridSweepCli
{
    /// <summary>The full command line, <c>gridsweep</c>.</summary>
    public const string Full = "gridsweep.dll";

    /// <summary>The head node's program without TorchSharp (the coordinator image's <c>gridsweep</c>).</summary>
    public const string CoordinatorOnly = "gridsweep-coordinator.dll";

    /// <summary>The trainer node's program (the trainer images' entry point).</summary>
    public const string TrainerNode = "GridSweep.TrainerNode.dll";

    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public string All => Output + Error;
    }

    public static Result Run(params string[] arguments) => RunIn(Directory.GetCurrentDirectory(), arguments);

    public static Result RunIn(string workingDirectory, params string[] arguments) =>
        RunProgram(Full, workingDirectory, new Dictionary<string, string>(), arguments);

    /// <param name="program">One of <see cref="Full"/>, <see cref="CoordinatorOnly"/>, <see cref="TrainerNode"/>.</param>
    /// <param name="environment">Variables set for the child on top of this process's own.</param>
    public static Result RunProgram(string program, string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var assembly = Path.Combine(AppContext.BaseDirectory, program);
        if (!File.Exists(assembly))
            throw new FileNotFoundException($"{program} is not beside the tests in {AppContext.BaseDirectory}; build the solution first");
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(assembly);
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        start.Environment["NO_COLOR"] = "1";
        foreach (var (name, value) in environment)
            start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} did not finish in 10 minutes");
        }
        process.WaitForExit(); // Drains the asynchronous readers.
        return new Result(process.ExitCode, output.Result, error.Result);
    }
}
