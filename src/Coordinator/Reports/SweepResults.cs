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
/// The curve of one grid cell (model, regularizer, variant): train and validation loss averaged over its
/// seeds epoch by epoch, over the seeds that have a finite value at that epoch, with the seeds' band (the lowest
/// and highest finite value at each epoch). Built from sums as epochs.csv streams by: memory per cell, not per trial.
/// </summary>
/// <param name="Variant">The cell's other axes: its optimizer label, with the activation, batch size and epochs
/// added when the sweep varies them (<see cref="SweepResults.Variants"/>).</param>
/// <param name="SeedCount">How many finished trials (seeds) the cell averages.</param>
/// <param name="DivergedSeeds">How many of them diverged.</param>
public sealed record LossCurve(
    string Model,
    string Regularizer,
    string Variant,
    int[] Epochs,
    double[] TrainLoss,
    double[] ValLoss,
    int SeedCount,
    int DivergedSeeds)
{
    /// <summary>The task's metric averaged over the seeds like the loss: accuracy, or MAE for regression.</summary>
    public double[] TrainMetric { get; init; } = [];
    public double[] ValMetric { get; init; } = [];

    /// <summary>The seeds' band: lowest and highest finite loss at each epoch (NaN where no seed has one).</summary>
    public double[] TrainLossLow { get; init; } = [];
    public double[] TrainLossHigh { get; init; } = [];
    public double[] ValLossLow { get; init; } = [];
    public double[] ValLossHigh { get; init; } = [];

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
    public IReadOnlyList<TrialRow> Ranked => ranked ??= Trials
        .OrderBy(t => double.IsNaN(t.BestValLoss) ? 1 : 0)
        .ThenBy(t => double.IsNaN(t.BestValLoss) ? 0 : t.BestValLoss)
        .ToList();

    private IReadOnlyList<TrialRow>? ranked;

    public IEnumerable<LossCurve> CurvesOf(string model, string regularizer) =>
        Curves.Where(c => c.Model == model && c.Regularizer == regularizer);

    /// <summary>
    /// Best validation loss per [model, regularizer] (indices as in <see cref="Models"/> and <see cref="Regularizers"/>):
    /// the mean over the cell's finished trials (seeds, optimizers) with a finite value; NaN for a cell without one.
    /// </summary>
    public double[,] BestValLossGrid() => Grid(t => t.BestValLoss);

    /// <summary>Validation loss at the last epoch per [model, regularizer], averaged like <see cref="BestValLossGrid"/>.</summary>
    public double[,] FinalValLossGrid() => Grid(t => t.FinalValLoss);

    /// <summary>Validation minus train loss at the last epoch per [model, regularizer]: how far each cell overfits by the end.</summary>
    public double[,] FinalGapGrid() => Grid(t => t.FinalGap);

    /// <summary>One pass over the trials, whatever the grid's size.</summary>
    private double[,] Grid(Func<TrialRow, double> value)
    {
        var rows = Models.Select((m, i) => (m, i)).ToDictionary(p => p.m, p => p.i);
        var columns = Regularizers.Select((r, i) => (r, i)).ToDictionary(p => p.r, p => p.i);
        var sums = new double[Models.Count, Regularizers.Count];
        var counts = new int[Models.Count, Regularizers.Count];
        foreach (var trial in Trials)
        {
            var v = value(trial);
            if (!trial.IsFinished || !double.IsFinite(v))
                continue;
            var (row, column) = (rows[trial.Model], columns[trial.Regularizer]);
            sums[row, column] += v;
            counts[row, column]++;
        }
        var grid = new double[Models.Count, Regularizers.Count];
        for (var row = 0; row < Models.Count; row++)
        {
            for (var column = 0; column < Regularizers.Count; column++)
                grid[row, column] = counts[row, column] == 0 ? double.NaN : sums[row, column] / counts[row, column];
        }
        return grid;
    }

    /// <summary>
    /// Reads <c>trials.csv</c> and <c>epochs.csv</c> of a run folder. Both stream: trials.csv into one small record per
    /// trial, epochs.csv into sums per cell and epoch, so memory grows with cells x epochs, not trials x epochs.
    /// </summary>
    /// <exception cref="ReportException">The folder or a file is missing or unreadable, or no trial finished.</exception>
    public static SweepResults Load(string folder)
    {
        if (!Directory.Exists(folder))
            throw new ReportException($"run folder '{folder}' does not exist");
        var trialsPath = RequireFile(folder, RunFolder.TrialsFile);
        var epochsPath = RequireFile(folder, RunFolder.EpochsFile);

        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        // A resumed run may have written a failed attempt before the finished one: the last row wins, in the place of the first.
        var byId = new Dictionary<string, int>(StringComparer.Ordinal);
        var trials = new List<TrialRow>();
        foreach (var row in Stream(trialsPath, RunFolder.TrialColumns))
        {
            var trial = ParseTrial(row, trialsPath, labels);
            if (byId.TryGetValue(trial.TrialId, out var at))
                trials[at] = trial;
            else
            {
                byId[trial.TrialId] = trials.Count;
                trials.Add(trial);
            }
        }
        var finished = trials.Where(t => t.IsFinished).ToDictionary(t => t.TrialId);
        if (finished.Count == 0)
        {
            var failed = trials.Count(t => t.Status == "failed");
            throw new ReportException(trials.Count == 0
                ? $"'{trialsPath}' lists no trial: nothing to report in '{folder}' yet"
                : $"no finished (completed or diverged) trial in '{trialsPath}' ({trials.Count} listed, {failed} failed): nothing to plot");
        }

        var regression = trials.Any(t => t.Task == "regression");
        var variant = VariantOf(trials);
        var cells = new Dictionary<(string Model, string Regularizer, string Variant), CellSums>();
        void Fold(IEnumerable<(string Trial, List<EpochValues> Rows)> curves)
        {
            foreach (var (trialId, rows) in curves)
            {
                var trial = finished[trialId];
                var key = (trial.Model, trial.Regularizer, variant(trial));
                if (!cells.TryGetValue(key, out var sums))
                    cells[key] = sums = new CellSums();
                sums.Add(rows, trial.Status == "diverged");
            }
        }
        try
        {
            Fold(TrialCurves(epochsPath, finished, regression));
        }
        catch (ScatteredEpochsException)
        {
            cells.Clear();
            Fold(ScatteredTrialCurves(epochsPath, finished, regression));
        }
        var curves = cells.Select(cell => cell.Value.Curve(cell.Key.Model, cell.Key.Regularizer, cell.Key.Variant))
            .Where(c => c.Epochs.Length > 0)
            .ToList();
        if (curves.Count == 0)
            throw new ReportException($"'{epochsPath}' has no epoch of the {finished.Count} finished trial(s) in '{trialsPath}'");

        return new SweepResults(folder, trials, curves, variant);
    }

    private readonly record struct EpochValues(int Epoch, double Train, double Val, double TrainMetric, double ValMetric);

    /// <summary>
    /// The finished trials' curves from epochs.csv, one trial at a time, each epoch once (the last row of it). The exports
    /// write a trial's rows together, so only one trial is held at a time; a trial whose rows come apart (a file written
    /// by hand or by an old version) ends the pass with <see cref="ScatteredEpochsException"/>.
    /// </summary>
    private static IEnumerable<(string Trial, List<EpochValues> Rows)> TrialCurves(string path, Dictionary<string, TrialRow> finished, bool regression)
    {
        var done = new HashSet<string>(StringComparer.Ordinal);
        string? current = null;
        var rows = new List<EpochValues>();
        foreach (var row in Stream(path, RunFolder.EpochColumns))
        {
            var id = row.Text("trial_id");
            if (!finished.ContainsKey(id))
                continue;
            if (id != current)
            {
                if (current is not null)
                    yield return (current, LastPerEpoch(rows));
                if (!done.Add(id))
                    throw new ScatteredEpochsException();
                (current, rows) = (id, []);
            }
            rows.Add(ParseEpoch(row, path, regression));
        }
        if (current is not null)
            yield return (current, LastPerEpoch(rows));
    }

    /// <summary>The second reading of a file whose trials' rows come apart: every finished trial held whole, then handed on.</summary>
    private static IEnumerable<(string Trial, List<EpochValues> Rows)> ScatteredTrialCurves(string path, Dictionary<string, TrialRow> finished, bool regression)
    {
        var curves = new Dictionary<string, List<EpochValues>>(StringComparer.Ordinal);
        foreach (var row in Stream(path, RunFolder.EpochColumns))
        {
            var id = row.Text("trial_id");
            if (!finished.ContainsKey(id))
                continue;
            if (!curves.TryGetValue(id, out var rows))
                curves[id] = rows = [];
            rows.Add(ParseEpoch(row, path, regression));
        }
        return curves.Select(c => (c.Key, LastPerEpoch(c.Value)));
    }

    private sealed class ScatteredEpochsException : Exception;

    private static List<EpochValues> LastPerEpoch(List<EpochValues> rows)
    {
        var ascending = true;
        for (var i = 1; i < rows.Count && ascending; i++)
            ascending = rows[i - 1].Epoch < rows[i].Epoch;
        if (ascending)
            return rows;
        var byEpoch = new SortedDictionary<int, EpochValues>();
        foreach (var row in rows)
            byEpoch[row.Epoch] = row;
        return [.. byEpoch.Values];
    }

    private static EpochValues ParseEpoch(CsvRow row, string path, bool regression) => new(
        row.Integer<int>("epoch", path), row.Number("train_loss", path), row.Number("val_loss", path),
        row.Optional(regression ? "train_mae" : "train_accuracy", path), row.Optional(regression ? "val_mae" : "val_accuracy", path));

    /// <summary>Per epoch: sums and counts of the finite values over a cell's seeds, and the band of its losses.</summary>
    private sealed class CellSums
    {
        private readonly List<double[]> epochs = [];
        private int seeds;
        private int diverged;

        // Per epoch 12 values: (sum, count) of train, val, train metric, val metric; then train low, high, val low, high.

        public void Add(List<EpochValues> rows, bool divergedSeed)
        {
            if (rows.Count == 0)
                return;
            seeds++;
            if (divergedSeed)
                diverged++;
            foreach (var row in rows)
            {
                if (row.Epoch < 0)
                    continue;
                while (epochs.Count <= row.Epoch)
                    epochs.Add(null!);
                var slot = epochs[row.Epoch] ??= [0, 0, 0, 0, 0, 0, 0, 0, double.NaN, double.NaN, double.NaN, double.NaN];
                Sum(slot, 0, row.Train);
                Sum(slot, 2, row.Val);
                Sum(slot, 4, row.TrainMetric);
                Sum(slot, 6, row.ValMetric);
                Band(slot, 8, row.Train);
                Band(slot, 10, row.Val);
            }
        }

        private static void Sum(double[] slot, int at, double value)
        {
            if (!double.IsFinite(value))
                return;
            slot[at] += value;
            slot[at + 1]++;
        }

        private static void Band(double[] slot, int at, double value)
        {
            if (!double.IsFinite(value))
                return;
            slot[at] = double.IsNaN(slot[at]) ? value : Math.Min(slot[at], value);
            slot[at + 1] = double.IsNaN(slot[at + 1]) ? value : Math.Max(slot[at + 1], value);
        }

        public LossCurve Curve(string model, string regularizer, string variant)
        {
            var present = Enumerable.Range(0, epochs.Count).Where(e => epochs[e] is not null).ToArray();
            double[] Mean(int at) => present.Select(e => epochs[e][at + 1] == 0 ? double.NaN : epochs[e][at] / epochs[e][at + 1]).ToArray();
            double[] Value(int at) => present.Select(e => epochs[e][at]).ToArray();
            return new LossCurve(model, regularizer, variant, present, Mean(0), Mean(2), seeds, diverged)
            {
                TrainMetric = Mean(4),
                ValMetric = Mean(6),
                TrainLossLow = Value(8),
                TrainLossHigh = Value(9),
                ValLossLow = Value(10),
                ValLossHigh = Value(11),
            };
        }
    }

    private static string RequireFile(string folder, string name)
    {
        var path = Path.Combine(folder, name);
        if (!File.Exists(path))
            throw new ReportException($"'{path}' is missing: '{folder}' is not a GridSweep run folder (it needs {RunFolder.EpochsFile} and {RunFolder.TrialsFile})");
        return path;
    }

    /// <summary>One record of a results file, its fields found by the file's own header (older files lack later columns).</summary>
    private readonly record struct CsvRow(List<string> Fields, Dictionary<string, int> Columns)
    {
        public bool Has(string column) => Columns.ContainsKey(column);

        public string Get(string column, string fallback = "") => Columns.TryGetValue(column, out var i) ? Fields[i] : fallback;

        public string Text(string column, string? file = null) =>
            Columns.TryGetValue(column, out var i)
                ? Fields[i]
                : throw new ReportException($"'{file}' has no column '{column}'; is it a GridSweep results file?");

        /// <summary>A number of a column added since the first version: NaN when the file has no such column.</summary>
        public double Optional(string column, string file) => Has(column) ? Number(column, file) : double.NaN;

        public double Number(string column, string file)
        {
            var text = Text(column, file);
            try
            {
                return CsvFormat.ParseNumber(text);
            }
            catch (FormatException error)
            {
                throw new ReportException($"'{file}': trial {Get("trial_id")}: {column} '{text}' is not a number", error);
            }
        }

        public T Integer<T>(string column, string file)
            where T : System.Numerics.IBinaryInteger<T>
        {
            var text = Text(column, file);
            return T.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
                ? value
                : throw new ReportException($"'{file}': trial {Get("trial_id")}: {column} '{text}' is not a whole number");
        }
    }

    /// <summary>The records of a results file one at a time; a torn last line (crash mid-write) is skipped.</summary>
    private static IEnumerable<CsvRow> Stream(string path, string[] expectedColumns)
    {
        StreamReader reader;
        try
        {
            reader = new StreamReader(path, new FileStreamOptions { BufferSize = 1 << 16 });
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new ReportException($"cannot read '{path}': {error.Message}", error);
        }
        using (reader)
        {
            using var records = CsvFormat.ReadRecords(reader).GetEnumerator();
            if (!Next(records, path))
                yield break;
            var header = records.Current.Fields;
            var missing = expectedColumns.Take(4).Where(c => !header.Contains(c)).ToList();
            if (missing.Count > 0)
                throw new ReportException($"cannot read '{path}': {path}: header lacks column(s) {string.Join(", ", missing)}; is this a GridSweep results file?");
            var columns = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = 0; i < header.Count; i++)
                columns.TryAdd(header[i], i);
            while (Next(records, path))
            {
                var (fields, complete) = records.Current;
                if (complete && fields.Count == header.Count)
                    yield return new CsvRow(fields, columns);
            }
        }
    }

    private static bool Next(IEnumerator<(List<string> Fields, bool Complete)> records, string path)
    {
        try
        {
            return records.MoveNext();
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new ReportException($"cannot read '{path}': {error.Message}", error);
        }
    }

    /// <param name="labels">Each label string once: 100,000 trials share a handful of models and regularizers.</param>
    private static TrialRow ParseTrial(CsvRow row, string file, Dictionary<string, string> labels)
    {
        string Label(string text) => labels.TryGetValue(text, out var kept) ? kept : labels[text] = text;
        return new TrialRow(
            row.Text("trial_id", file),
            Label(row.Text("model", file)),
            Label(row.Text("regularizer", file)),
            row.Integer<long>("seed", file),
            Label(row.Get("optimizer")),
            Label(row.Text("status", file)),
            row.Integer<int>("best_epoch", file),
            row.Number("best_val_loss", file),
            row.Number("final_val_loss", file),
            row.Number("final_gap", file),
            row.Number("best_val_accuracy", file),
            row.Number("seconds", file),
            row.Get("error"))
        {
            LearningRate = Label(row.Get("learning_rate")),
            Activation = Label(row.Get("activation")),
            BatchSize = Label(row.Get("batch_size")),
            Epochs = Label(row.Get("epochs")),
            Task = Label(row.Get("task")),
            BestValMae = row.Optional("best_val_mae", file),
            EarlyStopping = Label(row.Get("early_stopping")),
            StoppedEpoch = row.Get("stopped_epoch") is { Length: > 0 } ? row.Integer<int>("stopped_epoch", file) : 0,
            StopReason = row.Get("stop_reason"),
        };
    }
}
