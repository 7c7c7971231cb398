using System.Diagnostics;

namespace GridSweep.Coordinator.Tests;

/// <summary>Runs the real <c>gridsweep</c> command in a child process, as a user would.</summary>
internal static class GridSweepCli
{
    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public string All => Output + Error;
    }

    public static Result Run(params string[] arguments) => RunIn(Directory.GetCurrentDirectory(), arguments);

    public static Result RunIn(string workingDirectory, params string[] arguments)
    {
        var assembly = Path.Combine(AppContext.BaseDirectory, "gridsweep.dll");
        if (!File.Exists(assembly))
            throw new FileNotFoundException($"gridsweep.dll is not beside the tests in {AppContext.BaseDirectory}; build the solution first");
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
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"gridsweep {string.Join(' ', arguments)} did not finish in 10 minutes");
        }
        return new Result(process.ExitCode, output.Result, error.Result);
    }
}
