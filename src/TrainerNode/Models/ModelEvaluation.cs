using System.Globalization;
using System.Text.Json;
using GridSweep.Messages.Sweeps;
using GridSweep.Runtime.Configuration;
using GridSweep.Runtime.Files;
using GridSweep.Runtime.Progress;
using GridSweep.TrainerNode.Training;
using nietras.SeparatedValues;
using static TorchSharp.torch;

namespace GridSweep.TrainerNode.Models;

/// <summary>One figure of a kept model: evaluated now, and as recorded in its JSON and in the run's epochs.csv.</summary>
public sealed record EvaluatedFigure(string Name, double Evaluated, double RecordedInDescription, double? RecordedInEpochs)
{
    /// <summary>The largest difference from a recorded value; 0 when both are NaN (the metric the task does not have).</summary>
    public double Difference => new[] { RecordedInDescription, RecordedInEpochs ?? RecordedInDescription }
        .Select(recorded => double.IsNaN(recorded) && double.IsNaN(Evaluated) ? 0 : Math.Abs(recorded - Evaluated))
        .Max(difference => double.IsNaN(difference) ? double.PositiveInfinity : difference);
}

/// <summary>What <c>gridsweep evaluate</c> found.</summary>
/// <param name="BestEpochInTrials">trials.csv's best_epoch of the trial; null when the run folder has no such row.</param>
/// <param name="PreparationDifference">How the data now loaded is prepared differently from the recorded way; null when alike.</param>
public sealed record ModelEvaluation(
    KeptModelDescription Description,
    string Data,
    IReadOnlyList<EvaluatedFigure> Figures,
    int? BestEpochInTrials,
    string? PreparationDifference)
{
    public double LargestDifference => Figures.Max(f => f.Difference);

    /// <summary>
    /// Loads the trial's kept model from <c>&lt;runFolder&gt;/models/</c>, its dataset as the trainer loads it, and
    /// computes the validation loss and metric exactly as the trainer does after each epoch (on the CPU).
    /// </summary>
    /// <exception cref="InputException">No such model, unreadable files, or data that cannot be loaded; the message names the file.</exception>
    public static async Task<ModelEvaluation> RunAsync(string runFolder, string trialId, NodeDatasets datasets,
        IProgress<DataProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        CheckKept(runFolder, trialId);
        LoadedModel model;
        try
        {
            model = KeptModel.Load(runFolder, trialId);
        }
        catch (Exception error) when (error is InvalidDataException or IOException)
        {
            throw new InputException(error.Message, error);
        }
        using (model)
        {
            var description = model.Description;
            var trial = description.Trial;
            var data = await datasets.GetAsync(trial.Dataset, progress, cancellationToken);
            if (data.Inputs != description.Network.Inputs || data.Objective.OutputUnits != description.Network.Outputs)
            {
                throw new InputException(
                    $"{data.Description}: rows of {data.Inputs} inputs and {data.Objective.OutputUnits} outputs, but the kept model takes " +
                    $"{description.Network.Inputs} and gives {description.Network.Outputs}; is --data the trial's dataset?");
            }
            var (loss, metric) = new TrialTrainer(data, CPU).Validate(model.Network, trial.InputLayer);

            var regression = trial.Task == LearningTask.Regression;
            var recorded = description.Metrics;
            var row = EpochRow(runFolder, trialId, description.Epoch);
            var metricName = regression ? "val_mae" : "val_accuracy";
            EvaluatedFigure[] figures =
            [
                new("val_loss", loss, recorded.ValLoss, row?.GetValueOrDefault("val_loss")),
                new(metricName, metric, regression ? recorded.ValMae : recorded.ValAccuracy, row?.GetValueOrDefault(metricName)),
            ];
            return new ModelEvaluation(description, data.Description, figures, BestEpoch(runFolder, trialId),
                PreparationChange(description, data));
        }
    }

    private static void CheckKept(string runFolder, string trialId)
    {
        if (!Directory.Exists(runFolder))
            throw new InputException($"RUN_DIR: '{runFolder}' does not exist");
        if (trialId.Length == 0 || trialId.IndexOfAny(['/', '\\']) >= 0 || trialId.StartsWith('.'))
            throw new InputException($"TRIAL_ID: '{trialId}' is not a trial id (trials.csv's trial_id column, e.g. 3f2a9c1b7e04)");
        var description = KeptModelFiles.DescriptionPath(runFolder, trialId);
        if (File.Exists(description))
            return;
        var models = Path.Combine(runFolder, KeptModelFiles.Folder);
        var kept = Directory.Exists(models)
            ? Directory.GetFiles(models, "*.json").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal).ToList()
            : [];
        throw new InputException(kept.Count == 0
            ? $"{description}: does not exist; the run folder keeps no models ({models} is {(Directory.Exists(models) ? "empty" : "missing")})"
            : $"{description}: does not exist; the run folder keeps models of {string.Join(", ", kept.Take(10))}{(kept.Count > 10 ? $" and {kept.Count - 10} more" : "")}");
    }

    /// <summary>The recorded figures of the trial's epoch in epochs.csv (the last row, should an attempt have been repeated).</summary>
    private static Dictionary<string, double>? EpochRow(string runFolder, string trialId, int epoch)
    {
        var epochText = epoch.ToString(CultureInfo.InvariantCulture);
        return Rows(Path.Combine(runFolder, "epochs.csv"), trialId, ["val_loss", "val_accuracy", "val_mae"], row => row["epoch"] == epochText).LastOrDefault();
    }

    private static int? BestEpoch(string runFolder, string trialId) =>
        Rows(Path.Combine(runFolder, "trials.csv"), trialId, ["best_epoch"], _ => true).LastOrDefault() is { } row && double.IsFinite(row["best_epoch"])
            ? (int)row["best_epoch"]
            : null;

    private static List<Dictionary<string, double>> Rows(string path, string trialId, string[] columns, Func<Dictionary<string, string>, bool> select)
    {
        var rows = new List<Dictionary<string, double>>();
        if (!File.Exists(path))
            return rows;
        using var reader = Sep.New(',').Reader(o => o with { Unescape = true, DisableColCountCheck = true }).FromFile(path);
        var names = reader.Header.ColNames;
        if (!names.Contains("trial_id"))
            return rows;
        foreach (var row in reader)
        {
            if (row.ColCount != names.Count || row["trial_id"].ToString() != trialId)
                continue;
            var fields = new Dictionary<string, string>(names.Count);
            foreach (var name in names)
                fields[name] = row[name].ToString();
            if (!select(fields))
                continue;
            rows.Add(columns.Where(fields.ContainsKey).ToDictionary(c => c, c => Number(fields[c])));
        }
        return rows;
    }

    /// <summary>A results-file number: "nan", "inf" as written, an empty field (a metric the task lacks) as NaN.</summary>
    private static double Number(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : double.NaN;

    /// <summary>The recorded input preparation against the one of the data just loaded: a vocabulary or scaling of its own would change every figure.</summary>
    private static string? PreparationChange(KeptModelDescription description, TrainingData data)
    {
        if (description.Input is null || data.Preparation is null)
            return null;
        var recorded = JsonSerializer.Serialize(description.Input, KeptModel.Json);
        var loaded = JsonSerializer.Serialize(data.Preparation, KeptModel.Json);
        return recorded == loaded ? null : $"the data is prepared otherwise than when the trial trained ({data.Preparation.GetType().Name}: a vocabulary, word index, feature order or scaling differs)";
    }
}
