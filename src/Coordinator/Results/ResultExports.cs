using System.Globalization;
using System.Text;
using System.Text.Json;
using GridSweep.Coordinator.Ledger;
using GridSweep.Messages.Trials;
using GridSweep.Runtime.Files;
using nietras.SeparatedValues;

namespace GridSweep.Coordinator.Results;

/// <summary>
/// <c>epochs.csv</c> and <c>trials.csv</c>: exports of the ledger's ended trials, in the order they ended, each
/// trial's whole curve written with its row. The files only grow between opens: what the ledger adds is appended,
/// flushed to disk, and then the export's mark (<c>.exports.json</c>: how far each file is written, up to which trial)
/// is replaced atomically. A crash mid-append leaves bytes past the mark, which the next catch-up cuts off and writes
/// again, so the files always end up equal to the ledger. When they cannot be brought up by appending (another
/// ledger, a grid that lost trials, failed trials run again, files edited or lost) they are rewritten whole,
/// atomically (write, fsync, rename, fsync the folder).
/// </summary>
public sealed class ResultExports
{
    private const string MarkFile = ".exports.json";

    private sealed record Mark(string Ledger, string Grid, long Seq, long EpochsBytes, long TrialsBytes);

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private readonly string folder;
    private readonly string ledgerId;
    private readonly string gridDigest;
    private readonly IReadOnlySet<string>? grid;
    private readonly string? grewFrom;
    private Mark mark;

    /// <param name="grid">The trials of the sweep as it is now: ended trials not in it stay in the ledger but out of the exports. Null: every trial.</param>
    /// <param name="grewFrom">The digest of the grid before, when the grid only gained trials since: exports written for it stay valid.</param>
    public ResultExports(string folder, string ledgerId, IReadOnlySet<string>? grid, string gridDigest, string? grewFrom = null)
    {
        this.folder = folder;
        this.ledgerId = ledgerId;
        this.grid = grid;
        this.gridDigest = gridDigest;
        this.grewFrom = grewFrom;
        mark = ReadMark() ?? new Mark("", "", -1, 0, 0);
    }

    private string EpochsPath => Path.Combine(folder, RunFolder.EpochsFile);

    private string TrialsPath => Path.Combine(folder, RunFolder.TrialsFile);

    /// <summary>
    /// Brings the files up to the ledger: appends what ended since the mark, or rewrites both when appending cannot
    /// make them equal (<paramref name="rewrite"/> forces that).
    /// </summary>
    public void CatchUp(SweepLedger ledger, bool rewrite = false)
    {
        if (rewrite || !CanAppend())
            RewriteAll(ledger);
        else
            Append(ledger);
    }

    private bool CanAppend() =>
        mark.Ledger == ledgerId && (mark.Grid == gridDigest || (grewFrom is not null && mark.Grid == grewFrom)) && mark.Seq >= 0 &&
        File.Exists(EpochsPath) && File.Exists(TrialsPath) &&
        new FileInfo(EpochsPath).Length >= mark.EpochsBytes && new FileInfo(TrialsPath).Length >= mark.TrialsBytes;

    private void Append(SweepLedger ledger)
    {
        var trials = ledger.EndedTrials(mark.Seq).Where(InGrid).ToList();
        if (trials.Count == 0 && new FileInfo(EpochsPath).Length == mark.EpochsBytes && new FileInfo(TrialsPath).Length == mark.TrialsBytes)
        {
            if (mark.Grid != gridDigest)
                SaveMark(mark with { Grid = gridDigest });
            return;
        }
        long epochsBytes, trialsBytes;
        using (var epochs = OpenAt(EpochsPath, mark.EpochsBytes))
        {
            WriteEpochRows(epochs, ledger, mark.Seq, trials);
            epochsBytes = epochs.Length;
        }
        using (var trialRows = OpenAt(TrialsPath, mark.TrialsBytes))
        {
            WriteTrialRows(trialRows, trials);
            trialsBytes = trialRows.Length;
        }
        SaveMark(new Mark(ledgerId, gridDigest, trials.Count > 0 ? trials[^1].Seq : mark.Seq, epochsBytes, trialsBytes));
    }

    private void RewriteAll(SweepLedger ledger)
    {
        var trials = ledger.EndedTrials(-1).Where(InGrid).ToList();
        AtomicFile.Write(EpochsPath, stream =>
        {
            WriteHeader(stream, RunFolder.EpochColumns);
            WriteEpochRows(stream, ledger, -1, trials);
        });
        AtomicFile.Write(TrialsPath, stream =>
        {
            WriteHeader(stream, RunFolder.TrialColumns);
            WriteTrialRows(stream, trials);
        });
        SaveMark(new Mark(ledgerId, gridDigest, trials.Count > 0 ? trials[^1].Seq : 0,
            new FileInfo(EpochsPath).Length, new FileInfo(TrialsPath).Length));
    }

    private bool InGrid(LedgerTrial trial) => grid is null || grid.Contains(trial.TrialId);

    /// <summary>Opens a results file for appending at <paramref name="length"/>, cutting off whatever a crash left past it.</summary>
    private static FileStream OpenAt(string path, long length)
    {
        var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        stream.SetLength(length);
        stream.Seek(0, SeekOrigin.End);
        return stream;
    }

    private static void WriteHeader(Stream stream, string[] columns) => stream.Write(Encoding.UTF8.GetBytes(string.Join(',', columns) + "\n"));

    private static void WriteEpochRows(Stream stream, SweepLedger ledger, long afterSeq, List<LedgerTrial> trials)
    {
        if (trials.Count == 0)
            return;
        var byId = trials.ToDictionary(t => t.TrialId);
        var values = new Dictionary<string, string>();
        WriteRows(stream, RunFolder.EpochColumns, values, next =>
        {
            foreach (var (trialId, metrics) in ledger.EndedTrialEpochs(afterSeq))
            {
                if (!byId.TryGetValue(trialId, out var trial))
                    continue;
                var accuracy = trial.Labels.GetValueOrDefault("task") != "regression";
                values["trial_id"] = trialId;
                foreach (var (column, label) in trial.Labels)
                    values[column] = label;
                values["epoch"] = metrics.Epoch.ToString(CultureInfo.InvariantCulture);
                values["train_loss"] = CsvFormat.Number(metrics.TrainLoss);
                values["train_penalty"] = CsvFormat.Number(metrics.TrainPenalty);
                values["val_loss"] = CsvFormat.Number(metrics.ValLoss);
                values["train_accuracy"] = Metric(metrics.TrainAccuracy, accuracy);
                values["val_accuracy"] = Metric(metrics.ValAccuracy, accuracy);
                values["seconds"] = CsvFormat.Number(metrics.Seconds);
                values["train_mae"] = Metric(metrics.TrainMae, !accuracy);
                values["val_mae"] = Metric(metrics.ValMae, !accuracy);
                next();
            }
        });
    }

    private static void WriteTrialRows(Stream stream, List<LedgerTrial> trials)
    {
        if (trials.Count == 0)
            return;
        var values = new Dictionary<string, string>();
        WriteRows(stream, RunFolder.TrialColumns, values, next =>
        {
            foreach (var trial in trials)
            {
                var summary = trial.Summary;
                var accuracy = trial.Labels.GetValueOrDefault("task") != "regression";
                values["trial_id"] = trial.TrialId;
                foreach (var (column, label) in trial.Labels)
                    values[column] = label;
                values["status"] = RunFolder.StatusName(trial.Status);
                values["best_epoch"] = summary.BestEpoch.ToString(CultureInfo.InvariantCulture);
                values["best_val_loss"] = CsvFormat.Number(summary.BestValLoss);
                values["final_val_loss"] = CsvFormat.Number(summary.FinalValLoss);
                values["final_gap"] = CsvFormat.Number(summary.FinalGap);
                values["best_val_accuracy"] = Metric(summary.BestValAccuracy, accuracy);
                values["seconds"] = CsvFormat.Number(summary.Seconds);
                values["error"] = summary.Error ?? "";
                values["best_val_mae"] = Metric(summary.BestValMae, !accuracy);
                values["stopped_epoch"] = summary.StoppedEpoch > 0 ? summary.StoppedEpoch.ToString(CultureInfo.InvariantCulture) : "";
                values["stop_reason"] = summary.StopReason ?? "";
                next();
            }
        });
    }

    /// <summary>
    /// Rows through Sep, which quotes any text that needs it (errors hold commas, quotes and line breaks); durable on
    /// return. <paramref name="produce"/> fills <paramref name="values"/> and calls its argument once per row.
    /// </summary>
    private static void WriteRows(Stream stream, string[] columns, Dictionary<string, string> values, Action<Action> produce)
    {
        var text = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
        using (var writer = Sep.New(',').Writer(o => o with { Escape = true, WriteHeader = false }).To(text, leaveOpen: true))
        {
            produce(() =>
            {
                using var row = writer.NewRow();
                // Set in the documented order: the first row fixes the writer's column order.
                foreach (var column in columns)
                    row[column].Set(values.GetValueOrDefault(column, ""));
            });
        }
        text.Flush();
        stream.Flush();
        if (stream is FileStream file)
            file.Flush(flushToDisk: true);
    }

    /// <summary>A metric the task has (nan when not finite, as the losses); empty for the one it does not have.</summary>
    private static string Metric(double value, bool taskHasIt) => taskHasIt ? CsvFormat.Number(value) : "";

    private Mark? ReadMark()
    {
        var path = Path.Combine(folder, MarkFile);
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize<Mark>(File.ReadAllBytes(path), Json) : null;
        }
        catch (JsonException)
        {
            return null; // A mark that cannot be read only costs a rewrite.
        }
    }

    private void SaveMark(Mark next)
    {
        AtomicFile.Write(Path.Combine(folder, MarkFile), JsonSerializer.SerializeToUtf8Bytes(next, Json));
        mark = next;
    }
}
