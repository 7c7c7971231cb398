// The pre-ledger RunFolder of commit 6d71c7d (src/Coordinator/Results/RunFolder.cs), kept only as the
// baseline of `bench ledger`: today's CSV ledger, frozen so the benchmark can set the current RunFolder beside it.
// Nothing in the product uses it; do not fix or extend it here, or the baseline stops being what shipped.
// Changes from the original: namespace, class name (CsvRunFolder), and `internal`. CsvFormat is frozen beside it; the
// shared helpers of src/Runtime it calls (AtomicFile, TrialLabels, KeptModelFiles, InputException) are not the ledger's.

using System.Globalization;
using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;
using GridSweep.Runtime.Configuration;
using GridSweep.Runtime.Files;
using GridSweep.Runtime.Trials;

namespace GridSweep.Bench.Baseline;

/// <summary>
/// A sweep's results on disk: <c>epochs.csv</c> (one row per trial and epoch) and <c>trials.csv</c>
/// (one row per finished trial), appended and flushed as results arrive so a crash loses at most the
/// epoch in flight. Opening an existing folder resumes it: finished trials are kept and skipped, the rows
/// of unfinished attempts are dropped, so every trial ends with exactly one curve and one row.
/// </summary>
internal sealed class CsvRunFolder : IDisposable
{
    public const string EpochsFile = "epochs.csv";
    public const string TrialsFile = "trials.csv";

    /// <summary>
    /// The first columns, in order, then what was added since at the end, so a reader that picks columns by
    /// position keeps working: the trial's label on every grid axis, its task, the regression metric, and its label
    /// on the early-stopping axis.
    /// </summary>
    public static readonly string[] EpochColumns =
    [
        "trial_id", "model", "regularizer", "seed", "epoch", "train_loss", "train_penalty", "val_loss", "train_accuracy", "val_accuracy", "seconds",
        "optimizer", "learning_rate", "activation", "batch_size", "epochs", "task", "train_mae", "val_mae",
        GridAxes.EarlyStopping,
    ];

    /// <summary>
    /// The issue's columns first, in order; what was added since comes after them. <c>stopped_epoch</c> is the last
    /// epoch of a trial that early stopping ended before its epoch budget, <c>stop_reason</c> why; both are empty for
    /// a trial that ran every epoch (and in folders written before early stopping).
    /// </summary>
    public static readonly string[] TrialColumns =
    [
        "trial_id", "model", "regularizer", "seed", "status", "best_epoch", "best_val_loss", "final_val_loss", "final_gap", "best_val_accuracy", "seconds", "optimizer", "error",
        "learning_rate", "activation", "batch_size", "epochs", "task", "best_val_mae",
        GridAxes.EarlyStopping, "stopped_epoch", "stop_reason",
    ];

    private readonly string epochsPath;
    private readonly FileStream owner;
    private StreamWriter epochs;
    private readonly StreamWriter trials;
    // The last epoch on file of each trial not finished yet: what a resumed attempt is reconciled with.
    private readonly Dictionary<string, int> recordedThrough = [];
    private readonly HashSet<string> finished;

    private CsvRunFolder(string path, FileStream owner, HashSet<string> finished, StreamWriter epochs, StreamWriter trials)
    {
        Path = path;
        this.owner = owner;
        epochsPath = System.IO.Path.Combine(path, EpochsFile);
        this.finished = finished;
        this.epochs = epochs;
        this.trials = trials;
    }

    public string Path { get; }

    /// <summary>The folder of the trials' kept models: <c>models/&lt;trial_id&gt;.safetensors</c> and its <c>.json</c>.</summary>
    public string ModelsPath => System.IO.Path.Combine(Path, KeptModelFiles.Folder);

    /// <summary>Ids of trials that already completed or diverged here: they are not run again.</summary>
    public IReadOnlySet<string> Finished => finished;

    /// <summary>
    /// Opens or resumes the run folder at <paramref name="path"/>. Rows written by an older version lack the
    /// columns added since; they are rewritten with them, the cell's labels taken from <paramref name="trials"/>
    /// (the sweep being resumed) by trial id, the metrics left empty.
    /// </summary>
    /// <exception cref="InputException">Another process (or open folder) has the run folder: it names the holder.</exception>
    public static CsvRunFolder Open(string path, IEnumerable<TrialSpec>? trials = null)
    {
        Directory.CreateDirectory(path);
        var owner = TakeOwnership(path);
        try
        {
            return Open(path, owner, trials);
        }
        catch
        {
            owner.Dispose();
            throw;
        }
    }

    private const string LockFile = ".lock";
    private const string HolderFile = ".lock.holder";

    /// <summary>
    /// One sweep, one owner: an exclusive lock on the folder's lock file (flock on Linux), which the operating system
    /// lets go of when the process ends however it ends, so a holder that died leaves no stale lock. Who holds it
    /// is written beside it for the message a second process gets.
    /// </summary>
    private static FileStream TakeOwnership(string path)
    {
        var lockPath = System.IO.Path.Combine(path, LockFile);
        var holderPath = System.IO.Path.Combine(path, HolderFile);
        FileStream owner;
        try
        {
            owner = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException) when (File.Exists(lockPath))
        {
            var holder = File.Exists(holderPath) ? File.ReadAllText(holderPath).Trim() : "another process";
            throw new InputException($"run folder {path} is in use by {holder}: one sweep, one owner; wait for it to finish or stop it");
        }
        File.WriteAllText(holderPath, $"host {Environment.MachineName}, process {Environment.ProcessId}, since {DateTime.UtcNow:yyyy-MM-dd HH:mm:ss} UTC");
        return owner;
    }

    private static CsvRunFolder Open(string path, FileStream owner, IEnumerable<TrialSpec>? trials)
    {
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
        if (trials is not null)
        {
            var byId = trials.ToDictionary(t => t.Id);
            FillLabels(keptEpochs, byId);
            FillLabels(keptTrials, byId);
        }
        Rewrite(epochsPath, EpochColumns, keptEpochs);
        Rewrite(trialsPath, TrialColumns, keptTrials);
        // Kept files cut off mid-transfer by a crash: the trial's next attempt sends them again whole.
        var models = System.IO.Path.Combine(path, KeptModelFiles.Folder);
        if (Directory.Exists(models))
        {
            foreach (var partial in Directory.EnumerateFiles(models, ".*.partial"))
                File.Delete(partial);
        }

        return new CsvRunFolder(path, owner, finished, AppendTo(epochsPath), AppendTo(trialsPath));
    }

    public void AppendEpoch(TrialSpec trial, EpochMetrics metrics)
    {
        var accuracy = TrialLabels.MeasuresAccuracy(trial.Task);
        epochs.WriteLine(CsvFormat.Line([
            CsvFormat.Field(trial.Id), CsvFormat.Field(trial.Model), CsvFormat.Field(trial.Regularizer), trial.Seed.ToString(CultureInfo.InvariantCulture),
            metrics.Epoch.ToString(CultureInfo.InvariantCulture),
            CsvFormat.Number(metrics.TrainLoss), CsvFormat.Number(metrics.TrainPenalty), CsvFormat.Number(metrics.ValLoss),
            Metric(metrics.TrainAccuracy, accuracy), Metric(metrics.ValAccuracy, accuracy), CsvFormat.Number(metrics.Seconds),
            .. Labels(trial),
            Metric(metrics.TrainMae, !accuracy), Metric(metrics.ValMae, !accuracy),
            CsvFormat.Field(trial.EarlyStoppingLabel),
        ]));
        recordedThrough[trial.Id] = metrics.Epoch;
    }

    /// <summary>The last epoch recorded for a trial that has not finished; 0 when none is.</summary>
    public int RecordedThrough(string trialId) => recordedThrough.GetValueOrDefault(trialId);

    /// <summary>
    /// A new attempt of a trial begins after <paramref name="resumedAfterEpoch"/> (0: from scratch), carrying its
    /// checkpoint's record of those epochs. The trial's rows end up as exactly those epochs: rows past them (an
    /// attempt that got further than its last checkpoint) are dropped, and the ones missing here (recorded by the
    /// trainer but never received, or dropped when this coordinator restarted) are written from the checkpoint.
    /// </summary>
    public void ResumeTrial(TrialSpec trial, int resumedAfterEpoch, IReadOnlyList<EpochMetrics> earlierEpochs)
    {
        if (RecordedThrough(trial.Id) > resumedAfterEpoch)
            TruncateTrial(trial.Id, resumedAfterEpoch);
        var have = RecordedThrough(trial.Id);
        foreach (var epoch in earlierEpochs.Where(e => e.Epoch > have && e.Epoch <= resumedAfterEpoch).OrderBy(e => e.Epoch))
            AppendEpoch(trial, epoch);
    }

    /// <summary>Removes every epoch row of a trial that failed for good, so a failed trial has no curve.</summary>
    public void DropTrial(string trialId) => TruncateTrial(trialId, 0);

    /// <summary>Keeps a trial's rows up to <paramref name="lastEpoch"/> only. Rewrites the file atomically; rare (see <see cref="ResumeTrial"/>).</summary>
    private void TruncateTrial(string trialId, int lastEpoch)
    {
        if (RecordedThrough(trialId) <= lastEpoch)
            return;
        epochs.Dispose();
        var kept = ReadRows(epochsPath, EpochColumns)
            .Where(row => row["trial_id"] != trialId || int.Parse(row["epoch"], CultureInfo.InvariantCulture) <= lastEpoch)
            .ToList();
        Rewrite(epochsPath, EpochColumns, kept);
        epochs = AppendTo(epochsPath);
        if (lastEpoch == 0)
            recordedThrough.Remove(trialId);
        else
            recordedThrough[trialId] = lastEpoch;
    }

    public void AppendTrial(TrialSpec trial, TrialSummary summary)
    {
        var accuracy = TrialLabels.MeasuresAccuracy(trial.Task);
        trials.WriteLine(CsvFormat.Line([
            CsvFormat.Field(trial.Id), CsvFormat.Field(trial.Model), CsvFormat.Field(trial.Regularizer), trial.Seed.ToString(CultureInfo.InvariantCulture),
            StatusName(summary.Status),
            summary.BestEpoch.ToString(CultureInfo.InvariantCulture),
            CsvFormat.Number(summary.BestValLoss), CsvFormat.Number(summary.FinalValLoss), CsvFormat.Number(summary.FinalGap),
            Metric(summary.BestValAccuracy, accuracy), CsvFormat.Number(summary.Seconds),
            CsvFormat.Field(trial.Optimizer), CsvFormat.Field(summary.Error ?? ""),
            .. Labels(trial).Skip(1), // optimizer has its column already
            Metric(summary.BestValMae, !accuracy),
            CsvFormat.Field(trial.EarlyStoppingLabel),
            summary.StoppedEarly ? summary.StoppedEpoch.ToString(CultureInfo.InvariantCulture) : "",
            CsvFormat.Field(summary.StopReason ?? ""),
        ]));
        // A finished trial is on disk with its whole curve before anyone hears of it.
        epochs.Flush();
        trials.Flush();
        if (summary.Status is TrialStatus.Completed or TrialStatus.Diverged)
            finished.Add(trial.Id);
        recordedThrough.Remove(trial.Id);
    }

    /// <summary>
    /// Pushes buffered epoch rows to the file. Epoch rows are not flushed one by one (a write per row was
    /// the largest cost per trial at scale); the coordinator calls this every second so the curves stay live.
    /// A crash loses at most that second of an unfinished attempt, whose rows are dropped on resume anyway.
    /// </summary>
    public void Flush() => epochs.Flush();

    public static string StatusName(TrialStatus status) => status.ToString().ToLowerInvariant();

    /// <summary>optimizer, learning_rate, activation, batch_size, epochs, task.</summary>
    private static IEnumerable<string> Labels(TrialSpec trial) =>
        TrialLabels.NewAxes(trial).Select(axis => CsvFormat.Field(axis.Label));

    /// <summary>A metric the task has (nan when not finite, as the losses); empty for the one it does not have.</summary>
    private static string Metric(double value, bool taskHasIt) => taskHasIt ? CsvFormat.Number(value) : "";

    private static void FillLabels(List<Dictionary<string, string>> rows, Dictionary<string, TrialSpec> trials)
    {
        foreach (var row in rows)
        {
            if (!trials.TryGetValue(row["trial_id"], out var trial))
                continue;
            foreach (var (column, label) in TrialLabels.NewAxes(trial).Append(TrialLabels.EarlyStopping(trial)))
            {
                if (string.IsNullOrEmpty(row.GetValueOrDefault(column)))
                    row[column] = label;
            }
        }
    }

    public void Dispose()
    {
        epochs.Dispose();
        trials.Dispose();
        File.Delete(System.IO.Path.Combine(Path, HolderFile));
        owner.Dispose();
    }

    /// <summary>Reads a results file into rows keyed by column; a torn last line (crash mid-write) is skipped.</summary>
    public static List<Dictionary<string, string>> ReadRows(string file, string[] expectedColumns)
    {
        var rows = new List<Dictionary<string, string>>();
        if (!File.Exists(file))
            return rows;
        using var reader = new StreamReader(file);
        using var records = CsvFormat.ReadRecords(reader).GetEnumerator();
        if (!records.MoveNext())
            return rows;
        var columns = records.Current.Fields;
        var missing = expectedColumns.Take(4).Where(c => !columns.Contains(c)).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"{file}: header lacks column(s) {string.Join(", ", missing)}; is this a GridSweep results file?");
        // Rows are keyed by the file's own header, so a folder written before columns were added reads as well.
        while (records.MoveNext())
        {
            var (fields, complete) = records.Current;
            if (!complete || fields.Count != columns.Count)
                continue;
            rows.Add(columns.Zip(fields).ToDictionary(pair => pair.First, pair => pair.Second));
        }
        return rows;
    }

    /// <summary>Replaces a results file atomically and durably (write, fsync, rename, fsync the folder): a power loss leaves the old file or the new.</summary>
    private static void Rewrite(string file, string[] columns, IEnumerable<Dictionary<string, string>> rows) =>
        AtomicFile.Write(file, stream =>
        {
            using var writer = new StreamWriter(stream, leaveOpen: true);
            writer.WriteLine(CsvFormat.Line(columns));
            foreach (var row in rows)
                writer.WriteLine(CsvFormat.Line(columns.Select(c => CsvFormat.Field(row.GetValueOrDefault(c, "")))));
        });

    private static StreamWriter AppendTo(string file) =>
        new(new FileStream(file, FileMode.Append, FileAccess.Write, FileShare.Read));
}
