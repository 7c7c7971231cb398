using System.CommandLine;
using GridSweep.Runtime.Hosting;

namespace GridSweep.Coordinator.Commands;

/// <summary>The <c>gridsweep</c> command tree, the same in the full program and in the coordinator's own.</summary>
public static class GridSweepCommands
{
    public const string ProgramName = "gridsweep";

    /// <param name="localTrainers">Trainer slots for this process, or null in the coordinator's program (no TorchSharp).</param>
    /// <param name="trainerCommands">Where this program can train: <c>gridsweep trainer</c> and <c>gridsweep evaluate</c>.</param>
    public static RootCommand Create(ILocalTrainers? localTrainers, IReadOnlyList<Command> trainerCommands)
    {
        var root = new RootCommand(
            "Distributed hyperparameter sweeps that show where every model of a grid starts to overfit. " +
            "Every flag of a setting is also read from appsettings.json in the working directory and from the environment variable in brackets; " +
            "flags win over the environment, which wins over appsettings.json. Exit codes: 0 all trials finished, 1 some trial failed, " +
            "2 bad input (nothing was run), 130 interrupted.")
        {
            SweepCommands.Run(localTrainers),
            SweepCommands.Coordinator(localTrainers),
            StatusCommand.Create(),
            ReportCommand.Create(),
            CertsCommand.Create(),
        };
        foreach (var command in trainerCommands)
            root.Subcommands.Add(command);
        return root;
    }
}
