using System.CommandLine;
using GridSweep.Coordinator.Reports;
using GridSweep.Runtime.CommandLine;
using GridSweep.Runtime.Configuration;

namespace GridSweep.Coordinator.Commands;

/// <summary><c>gridsweep report RUN_DIR</c>: the figures and index.html of a finished or running sweep.</summary>
public static class ReportCommand
{
    public static Command Create()
    {
        var command = new Command("report", "Draw a sweep's figures (loss curves, the grid, best validation loss) as PNG with an index.html into <RUN_DIR>/report/.");
        var folder = new Argument<string>("RUN_DIR") { Description = "A sweep's results folder (holding epochs.csv and trials.csv), e.g. runs/imdb-overfitting." };
        command.Arguments.Add(folder);
        command.SetAction(result =>
        {
            try
            {
                // Only the path on standard output, so scripts can open it: xdg-open "$(gridsweep report DIR)".
                Console.Out.WriteLine(ReportWriter.Write(result.GetRequiredValue(folder)));
                return ExitCodes.Success;
            }
            catch (ReportException error)
            {
                throw new InputException($"report: {error.Message}", error);
            }
        });
        return command;
    }
}
