using System.Globalization;
using GridSweep.Coordinator.Results;

namespace GridSweep.Coordinator.Reports;

/// <summary>One trial as <c>trials.csv</c> records it (its last row, when a resumed run wrote several).</summary>
public sealed record TrialRow(
    string TrialId,
    string Model,
    string Regularizer,
    long Seed,
    string Optimizer,
    string Status,
    int BestEpoch,
    double BestValLoss,
    double FinalValLoss,
    double FinalGap,
    double BestValAccuracy,
    double Seconds,
    string Error)
{
    /// <summary>Completed or diverged: the trial has its whole curve (a diverged one up to where it blew up).</summary>
    public bool IsFinished => Status is "completed" or "diverged";

    /// <summary>The labels on the axes added with issue 9; empty in a folder written before them.</summary>
    public string LearningRate { get; init; } = "";
    public string Activation { get; init; } = "";
    public string BatchSize { get; init; } = "";
    public string Epochs { get; init; } = "";

    /// <summary>binary, multiclass or regression; empty in a folder written before tasks (IMDB: binary).</summary>
    public string Task { get; init; } = "";

    /// <summary>Lowest validation mean absolute error; NaN for classification.</summary>
    public double BestValMae { get; init; } = double.NaN;

    /// <summary>The label on the early-stopping axis; empty in a folder written before early stopping.</summary>
    public string EarlyStopping { get; init; } = "";

    /// <summary>The last epoch of a trial that early stopping ended before its budget; 0 when it ran every epoch.</summary>
    public int StoppedEpoch { get; init; }

    /// <summary>Why early stopping ended it; empty when it did not.</summary>
    public string StopReason { get; init; } = "";

    /// <summary>The task's metric at its best: the highest accuracy, or the lowest MAE for regression.</summary>
    public double BestValMetric(bool regression) => regression ? BestValMae : BestValAccuracy;
}

/// <summary>
/// One seed's train and validation loss by epoch, and the task's metric (accuracy, or MAE for regression);
/// a diverged one ends in nan/inf or stops early.
/// </summary>
public sealed record SeedCurve(long Seed, bool Diverged, int[] Epochs, double[] TrainLoss, double[] ValLoss)
{
    public double[] TrainMetric { get; init; } = [];
    public double[] ValMetric { get; init; } = [];
}

/// <summary>
/// The curve of one grid cell (model, regularizer, variant): train and validation loss averaged over its
/// seeds epoch by epoch, over the seeds that have a finite value at that epoch.
/// </summary>
/// <param name="Variant">The cell's other axes: its optimizer label, with the activation, batch size and epochs
/// added when the sweep varies them (<see cref="SweepResults.Variants"/>).</param>
public sealed record LossCurve(
    string Model,
    string Regularizer,
    string Variant,
    int[] Epochs,
    double[] TrainLoss,
    double[] ValLoss,
    IReadOnlyList<SeedCurve> Seeds)
{
    /// <summary>The task's metric averaged over the seeds like the loss: accuracy, or MAE for regression.</summary>
    public double[] TrainMetric { get; init; } = [];
    public double[] ValMetric { get; init; } = [];

    /// <summary>Epoch of the lowest (mean) validation loss, the first one on a tie; 0 when no value is finite.</summary>
    public int BestEpoch
    {
        get
        {
            var best = 0;
            var lowest = double.PositiveInfinity;
            for (var i = 0; i < Epochs.Length; i++)
            {
                if (double.IsFinite(ValLoss[i]) && ValLoss[i] < lowest)
                {
                    lowest = ValLoss[i];
                    best = Epochs[i];
                }
            }
            return best;
        }
    }

    public double BestValLoss => BestEpoch == 0 ? double.NaN : ValLoss[Array.IndexOf(Epochs, BestEpoch)];
}

/// <summary>A sweep's run folder read back for the report: every trial, and the curves of the finished ones.</summary>
public sealed class SweepResults
{
    private SweepResults(string folder, IReadOnlyList<TrialRow> trials, IReadOnlyList<LossCurve> curves, Func<TrialRow, string> variant)
    {
        Folder = folder;
        Name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)));
        Trials = trials;
        Curves = curves;
        Models = trials.Select(t => t.Model).Distinct().ToList();
        // The unregularized cell is the reference every regularizer is compared with, so it comes first.
        Regularizers = trials.Select(t => t.Regularizer).Distinct()
            .OrderBy(r => r == NoRegularizer ? 0 : 1).ToList();
        Variants = trials.Select(variant).Distinct().ToList();
        Task = trials.Select(t => t.Task).FirstOrDefault(t => t.Length > 0) ?? "binary";
    }

    /// <summary>binary, multiclass or regression (a folder written before tasks were recorded is IMDB's binary).</summary>
    public string Task { get; }

    /// <summary>The metric is mean absolute error (lower is better), not accuracy.</summary>
    public bool IsRegression => Task == "regression";

    /// <summary>The metric's name for people: "accuracy" or "mean absolute error".</summary>
    public string MetricName => IsRegression ? "mean absolute error" : "accuracy";

    /// <summary>The loss's name for people, per task.</summary>
    public string LossName => Task switch
    {
        "regression" => "mean squared error",
        "multiclass" => "sparse categorical cross-entropy",
        _ => "binary cross-entropy",
    };

    /// <summary>
    /// The axes added with issue 9 (and early stopping, issue 10) that take more than one value in this run, with each
    /// trial's label: only those say something in a table (a sweep that does not sweep batch size has one everywhere).
    /// </summary>
    public IReadOnlyList<(string Name, Func<TrialRow, string> Label)> SweptAxes =>
        Sweeps.SweptAxes.Varying(Trials,
            ("learning rate", t => t.LearningRate), ("activation", t => t.Activation), ("batch size", t => t.BatchSize), ("epochs", t => t.Epochs),
            ("early stopping", t => t.EarlyStopping));

    public const string NoRegularizer = "none";

    public string Folder { get; }

    /// <summary>The sweep's name: the run folder's name.</summary>
    public string Name { get; }

    /// <summary>Every trial of trials.csv, finished or not, in file order.</summary>
    public IReadOnlyList<TrialRow> Trials { get; }

    /// <summary>One curve per (model, regularizer, optimizer) with at least one finished trial.</summary>
    public IReadOnlyList<LossCurve> Curves { get; }

    /// <summary>Models in the order trials.csv first names them (the sweep file's order on a fresh run).</summary>
    public IReadOnlyList<string> Models { get; }

    /// <summary>Regularizers, <c>none</c> first when the grid has it, then in file order.</summary>
    public IReadOnlyList<string> Regularizers { get; }

    /// <summary>
    /// The cells' labels on every axis but model and regularizer: the optimizer label (which carries the learning
    /// rate when that is swept), then the activation, batch size, epochs and early stopping when the sweep has more than
    /// one of them, so cells that differ only there are never averaged together. One figure is drawn per variant.
    /// </summary>
    public IReadOnlyList<string> Variants { get; }

    /// <summary>How <see cref="Variants"/> names a trial of these trials.</summary>
    public static Func<TrialRow, string> VariantOf(IReadOnlyList<TrialRow> trials)
    {
        var swept = Sweeps.SweptAxes.Varying(trials, ("activation", t => t.Activation), ("batch", t => t.BatchSize), ("epochs", t => t.Epochs),
            ("early stopping", t => t.EarlyStopping));
        return trial => swept.Count == 0 ? trial.Optimizer
            : string.Join(", ", swept.Select(axis => $"{axis.Name} {axis.Label(trial)}").Prepend(trial.Optimizer));
    }

    /// <summary>Trials by best validation loss, lowest first; trials without one (failed) last, in file order.</summary>
    public IReadOnlyList<TrialRow> Ranked => Trials
        .OrderBy(t => double.IsNaN(t.BestValLoss) ? 1 : 0)
        .ThenBy(t => double.IsNaN(t.BestValLoss) ? 0 : t.BestValLoss)
        .ToList();

    public IEnumerable<LossCurve> CurvesOf(string model, string regularizer) =>
        Curves.Where(c => c.Model == model && c.Regularizer == regularizer);

    /// <summary>
    /// Best validation loss per [model, regularizer] (indices as in <see cref="Models"/> and <see cref="Regularizers"/>):
    /// the mean over the cell's finished trials (seeds, optimizers) with a finite value; NaN for a cell without one.
    /// </summary>
    public double[,] BestValLossGrid()
    {
        var grid = new double[Models.Count, Regularizers.Count];
        for (var row = 0; row < Models.Count; row++)
        {
            for (var column = 0; column < Regularizers.Count; column++)
            {
                var values = Trials
                    .Where(t => t.IsFinished && t.Model == Models[row] && t.Regularizer == Regularizers[column] && double.IsFinite(t.BestValLoss))
                    .Select(t => t.BestValLoss).ToList();
                grid[row, column] = values.Count == 0 ? double.NaN : values.Average();
            }
        }
        return grid;
    }

    /// <summary>Reads <c>trials.csv</c> and <c>epochs.csv</c> of a run folder.</summary>
    /// <exception cref="ReportException">The folder or a file is missing or unreadable, or no trial finished.</exception>
    public static SweepResults Load(string folder)
    {
        if (!Directory.Exists(folder))
            throw new ReportException($"run folder '{folder}' does not exist");
        var trialsPath = RequireFile(folder, RunFolder.TrialsFile);
        var epochsPath = RequireFile(folder, RunFolder.EpochsFile);

        var trials = Read(trialsPath, RunFolder.TrialColumns)
            .Select(row => ParseTrial(row, trialsPath))
            // A resumed run may have written a failed attempt before the finished one: the last row wins.
            .GroupBy(t => t.TrialId).Select(g => g.Last())
            .ToList();
        var finished = trials.Where(t => t.IsFinished).ToDictionary(t => t.TrialId);
        if (finished.Count == 0)
        {
            var failed = trials.Count(t => t.Status == "failed");
            throw new ReportException(trials.Count == 0
                ? $"'{trialsPath}' lists no trial: nothing to report in '{folder}' yet"
                : $"no finished (completed or diverged) trial in '{trialsPath}' ({trials.Count} listed, {failed} failed): nothing to plot");
        }

        var regression = trials.Any(t => t.Task == "regression");
        var epochs = Read(epochsPath, RunFolder.EpochColumns)
            .Where(row => finished.ContainsKey(row["trial_id"]))
            .Select(row => (Trial: row["trial_id"], Epoch: Integer<int>(row, "epoch", epochsPath),
                Train: Number(row, "train_loss", epochsPath), Val: Number(row, "val_loss", epochsPath),
                TrainMetric: Optional(row, regression ? "train_mae" : "train_accuracy", epochsPath),
                ValMetric: Optional(row, regression ? "val_mae" : "val_accuracy", epochsPath)))
            .GroupBy(e => (e.Trial, e.Epoch)).Select(g => g.Last())
            .ToLookup(e => e.Trial);

        var variant = VariantOf(trials);
        var curves = finished.Values
            .GroupBy(t => (t.Model, t.Regularizer, Variant: variant(t)))
            .Select(cell =>
            {
                var seeds = cell.OrderBy(t => t.Seed).Select(t =>
                {
                    var rows = epochs[t.TrialId].OrderBy(e => e.Epoch).ToList();
                    return new SeedCurve(t.Seed, t.Status == "diverged", rows.Select(e => e.Epoch).ToArray(), rows.Select(e => e.Train).ToArray(), rows.Select(e => e.Val).ToArray())
                    {
                        TrainMetric = rows.Select(e => e.TrainMetric).ToArray(),
                        ValMetric = rows.Select(e => e.ValMetric).ToArray(),
                    };
                }).Where(s => s.Epochs.Length > 0).ToList();
                return Average(cell.Key.Model, cell.Key.Regularizer, cell.Key.Variant, seeds);
            })
            .Where(c => c.Epochs.Length > 0)
            .ToList();
        if (curves.Count == 0)
            throw new ReportException($"'{epochsPath}' has no epoch of the {finished.Count} finished trial(s) in '{trialsPath}'");

        return new SweepResults(folder, trials, curves, variant);
    }

    private static LossCurve Average(string model, string regularizer, string variant, IReadOnlyList<SeedCurve> seeds)
    {
        var epochs = seeds.SelectMany(s => s.Epochs).Distinct().Order().ToArray();
        double Mean(Func<SeedCurve, double[]> values, int epoch)
        {
            var finite = seeds
                .Select(s => Array.IndexOf(s.Epochs, epoch) is var i and >= 0 ? values(s)[i] : double.NaN)
                .Where(double.IsFinite).ToList();
            return finite.Count == 0 ? double.NaN : finite.Average();
        }
        return new LossCurve(model, regularizer, variant, epochs,
            epochs.Select(e => Mean(s => s.TrainLoss, e)).ToArray(),
            epochs.Select(e => Mean(s => s.ValLoss, e)).ToArray(),
            seeds)
        {
            TrainMetric = epochs.Select(e => Mean(s => s.TrainMetric, e)).ToArray(),
            ValMetric = epochs.Select(e => Mean(s => s.ValMetric, e)).ToArray(),
        };
    }

    private static string RequireFile(string folder, string name)
    {
        var path = Path.Combine(folder, name);
        if (!File.Exists(path))
            throw new ReportException($"'{path}' is missing: '{folder}' is not a GridSweep run folder (it needs {RunFolder.EpochsFile} and {RunFolder.TrialsFile})");
        return path;
    }

    private static List<Dictionary<string, string>> Read(string path, string[] columns)
    {
        try
        {
            return RunFolder.ReadRows(path, columns);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            throw new ReportException($"cannot read '{path}': {error.Message}", error);
        }
    }

    private static TrialRow ParseTrial(Dictionary<string, string> row, string file) => new(
        row["trial_id"],
        row["model"],
        row["regularizer"],
        Integer<long>(row, "seed", file),
        row.GetValueOrDefault("optimizer", ""),
        Text(row, "status", file),
        Integer<int>(row, "best_epoch", file),
        Number(row, "best_val_loss", file),
        Number(row, "final_val_loss", file),
        Number(row, "final_gap", file),
        Number(row, "best_val_accuracy", file),
        Number(row, "seconds", file),
        row.GetValueOrDefault("error", ""))
    {
        LearningRate = row.GetValueOrDefault("learning_rate", ""),
        Activation = row.GetValueOrDefault("activation", ""),
        BatchSize = row.GetValueOrDefault("batch_size", ""),
        Epochs = row.GetValueOrDefault("epochs", ""),
        Task = row.GetValueOrDefault("task", ""),
        BestValMae = Optional(row, "best_val_mae", file),
        EarlyStopping = row.GetValueOrDefault("early_stopping", ""),
        StoppedEpoch = row.GetValueOrDefault("stopped_epoch", "") is { Length: > 0 } ? Integer<int>(row, "stopped_epoch", file) : 0,
        StopReason = row.GetValueOrDefault("stop_reason", ""),
    };

    /// <summary>A number of a column added since the first version: NaN when the file has no such column.</summary>
    private static double Optional(Dictionary<string, string> row, string column, string file) =>
        row.ContainsKey(column) ? Number(row, column, file) : double.NaN;

    private static string Text(Dictionary<string, string> row, string column, string file) =>
        row.TryGetValue(column, out var text)
            ? text
            : throw new ReportException($"'{file}' has no column '{column}'; is it a GridSweep results file?");

    private static double Number(Dictionary<string, string> row, string column, string file)
    {
        var text = Text(row, column, file);
        try
        {
            return CsvFormat.ParseNumber(text);
        }
        catch (FormatException error)
        {
            throw new ReportException($"'{file}': trial {row["trial_id"]}: {column} '{text}' is not a number", error);
        }
    }

    private static T Integer<T>(Dictionary<string, string> row, string column, string file)
        where T : System.Numerics.IBinaryInteger<T>
    {
        var text = Text(row, column, file);
        return T.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ReportException($"'{file}': trial {row["trial_id"]}: {column} '{text}' is not a whole number");
    }
}
