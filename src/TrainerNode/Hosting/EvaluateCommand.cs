using System.CommandLine;
using System.Globalization;
using GridSweep.Runtime.CommandLine;
using GridSweep.Runtime.Configuration;
using GridSweep.Runtime.Files;
using GridSweep.TrainerNode.Models;

namespace GridSweep.TrainerNode.Hosting;

/// <summary>
/// <c>gridsweep evaluate RUN_DIR TRIAL_ID</c>: loads a trial's kept model and its dataset as a trainer would, and
/// checks the validation loss and metric against those recorded for the kept epoch.
/// </summary>
public static class EvaluateCommand
{
    public const double DefaultTolerance = 1e-5;

    public static Command Create()
    {
        var command = new Command("evaluate",
            "Load a trial's kept model (<RUN_DIR>/models/<TRIAL_ID>.safetensors and .json), load its dataset as a trainer does, and compute " +
            "the validation loss and metric (accuracy, or mean absolute error for a regression) on the CPU. Prints them beside the values " +
            "recorded for the kept epoch in the model's JSON and in <RUN_DIR>/epochs.csv. Exit codes: 0 they agree within --tolerance, " +
            $"{ExitCodes.ModelDiffers} they differ, {ExitCodes.BadInput} bad input (no such model, unreadable files, data missing).");
        var folder = new Argument<string>("RUN_DIR") { Description = "A sweep's results folder, e.g. runs/imdb-overfitting." };
        var trial = new Argument<string>("TRIAL_ID") { Description = "The trial, as trials.csv names it in its trial_id column." };
        var tolerance = new Option<double>("--tolerance")
        {
            Description = $"Largest difference from a recorded value still taken as equal. Default: {DefaultTolerance.ToString(CultureInfo.InvariantCulture)} " +
                          "(the same CPU gives the same numbers; raise it for a model trained on a GPU).",
            HelpName = "X",
            DefaultValueFactory = _ => DefaultTolerance,
        };
        command.Arguments.Add(folder);
        command.Arguments.Add(trial);
        var flags = CommandFlags.Evaluate();
        flags.AddTo(command);
        command.Options.Add(tolerance);
        command.SetAction(async (result, cancellationToken) =>
        {
            var options = OptionsBinder.Bind<TrainerOptions>(flags.Configuration(result));
            var allowed = result.GetValue(tolerance);
            if (!(allowed >= 0))
                throw new InputException($"--tolerance: '{allowed}' is not a difference (0 or more)");
            var runFolder = result.GetRequiredValue(folder);
            var trialId = result.GetRequiredValue(trial);
            await Console.Error.WriteLineAsync($"evaluate: loading trial {trialId}'s model and data ...");
            var evaluation = await ModelEvaluation.RunAsync(runFolder, trialId, TrainerHosting.Datasets(options), cancellationToken: cancellationToken);
            Print(evaluation, runFolder, allowed);
            return evaluation.LargestDifference <= allowed ? ExitCodes.Success : ExitCodes.ModelDiffers;
        });
        return command;
    }

    private static void Print(ModelEvaluation evaluation, string runFolder, double tolerance)
    {
        var description = evaluation.Description;
        var weights = KeptModelFiles.WeightsPath(runFolder, description.TrialId);
        var best = evaluation.BestEpochInTrials is { } epoch
            ? epoch == description.Epoch ? ", trials.csv's best_epoch" : $"; trials.csv's best_epoch is {epoch}"
            : "";
        Console.WriteLine($"trial {description.TrialId}: epoch {description.Epoch}{best}, {weights}");
        Console.WriteLine($"data: {evaluation.Data}");
        if (evaluation.PreparationDifference is { } difference)
            Console.WriteLine($"warning: {difference}");
        var hasEpochs = evaluation.Figures.Any(f => f.RecordedInEpochs is not null);
        Console.WriteLine($"{"",-14}{"evaluated",-22}{"recorded (json)",-22}{(hasEpochs ? "recorded (epochs.csv)" : "")}");
        foreach (var figure in evaluation.Figures)
        {
            Console.WriteLine($"{figure.Name,-14}{Number(figure.Evaluated),-22}{Number(figure.RecordedInDescription),-22}" +
                              (figure.RecordedInEpochs is { } fromEpochs ? Number(fromEpochs) : ""));
        }
        var largest = Number(evaluation.LargestDifference);
        Console.WriteLine(evaluation.LargestDifference <= tolerance
            ? $"equal to the recorded epoch's (largest difference {largest}, tolerance {Number(tolerance)})"
            : $"DIFFERENT from the recorded epoch's: largest difference {largest}, beyond the tolerance {Number(tolerance)}");
    }

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
