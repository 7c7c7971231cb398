using System.ComponentModel;
using GridSweep.Coordinator.Reports;
using Spectre.Console.Cli;

namespace GridSweep.Coordinator.Commands;

public sealed class ReportCommand : Command<ReportCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<RUN_DIR>")]
        [Description("A sweep's results folder (holding epochs.csv and trials.csv), e.g. runs/imdb-overfitting.")]
        public string RunDirectory { get; init; } = "";
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        try
        {
            // Only the path on standard output, so scripts can open it: xdg-open "$(gridsweep report DIR)".
            Console.Out.WriteLine(ReportWriter.Write(settings.RunDirectory));
            return ExitCodes.Success;
        }
        catch (ReportException error)
        {
            Console.Error.WriteLine($"report: {error.Message}");
            return ExitCodes.BadInput;
        }
    }
}
