namespace GridSweep.TestKit;

/// <summary>Runs one of the real GridSweep programs in a child process, as a user would.</summary>
public static class GridSweepCli
{
    /// <summary>The full command line, <c>gridsweep</c>.</summary>
    public const string Full = "gridsweep.dll";

    /// <summary>The head node's program without TorchSharp (the coordinator image's <c>gridsweep</c>).</summary>
    public const string CoordinatorOnly = "gridsweep-coordinator.dll";

    /// <summary>The trainer node's program (the trainer images' entry point).</summary>
    public const string TrainerNode = "GridSweep.TrainerNode.dll";

    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(10);

    public static ProcessResult Run(params string[] arguments) => RunIn(Directory.GetCurrentDirectory(), arguments);

    public static ProcessResult RunIn(string workingDirectory, params string[] arguments) =>
        RunProgram(Full, workingDirectory, new Dictionary<string, string>(), arguments);

    /// <summary>Runs a program to completion (killed after 10 minutes).</summary>
    /// <param name="program">One of <see cref="Full"/>, <see cref="CoordinatorOnly"/>, <see cref="TrainerNode"/>.</param>
    /// <param name="environment">Variables set for the child on top of this process's own.</param>
    public static ProcessResult RunProgram(string program, string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] arguments) =>
        ChildProcess.Run("dotnet", [Assembly(program), .. arguments], workingDirectory, Plain(environment), Patience);

    /// <summary>Starts a program in the background; see <see cref="ChildProcess"/>.</summary>
    public static ChildProcess Start(string name, string program, IReadOnlyDictionary<string, string> environment, params string[] arguments) =>
        ChildProcess.Start(name, "dotnet", [Assembly(program), .. arguments], environment: Plain(environment));

    private static string Assembly(string program)
    {
        var assembly = Path.Combine(AppContext.BaseDirectory, program);
        return File.Exists(assembly)
            ? assembly
            : throw new FileNotFoundException($"{program} is not beside the tests in {AppContext.BaseDirectory}; build the solution first");
    }

    /// <summary>No colour codes in what the tests read, and the caller's variables on top.</summary>
    private static Dictionary<string, string> Plain(IReadOnlyDictionary<string, string> environment)
    {
        var all = new Dictionary<string, string> { ["NO_COLOR"] = "1" };
        foreach (var (name, value) in environment)
            all[name] = value;
        return all;
    }
}
