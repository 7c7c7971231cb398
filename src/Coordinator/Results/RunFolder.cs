using System.Globalization;
using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;
using GridSweep.Runtime.Configuration;
using GridSweep.Coordinator.Ledger;
using GridSweep.Messages.Protocol;
using GridSweep.Runtime.Files;
using GridSweep.Runtime.Trials;

namespace GridSweep.Coordinator.Results;

/// <summary>
/// A sweep's run folder and its ledger. The ledger (by default <c>ledger.db</c>, SQLite, in the folder; or a PostgreSQL
/// database) is the coordinator's memory: every epoch as it arrives, every trial's end. <c>epochs.csv</c> (one row per
/// trial and epoch) and <c>trials.csv</c> (one row per ended trial) are its exports, brought up to date whenever trials
/// end. Writes go through <see cref="LedgerWriter"/>, off the caller's thread. Opening an existing folder resumes it:
/// finished trials are kept and skipped, failed ones run again, and the epochs of unfinished attempts stay until their
/// next attempt says which of them its checkpoint has, so every trial ends with exactly one curve and one row. A folder
/// written by a version before the ledger is imported from its CSV files on first open.
/// </summary>
/// <summary>Another live process holds the run folder or the sweep in its ledger; the message names it.</summary>
public sealed class SweepInUseException(string message) : InputException(message);

/// <summary>
/// How the sweep coordinator gets its run folder: already open (a run, or the first coordinator, which refuse to start
/// when the sweep is in use), or opened when the coordinator starts on this node, waiting while another live
/// coordinator still holds the sweep (a standby taking over). Whoever opened it, the launcher reads and closes it.
/// </summary>
public sealed class RunFolderSource
{
    private readonly Func<RunFolder> open;

    private RunFolderSource(Func<RunFolder> open, bool waitsWhileInUse)
    {
        this.open = open;
        WaitsWhileInUse = waitsWhileInUse;
    }

    /// <summary>The run folder, once open.</summary>
    public RunFolder? Current { get; private set; }

    public bool WaitsWhileInUse { get; }

    public static RunFolderSource Opened(RunFolder folder) => new(() => folder, waitsWhileInUse: false) { Current = folder };

    public static RunFolderSource OnTakeover(Func<RunFolder> open) => new(open, waitsWhileInUse: true);

    /// <exception cref="SweepInUseException">Another live process holds the sweep.</exception>
    public RunFolder Open() => Current ??= open();
}

/// <summary>What a sweep file's grid gained (trained now) and lost (kept in the ledger, out of counts, report and exports).</summary>
public sealed record GridChange(IReadOnlyList<string> Added, IReadOnlyList<string> Removed);

/// <summary>What a run is made from: the sweep file's text and, when this process trains, the identity of its data.</summary>
public sealed record SweepSource(string? SpecText, DataIdentity? Data);

public sealed class RunFolder : IDisposable
{
    public const string EpochsFile = "epochs.csv";
    public const string TrialsFile = "trials.csv";
    public const string LedgerFile = "ledger.db";

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

    private readonly FileStream owner;
    private readonly LedgerWriter writer;
    private readonly SweepLedger ledger;
    // The last epoch recorded of each trial not finished yet: what a resumed attempt is reconciled with.
    private readonly Dictionary<string, int> recordedThrough;
    private readonly HashSet<string> finished;
    private long lastSeq;
    private int disposed;

    private RunFolder(string path, FileStream owner, SweepLedger ledger, ResultExports exports, HashSet<string> finished,
        Dictionary<string, int> recordedThrough, long lastSeq, string ledgerDescription, GridChange? gridChange, DataIdentity? recordedData,
        IReadOnlyDictionary<string, (int Attempt, string NodeId)> attempts, IReadOnlyDictionary<string, IReadOnlyList<LedgerFailure>> failures)
    {
        Attempts = attempts;
        Failures = failures;
        GridChange = gridChange;
        RecordedData = recordedData;
        Path = path;
        this.owner = owner;
        this.ledger = ledger;
        this.finished = finished;
        this.recordedThrough = recordedThrough;
        this.lastSeq = lastSeq;
        LedgerDescription = ledgerDescription;
        writer = new LedgerWriter(ledger, l => exports.CatchUp(l), warning => Console.Error.WriteLine($"ledger: {warning}"));
    }

    public string Path { get; }

    /// <summary>
    /// Completes when the ledger's writer stopped on its own (the run folder's disk is full): the ledger and exports hold
    /// what was written before, whole; nothing more is recorded, so the sweep must stop.
    /// </summary>
    public Task<StorageFullException> WritingStopped => writer.Stopped.ContinueWith(
        stopped => stopped.Result as StorageFullException ?? StorageFullException.In(Path, stopped.Result, "give another --out"),
        CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    /// <summary>What the sweep file's grid gained and lost since the ledger last saw it; null when it is the same (or new).</summary>
    public GridChange? GridChange { get; }

    /// <summary>The data the sweep's results were trained on, once known (from local slots or the first trainer that said).</summary>
    public DataIdentity? RecordedData { get; private set; }

    /// <summary>The last attempt given out of every trial when the ledger was opened, with its node: numbering goes on from there.</summary>
    public IReadOnlyDictionary<string, (int Attempt, string NodeId)> Attempts { get; }

    /// <summary>The failed attempts of every trial not finished when the ledger was opened: retries count on from them.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<LedgerFailure>> Failures { get; }

    /// <summary>Where the ledger is, for messages (never a password).</summary>
    public string LedgerDescription { get; }

    /// <summary>The folder of the trials' kept models: <c>models/&lt;trial_id&gt;.safetensors</c> and its <c>.json</c>.</summary>
    public string ModelsPath => System.IO.Path.Combine(Path, KeptModelFiles.Folder);

    /// <summary>Ids of trials that already completed or diverged here: they are not run again.</summary>
    public IReadOnlySet<string> Finished => finished;

    /// <summary>
    /// Opens or resumes the run folder at <paramref name="path"/> with its ledger (<paramref name="database"/>, by default
    /// <c>ledger.db</c> in the folder). <paramref name="trials"/> is the sweep as it is now: ended trials of the ledger
    /// that are not in it stay in the ledger but out of <see cref="Finished"/> and the exports.
    /// </summary>
    /// <exception cref="InputException">Another process (or open folder) has the run folder or the sweep: it names the holder.</exception>
    /// <param name="source">The sweep file's text and the data this process trains on, recorded in the ledger and
    /// checked against what it recorded before: other data is refused with what differs.</param>
    public static RunFolder Open(string path, IEnumerable<TrialSpec>? trials = null, LedgerDatabase? database = null, SweepSource? source = null)
    {
        // The outermost folder this call creates, removed again if the disk is full before the ledger is whole.
        string? created = null;
        for (var folder = System.IO.Path.GetFullPath(path); folder is not null && !Directory.Exists(folder); folder = System.IO.Path.GetDirectoryName(folder))
            created = folder;
        FileStream owner;
        try
        {
            Directory.CreateDirectory(path);
            owner = TakeOwnership(path);
        }
        catch (Exception error) when (StorageFullException.Is(error))
        {
            throw Full(path, created, error);
        }
        try
        {
            return Open(path, owner, trials?.ToList(), database ?? LedgerDatabase.Sqlite(System.IO.Path.Combine(path, LedgerFile)), source);
        }
        catch (Exception error)
        {
            owner.Dispose();
            File.Delete(System.IO.Path.Combine(path, HolderFile));
            if (StorageFullException.Is(error))
                throw Full(path, created, error);
            throw;
        }
    }

    /// <summary>A full disk at start: a folder this call created goes again (nothing half-written); an existing one is kept as it was.</summary>
    private static StorageFullException Full(string path, string? created, Exception error)
    {
        if (created is not null)
        {
            try
            {
                Directory.Delete(created, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Left for the next run, which resumes from it.
            }
        }
        return StorageFullException.In(path, error, "give another --out");
    }

    private const string LockFile = ".lock";
    private const string HolderFile = ".lock.holder";

    private static string Holder() =>
        $"host {Environment.MachineName}, process {Environment.ProcessId}, since {DateTime.UtcNow:yyyy-MM-dd HH:mm:ss} UTC";

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
            throw new SweepInUseException($"run folder {path} is in use by {holder}: one sweep, one owner; wait for it to finish or stop it");
        }
        File.WriteAllText(holderPath, Holder());
        return owner;
    }

    private static RunFolder Open(string path, FileStream owner, List<TrialSpec>? trials, LedgerDatabase database, SweepSource? source)
    {
        var sweep = trials?.FirstOrDefault()?.Sweep ?? System.IO.Path.GetFileName(System.IO.Path.GetFullPath(path));
        SweepLedger ledger;
        try
        {
            ledger = SweepLedger.Open(database, sweep);
        }
        catch (LedgerInUseException error)
        {
            throw new SweepInUseException(error.Message);
        }
        catch (Npgsql.NpgsqlException error)
        {
            // Unreachable, or the credentials refused: the settings' fault, said without the password.
            throw new InputException(
                $"{SettingName.Of<SweepOptions>(nameof(SweepOptions.Ledger))}: cannot open the ledger {database.Description}: {Redaction.Url(error.Message)}; " +
                $"check the URL and its password (--ledger-password-file or {LedgerSettings.PasswordVariable})", error);
        }
        try
        {
            var recovery = ledger.Recover(Holder());
            if (recovery.IsNew && ImportCsvFolder(path, ledger, trials))
                recovery = ledger.Recover(Holder());
            var grid = trials?.Select(t => t.Id).ToHashSet();
            var recordedData = CheckData(ledger, source?.Data, path);
            var gridIds = grid is null ? null : SortedLines(grid);
            var (gridChange, grewFrom) = RecordSweep(ledger, grid, gridIds, source?.SpecText);
            // Failed trials run again: their rows leave the ledger (and so the exports) until they end again.
            var rerun = recovery.Ended.Where(e => e.Value == TrialStatus.Failed && (grid is null || grid.Contains(e.Key))).Select(e => e.Key).ToList();
            if (rerun.Count > 0)
                ledger.ForgetTrials(rerun);
            var exports = new ResultExports(path, recovery.LedgerId, grid, gridIds is null ? "all" : Digest(gridIds), grewFrom);
            exports.CatchUp(ledger, rewrite: rerun.Count > 0);

            // Kept files cut off mid-transfer by a crash: the trial's next attempt sends them again whole.
            var models = System.IO.Path.Combine(path, KeptModelFiles.Folder);
            if (Directory.Exists(models))
            {
                foreach (var partial in Directory.EnumerateFiles(models, ".*.partial"))
                    File.Delete(partial);
            }

            var finished = recovery.Ended
                .Where(e => e.Value is TrialStatus.Completed or TrialStatus.Diverged && (grid is null || grid.Contains(e.Key)))
                .Select(e => e.Key).ToHashSet();
            var recordedThrough = recovery.RecordedThrough.ToDictionary();
            return new RunFolder(path, owner, ledger, exports, finished, recordedThrough, recovery.LastSeq, database.Description, gridChange, recordedData,
                recovery.Attempts, recovery.Failures);
        }
        catch
        {
            ledger.Dispose();
            throw;
        }
    }

    /// <summary>The data's identity as JSON in the sweep's row (its digest is derived from it).</summary>
    private const string DataColumn = "data_description";

    private static readonly System.Text.Json.JsonSerializerOptions DataJson = new() { PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower };

    /// <summary>
    /// The ledger's numbers were trained on one set of data: resuming with other data would mix them silently (same
    /// trial ids, different results), so it is refused with what differs. The first run that knows its data records it.
    /// </summary>
    private static DataIdentity? CheckData(SweepLedger ledger, DataIdentity? data, string path)
    {
        var recorded = ledger.SweepText(DataColumn) is { } json ? System.Text.Json.JsonSerializer.Deserialize<DataIdentity>(json, DataJson) : null;
        if (data is null)
            return recorded;
        if (recorded is null)
        {
            ledger.SetSweepText(DataColumn, System.Text.Json.JsonSerializer.Serialize(data, DataJson));
            return data;
        }
        var differences = data.DifferencesFrom(recorded);
        if (differences.Count > 0)
        {
            throw new InputException(
                $"{path}: the sweep's ledger holds results trained on other data than this run's; resuming would mix them:" +
                string.Concat(differences.Select(d => $"{Environment.NewLine}  {d}")) +
                $"{Environment.NewLine}give the data it was made from, or another --out for a new sweep");
        }
        return recorded;
    }

    /// <summary>
    /// Keeps a copy of the sweep file and its grid in the ledger; says what the grid gained and lost since the last run,
    /// and, when it only gained trials, the digest of the grid before (exports written for it need no rewrite).
    /// </summary>
    /// <param name="ids">The grid's trial ids, sorted, one per line: how the ledger keeps them.</param>
    private static (GridChange? Change, string? GrewFrom) RecordSweep(SweepLedger ledger, HashSet<string>? grid, string? ids, string? specText)
    {
        if (specText is not null && ledger.SweepText("spec_text") != specText)
            ledger.SetSweepText("spec_text", specText);
        if (grid is null || ids is null)
            return (null, null);
        var before = ledger.SweepText("grid_ids");
        if (before == ids)
            return (null, null);
        ledger.SetSweepText("grid_ids", ids);
        if (before is null)
            return (null, null);
        var earlier = before.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        var added = grid.Where(id => !earlier.Contains(id)).Order(StringComparer.Ordinal).ToList();
        var removed = earlier.Where(id => !grid.Contains(id)).Order(StringComparer.Ordinal).ToList();
        return (new GridChange(added, removed), removed.Count == 0 ? Digest(before) : null);
    }

    /// <summary>
    /// A trainer's data against the ledger's: null when it may train for this sweep (the first to say records it),
    /// else what differs. Called from the coordinator's thread; the record is written by the ledger's.
    /// </summary>
    public IReadOnlyList<string>? DataDifferences(DataIdentity data)
    {
        if (RecordedData is null)
        {
            RecordedData = data;
            writer.SetSweepText(DataColumn, System.Text.Json.JsonSerializer.Serialize(data, DataJson));
            return null;
        }
        var differences = data.DifferencesFrom(RecordedData);
        return differences.Count == 0 ? null : differences;
    }

    /// <summary>
    /// The ids in ordinal order, one a line. A grid's ids are 12 lowercase hex digits, whose ordinal order is their
    /// numeric order: sorted as numbers, a million take about a tenth of the CPU that comparing strings took (3.6 s).
    /// </summary>
    internal static string SortedLines(IReadOnlyCollection<string> ids)
    {
        const int width = TrialId.Length;
        var keys = new ulong[ids.Count];
        var count = 0;
        foreach (var id in ids)
        {
            if (id.Length != width || id.AsSpan().ContainsAnyExcept(LowerHex))
                return string.Join('\n', ids.Order(StringComparer.Ordinal));
            keys[count++] = ulong.Parse(id, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        }
        if (count == 0)
            return "";
        Array.Sort(keys);
        return string.Create(count * (width + 1) - 1, keys, static (text, sorted) =>
        {
            for (var i = 0; i < sorted.Length; i++)
            {
                sorted[i].TryFormat(text.Slice(i * (width + 1), width), out _, "x12", CultureInfo.InvariantCulture);
                if (i + 1 < sorted.Length)
                    text[i * (width + 1) + width] = '\n';
            }
        });
    }

    private static readonly System.Buffers.SearchValues<char> LowerHex = System.Buffers.SearchValues.Create("0123456789abcdef");

    /// <summary>A digest of the grid's sorted trial ids: the exports are rewritten when the grid lost trials.</summary>
    private static string Digest(string ids) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(ids)));

    /// <summary>
    /// Imports a run folder written before the ledger: its finished trials and their curves (one row each, the last
    /// written), with the labels of columns added since taken from <paramref name="trials"/>. False when there is none.
    /// </summary>
    private static bool ImportCsvFolder(string path, SweepLedger ledger, List<TrialSpec>? trials)
    {
        var trialsPath = System.IO.Path.Combine(path, TrialsFile);
        var epochsPath = System.IO.Path.Combine(path, EpochsFile);
        if (!File.Exists(trialsPath))
            return false;
        var trialRows = ReadRows(trialsPath, TrialColumns);
        var finishedIds = trialRows.Where(row => row["status"] is "completed" or "diverged").Select(row => row["trial_id"]).ToHashSet();
        var keptTrials = trialRows.Where(row => finishedIds.Contains(row["trial_id"]))
            .GroupBy(row => row["trial_id"]).Select(group => group.Last()).ToList();
        var keptEpochs = ReadRows(epochsPath, EpochColumns)
            .Where(row => finishedIds.Contains(row["trial_id"]))
            .GroupBy(row => (row["trial_id"], row["epoch"])).Select(group => group.Last()).ToList();
        if (trials is not null)
        {
            var byId = trials.ToDictionary(t => t.Id);
            FillLabels(keptEpochs, byId);
            FillLabels(keptTrials, byId);
        }
        ledger.InTransaction(() =>
        {
            foreach (var row in keptEpochs)
                ledger.RecordEpoch(row["trial_id"], EpochFromRow(row));
            long seq = 0;
            foreach (var row in keptTrials)
                ledger.EndTrial(row["trial_id"], ++seq, SweepLedger.LabelColumns.ToDictionary(c => c, c => row.GetValueOrDefault(c, "")), SummaryFromRow(row));
        });
        return true;
    }

    private static EpochMetrics EpochFromRow(Dictionary<string, string> row) => new(
        int.Parse(row["epoch"], CultureInfo.InvariantCulture), Value(row, "train_loss"), Value(row, "train_penalty"), Value(row, "val_loss"),
        Value(row, "train_accuracy"), Value(row, "val_accuracy"), Value(row, "seconds"), Value(row, "train_mae"), Value(row, "val_mae"));

    private static TrialSummary SummaryFromRow(Dictionary<string, string> row) => new(
        SweepLedger.ParseStatus(row["status"]), int.TryParse(row.GetValueOrDefault("best_epoch"), CultureInfo.InvariantCulture, out var best) ? best : 0,
        Value(row, "best_val_loss"), Value(row, "final_val_loss"), Value(row, "final_gap"), Value(row, "best_val_accuracy"), Value(row, "seconds"),
        row.GetValueOrDefault("error") is { Length: > 0 } error ? error : null, Value(row, "best_val_mae"),
        int.TryParse(row.GetValueOrDefault("stopped_epoch"), CultureInfo.InvariantCulture, out var stopped) ? stopped : 0,
        row.GetValueOrDefault("stop_reason") is { Length: > 0 } reason ? reason : null);

    private static double Value(Dictionary<string, string> row, string column) => CsvFormat.ParseNumber(row.GetValueOrDefault(column, ""));

    /// <summary>An attempt given out to a node, recorded before the trainer hears of it.</summary>
    public void StartAttempt(TrialSpec trial, int attempt, string nodeId) => writer.RecordAttempt(trial.Id, attempt, nodeId);

    /// <summary>An attempt that failed; recorded again with <paramref name="excused"/> when its node is quarantined for it.</summary>
    public void FailAttempt(TrialSpec trial, int attempt, string nodeId, string reason, bool excused) =>
        writer.RecordFailure(trial.Id, attempt, nodeId, reason, excused);

    /// <summary>
    /// A trial's whole curve as its trainer holds it (sent with its end, or after a coordinator took over): the
    /// ledger ends up with exactly those epochs, whatever of them was lost on the way.
    /// </summary>
    public void ReplaceCurve(TrialSpec trial, IReadOnlyList<EpochMetrics> epochs)
    {
        writer.TruncateTrial(trial.Id, epochs.Count == 0 ? 0 : epochs.Max(e => e.Epoch));
        recordedThrough.Remove(trial.Id);
        foreach (var epoch in epochs.OrderBy(e => e.Epoch))
            AppendEpoch(trial, epoch);
    }

    /// <summary>Completes once everything recorded so far is in the ledger and the exports; never blocks the caller.</summary>
    public Task FlushAsync() => writer.WaitAsync();

    public void AppendEpoch(TrialSpec trial, EpochMetrics metrics)
    {
        writer.RecordEpoch(trial.Id, metrics);
        recordedThrough[trial.Id] = metrics.Epoch;
    }

    /// <summary>The last epoch recorded for a trial that has not finished; 0 when none is.</summary>
    public int RecordedThrough(string trialId) => recordedThrough.GetValueOrDefault(trialId);

    /// <summary>
    /// A new attempt of a trial begins after <paramref name="resumedAfterEpoch"/> (0: from scratch), carrying its
    /// checkpoint's (or, for an adopted attempt, its trainer's) record of those epochs. The trial's rows end up as
    /// exactly those epochs: rows past them (an attempt that got further than its last checkpoint) are dropped, and the
    /// ones missing here (never received, or lost in a takeover) are written from the record.
    /// </summary>
    public void ResumeTrial(TrialSpec trial, int resumedAfterEpoch, IReadOnlyList<EpochMetrics> earlierEpochs) =>
        ReplaceCurve(trial, earlierEpochs.Where(e => e.Epoch <= resumedAfterEpoch).ToList());

    /// <summary>Removes every epoch row of a trial that failed for good, so a failed trial has no curve.</summary>
    public void DropTrial(string trialId) => TruncateTrial(trialId, 0);

    /// <summary>Keeps a trial's rows up to <paramref name="lastEpoch"/> only: a range delete in the ledger, whatever its size.</summary>
    private void TruncateTrial(string trialId, int lastEpoch)
    {
        if (RecordedThrough(trialId) <= lastEpoch)
            return;
        writer.TruncateTrial(trialId, lastEpoch);
        if (lastEpoch == 0)
            recordedThrough.Remove(trialId);
        else
            recordedThrough[trialId] = lastEpoch;
    }

    /// <summary>The trial's end (completed, diverged or failed for good): its row in the ledger and, soon after, in the exports.</summary>
    public void AppendTrial(TrialSpec trial, TrialSummary summary)
    {
        writer.EndTrial(trial.Id, ++lastSeq, SweepLedger.Labels(trial), summary);
        if (summary.Status is TrialStatus.Completed or TrialStatus.Diverged)
            finished.Add(trial.Id);
        recordedThrough.Remove(trial.Id);
    }

    /// <summary>Reads the ledger on its own thread once everything recorded before is written; never blocks the caller.</summary>
    public Task<T> ReadLedgerAsync<T>(Func<SweepLedger, T> read) => writer.ReadAsync(read);

    /// <summary>The epochs the ledger holds of a trial, finished or not, once everything recorded before is written.</summary>
    public IReadOnlyList<EpochMetrics> RecordedEpochs(string trialId) => writer.ReadAsync(l => l.Epochs(trialId)).GetAwaiter().GetResult();

    /// <summary>Blocks until everything recorded so far is in the ledger and the exports (the report reads the exports).</summary>
    public void Flush() => writer.WaitAsync().GetAwaiter().GetResult();

    public static string StatusName(TrialStatus status) => status.ToString().ToLowerInvariant();

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

    /// <summary>Writes what is queued, then lets go of the ledger and the folder.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1)
            return;
        writer.Dispose();
        ledger.Dispose();
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
}
