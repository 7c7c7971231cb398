using System.Globalization;
using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;

namespace GridSweep.Coordinator.Results;

/// <summary>
/// A sweep's results on disk: <c>epochs.csv</c> (one row per trial and epoch) and <c>trials.csv</c>
/// (one row per finished trial), appended and flushed as results arrive so a crash loses at most the
/// epoch in flight. Opening an existing folder resumes it: finished trials are kept and skipped, the rows
/// of unfinished attempts are dropped, so every trial ends with exactly one curve and one row.
/// </summary>
public sealed class RunFolder : IDisposable
{
    public const string EpochsFile = "epochs.csv";
    public const string TrialsFile = "trials.csv";

    public static readonly string[] EpochColumns =
        ["trial_id", "model", "regularizer", "seed", "epoch", "train_loss", "train_penalty", "val_loss", "train_accuracy", "val_accuracy", "seconds"];

    /// <summary>The issue's columns first, in order; what was added since comes after them.</summary>
    public static readonly string[] TrialColumns =
        ["trial_id", "model", "regularizer", "seed", "status", "best_epoch", "best_val_loss", "final_val_loss", "final_gap", "best_val_accuracy", "seconds", "optimizer", "error"];

    private readonly string epochsPath;
    private StreamWriter epochs;
    private readonly StreamWriter trials;
    private readonly HashSet<string> withEpochRows = [];
    private readonly HashSet<string> finished;

    private RunFolder(string path, HashSet<string> finished, StreamWriter epochs, StreamWriter trials)
    {
        Path = path;
        epochsPath = System.IO.Path.Combine(path, EpochsFile);
        this.finished = finished;
        this.epochs = epochs;
        this.trials = trials;
    }

    public string Path { get; }

    /// <summary>Ids of trials that already completed or diverged here: they are not run again.</summary>
    public IReadOnlySet<string> Finished => finished;

    public static RunFolder Open(string path)
    {
        Directory.CreateDirectory(path);
        var epochsPath = System.IO.Path.Combine(path, EpochsFile);
        var trialsPath = System.IO.Path.Combine(path, TrialsFile);

        var trialRows = ReadRows(trialsPath, TrialColumns);
        var finished = trialRows
            .Where(row => row["status"] is "completed" or "diverged")
            .Select(row => row["trial_id"])
            .ToHashSet();
        // Keep one row per finished trial (the last written) and only the curves of finished trials.
        var keptTrials = trialRows.Where(row => finished.Contains(row["trial_id"]))
            .GroupBy(row => row["trial_id"]).Select(group => group.Last()).ToList();
        var keptEpochs = ReadRows(epochsPath, EpochColumns)
            .Where(row => finished.Contains(row["trial_id"]))
            .GroupBy(row => (row["trial_id"], row["epoch"])).Select(group => group.Last()).ToList();
        Rewrite(epochsPath, EpochColumns, keptEpochs);
        Rewrite(trialsPath, TrialColumns, keptTrials);

        return new RunFolder(path, finished, AppendTo(epochsPath), AppendTo(trialsPath));
    }

    public void AppendEpoch(TrialSpec trial, EpochMetrics metrics)
    {
        epochs.WriteLine(CsvFormat.Line([
            trial.Id, trial.Model, trial.Regularizer, trial.Seed.ToString(CultureInfo.InvariantCulture),
            metrics.Epoch.ToString(CultureInfo.InvariantCulture),
            CsvFormat.Number(metrics.TrainLoss), CsvFormat.Number(metrics.TrainPenalty), CsvFormat.Number(metrics.ValLoss),
            CsvFormat.Number(metrics.TrainAccuracy), CsvFormat.Number(metrics.ValAccuracy), CsvFormat.Number(metrics.Seconds),
        ]));
        withEpochRows.Add(trial.Id);
    }

    /// <summary>
    /// Removes the epoch rows of an abandoned attempt (its trainer was lost, it failed, or it was handed
    /// back), so the next attempt's curve replaces it instead of doubling it. Rewrites the file atomically;
    /// only happens when attempts are abandoned, which is rare.
    /// </summary>
    public void DropTrial(string trialId)
    {
        if (!withEpochRows.Remove(trialId))
            return;
        epochs.Dispose();
        var kept = ReadRows(epochsPath, EpochColumns).Where(row => row["trial_id"] != trialId).ToList();
        Rewrite(epochsPath, EpochColumns, kept);
        epochs = AppendTo(epochsPath);
    }

    public void AppendTrial(TrialSpec trial, TrialSummary summary)
    {
        trials.WriteLine(CsvFormat.Line([
            trial.Id, trial.Model, trial.Regularizer, trial.Seed.ToString(CultureInfo.InvariantCulture),
            StatusName(summary.Status),
            summary.BestEpoch.ToString(CultureInfo.InvariantCulture),
            CsvFormat.Number(summary.BestValLoss), CsvFormat.Number(summary.FinalValLoss), CsvFormat.Number(summary.FinalGap),
            CsvFormat.Number(summary.BestValAccuracy), CsvFormat.Number(summary.Seconds),
            trial.Optimizer, CsvFormat.Field(summary.Error ?? ""),
        ]));
        // A finished trial is on disk with its whole curve before anyone hears of it.
        epochs.Flush();
        trials.Flush();
        if (summary.Status is TrialStatus.Completed or TrialStatus.Diverged)
            finished.Add(trial.Id);
    }

    /// <summary>
    /// Pushes buffered epoch rows to the file. Epoch rows are not flushed one by one (a write per row was
    /// the largest cost per trial at scale); the coordinator calls this every second so the curves stay live.
    /// A crash loses at most that second of an unfinished attempt, whose rows are dropped on resume anyway.
    /// </summary>
    public void Flush() => epochs.Flush();

    public static string StatusName(TrialStatus status) => status.ToString().ToLowerInvariant();

    public void Dispose()
    {
        epochs.Dispose();
        trials.Dispose();
    }

    /// <summary>Reads a results file into rows keyed by column; a torn last line (crash mid-write) is skipped.</summary>
    public static List<Dictionary<string, string>> ReadRows(string file, string[] expectedColumns)
    {
        var rows = new List<Dictionary<string, string>>();
        if (!File.Exists(file))
            return rows;
        using var reader = new StreamReader(file);
        var header = reader.ReadLine();
        if (header is null)
            return rows;
        var columns = CsvFormat.Split(header);
        var missing = expectedColumns.Take(4).Where(c => !columns.Contains(c)).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"{file}: header lacks column(s) {string.Join(", ", missing)}; is this a GridSweep results file?");
        while (reader.ReadLine() is { } line)
        {
            var fields = CsvFormat.Split(line);
            if (fields.Count != columns.Count)
                continue;
            rows.Add(columns.Zip(fields).ToDictionary(pair => pair.First, pair => pair.Second));
        }
        return rows;
    }

    private static void Rewrite(string file, string[] columns, IEnumerable<Dictionary<string, string>> rows)
    {
        var temporary = file + ".tmp";
        using (var writer = new StreamWriter(temporary))
        {
            writer.WriteLine(CsvFormat.Line(columns));
            foreach (var row in rows)
                writer.WriteLine(CsvFormat.Line(columns.Select(c => CsvFormat.Field(row.GetValueOrDefault(c, "")))));
        }
        File.Move(temporary, file, overwrite: true);
    }

    private static StreamWriter AppendTo(string file) =>
        new(new FileStream(file, FileMode.Append, FileAccess.Write, FileShare.Read));
}
