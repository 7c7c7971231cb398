using System.Data;
using System.Data.Common;
using GridSweep.Coordinator.Results;
using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;
using GridSweep.Runtime.Trials;
using System.Globalization;

namespace GridSweep.Coordinator.Ledger;

/// <summary>A finished (or failed) trial as the ledger holds it: its labels as the CSV columns write them, and its result.</summary>
public sealed record LedgerTrial(
    string TrialId, long Seq, IReadOnlyDictionary<string, string> Labels, TrialStatus Status, TrialSummary Summary);

/// <summary>What a reopened ledger knows: the trials that ended, and the last epoch recorded of each one that has not.</summary>
/// <param name="Attempts">The last attempt given out of every trial, with the node it went to.</param>
/// <param name="Failures">The failed attempts of every trial not ended, in order: a resumed sweep counts their retries on.</param>
public sealed record LedgerRecovery(
    string LedgerId, bool IsNew, IReadOnlyDictionary<string, TrialStatus> Ended, IReadOnlyDictionary<string, int> RecordedThrough, long LastSeq,
    IReadOnlyDictionary<string, (int Attempt, string NodeId)> Attempts, IReadOnlyDictionary<string, IReadOnlyList<LedgerFailure>> Failures);

/// <summary>A failed attempt; <paramref name="Excused"/> when its node was quarantined for it, so it does not count against the trial's retries.</summary>
public sealed record LedgerFailure(int Attempt, string NodeId, string Reason, bool Excused);

/// <summary>
/// One sweep's rows in the ledger database: its trials (one row each, written when the trial ends), their epochs
/// (one row per trial and epoch, written as they arrive) and the sweep itself. Every write is idempotent (upserts and
/// range deletes), so a batch retried after an error, or replayed after a crash, leaves the same rows. Not thread-safe:
/// one connection, used by one thread at a time (<see cref="LedgerWriter"/> once the sweep runs).
/// </summary>
public sealed class SweepLedger : IDisposable
{
    /// <summary>The label columns of a trial, as <c>trials.csv</c> and <c>epochs.csv</c> name them.</summary>
    public static readonly string[] LabelColumns =
        ["model", "regularizer", "seed", "optimizer", "learning_rate", "activation", "batch_size", "epochs", "task", "early_stopping"];

    private static readonly string[] EpochValueColumns =
        ["train_loss", "train_penalty", "val_loss", "train_accuracy", "val_accuracy", "seconds", "train_mae", "val_mae"];

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS gridsweep_sweeps (
            sweep TEXT PRIMARY KEY,
            ledger_id TEXT NOT NULL,
            created TEXT NOT NULL,
            holder TEXT,
            spec_text TEXT,
            grid_ids TEXT,
            data_description TEXT);
        CREATE TABLE IF NOT EXISTS gridsweep_trials (
            sweep TEXT NOT NULL,
            trial_id TEXT NOT NULL,
            seq BIGINT NOT NULL,
            model TEXT, regularizer TEXT, seed TEXT, optimizer TEXT, learning_rate TEXT, activation TEXT,
            batch_size TEXT, epochs TEXT, task TEXT, early_stopping TEXT,
            status TEXT NOT NULL,
            best_epoch INTEGER NOT NULL,
            best_val_loss DOUBLE PRECISION, final_val_loss DOUBLE PRECISION, final_gap DOUBLE PRECISION,
            best_val_accuracy DOUBLE PRECISION, best_val_mae DOUBLE PRECISION, seconds DOUBLE PRECISION,
            error TEXT, stopped_epoch INTEGER NOT NULL, stop_reason TEXT,
            PRIMARY KEY (sweep, trial_id));
        CREATE INDEX IF NOT EXISTS gridsweep_trials_by_seq ON gridsweep_trials (sweep, seq);
        CREATE TABLE IF NOT EXISTS gridsweep_epochs (
            sweep TEXT NOT NULL,
            trial_id TEXT NOT NULL,
            epoch INTEGER NOT NULL,
            train_loss DOUBLE PRECISION, train_penalty DOUBLE PRECISION, val_loss DOUBLE PRECISION,
            train_accuracy DOUBLE PRECISION, val_accuracy DOUBLE PRECISION, seconds DOUBLE PRECISION,
            train_mae DOUBLE PRECISION, val_mae DOUBLE PRECISION,
            PRIMARY KEY (sweep, trial_id, epoch));
        CREATE TABLE IF NOT EXISTS gridsweep_attempts (
            sweep TEXT NOT NULL,
            trial_id TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            node_id TEXT NOT NULL,
            started TEXT NOT NULL,
            PRIMARY KEY (sweep, trial_id, attempt));
        CREATE TABLE IF NOT EXISTS gridsweep_failures (
            sweep TEXT NOT NULL,
            trial_id TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            node_id TEXT NOT NULL,
            reason TEXT NOT NULL,
            excused INTEGER NOT NULL,
            PRIMARY KEY (sweep, trial_id, attempt));
        """;

    private readonly DbConnection connection;
    private DbTransaction? transaction;
    private DbCommand? insertEpoch, truncateTrial, upsertTrial, insertAttempt, upsertFailure;

    private SweepLedger(DbConnection connection, string sweep)
    {
        this.connection = connection;
        Sweep = sweep;
    }

    public string Sweep { get; }

    /// <summary>Connects, creates the tables when missing and claims the sweep (see <see cref="LedgerDatabase.TryClaim"/>).</summary>
    /// <exception cref="LedgerInUseException">Another live process holds the sweep in this ledger.</exception>
    public static SweepLedger Open(LedgerDatabase database, string sweep)
    {
        var connection = database.Connect();
        try
        {
            var ledger = new SweepLedger(connection, sweep);
            ledger.Execute(Schema);
            if (database.TryClaim(connection, sweep) is { } holder)
                throw new LedgerInUseException($"sweep {sweep} in the ledger at {database.Description} is in use by {holder}: one sweep, one owner; wait for it to finish or stop it");
            return ledger;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Reads what the sweep's ledger knows; creates its sweep row when there is none.</summary>
    public LedgerRecovery Recover(string holder)
    {
        var isNew = false;
        var ledgerId = Scalar("SELECT ledger_id FROM gridsweep_sweeps WHERE sweep = @sweep") as string;
        if (ledgerId is null)
        {
            isNew = true;
            ledgerId = Guid.NewGuid().ToString("N");
            Execute("INSERT INTO gridsweep_sweeps (sweep, ledger_id, created) VALUES (@sweep, @id, @created)",
                ("id", ledgerId), ("created", DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture)));
        }
        Execute("UPDATE gridsweep_sweeps SET holder = @holder WHERE sweep = @sweep", ("holder", holder));

        var ended = new Dictionary<string, TrialStatus>();
        long lastSeq = 0;
        using (var reader = Query("SELECT trial_id, status, seq FROM gridsweep_trials WHERE sweep = @sweep"))
        {
            while (reader.Read())
            {
                ended[reader.GetString(0)] = ParseStatus(reader.GetString(1));
                lastSeq = Math.Max(lastSeq, reader.GetInt64(2));
            }
        }
        var recordedThrough = new Dictionary<string, int>();
        using (var reader = Query("SELECT trial_id, MAX(epoch) FROM gridsweep_epochs WHERE sweep = @sweep GROUP BY trial_id"))
        {
            while (reader.Read())
            {
                var trialId = reader.GetString(0);
                if (!ended.ContainsKey(trialId))
                    recordedThrough[trialId] = Convert.ToInt32(reader.GetValue(1), CultureInfo.InvariantCulture);
            }
        }
        var attempts = new Dictionary<string, (int, string)>();
        using (var reader = Query("SELECT trial_id, attempt, node_id FROM gridsweep_attempts WHERE sweep = @sweep ORDER BY attempt"))
        {
            while (reader.Read())
                attempts[reader.GetString(0)] = (Convert.ToInt32(reader.GetValue(1), CultureInfo.InvariantCulture), reader.GetString(2));
        }
        var failures = new Dictionary<string, IReadOnlyList<LedgerFailure>>();
        using (var reader = Query("SELECT trial_id, attempt, node_id, reason, excused FROM gridsweep_failures WHERE sweep = @sweep ORDER BY trial_id, attempt"))
        {
            while (reader.Read())
            {
                var trialId = reader.GetString(0);
                if (ended.ContainsKey(trialId))
                    continue;
                if (!failures.TryGetValue(trialId, out var list))
                    failures[trialId] = list = new List<LedgerFailure>();
                ((List<LedgerFailure>)list).Add(new LedgerFailure(Convert.ToInt32(reader.GetValue(1), CultureInfo.InvariantCulture), reader.GetString(2),
                    reader.GetString(3), Convert.ToInt32(reader.GetValue(4), CultureInfo.InvariantCulture) != 0));
            }
        }
        return new LedgerRecovery(ledgerId, isNew, ended, recordedThrough, lastSeq, attempts, failures);
    }

    /// <summary>Runs <paramref name="write"/> in one transaction: a batch lands whole or not at all.</summary>
    public void InTransaction(Action write)
    {
        using var current = connection.BeginTransaction();
        transaction = current;
        try
        {
            write();
            current.Commit();
        }
        finally
        {
            transaction = null;
        }
    }

    public void RecordEpoch(string trialId, EpochMetrics metrics)
    {
        insertEpoch ??= Prepare(
            $"INSERT INTO gridsweep_epochs (sweep, trial_id, epoch, {string.Join(", ", EpochValueColumns)}) " +
            $"VALUES (@sweep, @trial, @epoch, {string.Join(", ", EpochValueColumns.Select(c => "@" + c))}) " +
            $"ON CONFLICT (sweep, trial_id, epoch) DO UPDATE SET {string.Join(", ", EpochValueColumns.Select(c => $"{c} = excluded.{c}"))}",
            ["trial", "epoch", .. EpochValueColumns]);
        Bind(insertEpoch, trialId, metrics.Epoch, metrics.TrainLoss, metrics.TrainPenalty, metrics.ValLoss, metrics.TrainAccuracy, metrics.ValAccuracy,
            metrics.Seconds, metrics.TrainMae, metrics.ValMae);
        insertEpoch.ExecuteNonQuery();
    }

    /// <summary>An attempt given out: a coordinator that takes over knows which attempts are out and where.</summary>
    public void RecordAttempt(string trialId, int attempt, string nodeId)
    {
        insertAttempt ??= Prepare(
            "INSERT INTO gridsweep_attempts (sweep, trial_id, attempt, node_id, started) VALUES (@sweep, @trial, @attempt, @node, @started) " +
            "ON CONFLICT (sweep, trial_id, attempt) DO UPDATE SET node_id = excluded.node_id, started = excluded.started",
            ["trial", "attempt", "node", "started"]);
        Bind(insertAttempt, trialId, attempt, nodeId, DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture));
        insertAttempt.ExecuteNonQuery();
    }

    /// <summary>A failed attempt, or one excused later (its node quarantined): what a resumed sweep counts retries from.</summary>
    public void RecordFailure(string trialId, int attempt, string nodeId, string reason, bool excused)
    {
        upsertFailure ??= Prepare(
            "INSERT INTO gridsweep_failures (sweep, trial_id, attempt, node_id, reason, excused) VALUES (@sweep, @trial, @attempt, @node, @reason, @excused) " +
            "ON CONFLICT (sweep, trial_id, attempt) DO UPDATE SET excused = excluded.excused",
            ["trial", "attempt", "node", "reason", "excused"]);
        Bind(upsertFailure, trialId, attempt, nodeId, reason, excused ? 1 : 0);
        upsertFailure.ExecuteNonQuery();
    }

    /// <summary>Keeps a trial's epochs up to <paramref name="lastEpoch"/> (0: none).</summary>
    public void TruncateTrial(string trialId, int lastEpoch)
    {
        truncateTrial ??= Prepare("DELETE FROM gridsweep_epochs WHERE sweep = @sweep AND trial_id = @trial AND epoch > @epoch", ["trial", "epoch"]);
        Bind(truncateTrial, trialId, lastEpoch);
        truncateTrial.ExecuteNonQuery();
    }

    private static readonly string[] TrialValueColumns =
    [
        "seq", .. LabelColumns, "status", "best_epoch", "best_val_loss", "final_val_loss", "final_gap", "best_val_accuracy", "best_val_mae",
        "seconds", "error", "stopped_epoch", "stop_reason",
    ];

    /// <summary>The trial's end: its row, replacing an earlier one (a failed trial run again on resume).</summary>
    public void EndTrial(string trialId, long seq, IReadOnlyDictionary<string, string> labels, TrialSummary summary)
    {
        upsertTrial ??= Prepare(
            $"INSERT INTO gridsweep_trials (sweep, trial_id, {string.Join(", ", TrialValueColumns)}) " +
            $"VALUES (@sweep, @trial, {string.Join(", ", TrialValueColumns.Select(c => "@" + c))}) " +
            $"ON CONFLICT (sweep, trial_id) DO UPDATE SET {string.Join(", ", TrialValueColumns.Select(c => $"{c} = excluded.{c}"))}",
            ["trial", .. TrialValueColumns]);
        Bind(upsertTrial, [
            trialId, seq, .. LabelColumns.Select(c => (object?)labels.GetValueOrDefault(c, "")),
            RunFolder.StatusName(summary.Status), summary.BestEpoch, summary.BestValLoss, summary.FinalValLoss, summary.FinalGap,
            summary.BestValAccuracy, summary.BestValMae, summary.Seconds, summary.Error ?? "", summary.StoppedEpoch, summary.StopReason ?? "",
        ]);
        upsertTrial.ExecuteNonQuery();
    }

    /// <summary>Forgets the rows of trials (failed ones run again, with their retries afresh); their epochs were dropped when they failed.</summary>
    public void ForgetTrials(IEnumerable<string> trialIds)
    {
        InTransaction(() =>
        {
            foreach (var trialId in trialIds)
            {
                Execute("DELETE FROM gridsweep_trials WHERE sweep = @sweep AND trial_id = @trial", ("trial", trialId));
                Execute("DELETE FROM gridsweep_epochs WHERE sweep = @sweep AND trial_id = @trial", ("trial", trialId));
                Execute("DELETE FROM gridsweep_failures WHERE sweep = @sweep AND trial_id = @trial", ("trial", trialId));
            }
        });
    }

    /// <summary>The ended trials after <paramref name="afterSeq"/>, in the order they ended.</summary>
    public IEnumerable<LedgerTrial> EndedTrials(long afterSeq)
    {
        using var reader = Query(
            $"SELECT trial_id, {string.Join(", ", TrialValueColumns)} FROM gridsweep_trials WHERE sweep = @sweep AND seq > @after ORDER BY seq",
            ("after", afterSeq));
        while (reader.Read())
        {
            var labels = LabelColumns.Select((c, i) => (c, reader.IsDBNull(2 + i) ? "" : reader.GetString(2 + i))).ToDictionary();
            var at = 2 + LabelColumns.Length;
            var status = ParseStatus(reader.GetString(at));
            var summary = new TrialSummary(status, Convert.ToInt32(reader.GetValue(at + 1), CultureInfo.InvariantCulture),
                Number(reader, at + 2), Number(reader, at + 3), Number(reader, at + 4), Number(reader, at + 5), Number(reader, at + 7),
                Text(reader, at + 8), Number(reader, at + 6), Convert.ToInt32(reader.GetValue(at + 9), CultureInfo.InvariantCulture), Text(reader, at + 10));
            yield return new LedgerTrial(reader.GetString(0), reader.GetInt64(1), labels, status, summary);
        }
    }

    /// <summary>The epochs of the trials that ended after <paramref name="afterSeq"/>, trial by trial in the order they ended.</summary>
    public IEnumerable<(string TrialId, EpochMetrics Metrics)> EndedTrialEpochs(long afterSeq)
    {
        using var reader = Query(
            $"SELECT e.trial_id, e.epoch, {string.Join(", ", EpochValueColumns.Select(c => "e." + c))} FROM gridsweep_epochs e " +
            "JOIN gridsweep_trials t ON t.sweep = e.sweep AND t.trial_id = e.trial_id " +
            "WHERE t.sweep = @sweep AND t.seq > @after ORDER BY t.seq, e.epoch",
            ("after", afterSeq));
        while (reader.Read())
        {
            yield return (reader.GetString(0), new EpochMetrics(Convert.ToInt32(reader.GetValue(1), CultureInfo.InvariantCulture),
                Number(reader, 2), Number(reader, 3), Number(reader, 4), Number(reader, 5), Number(reader, 6), Number(reader, 7), Number(reader, 8), Number(reader, 9)));
        }
    }

    /// <summary>Every epoch recorded of the sweep, ended trials and running ones, trial by trial in epoch order.</summary>
    public IEnumerable<(string TrialId, EpochMetrics Metrics)> AllEpochs()
    {
        using var reader = Query(
            $"SELECT trial_id, epoch, {string.Join(", ", EpochValueColumns)} FROM gridsweep_epochs WHERE sweep = @sweep ORDER BY trial_id, epoch");
        while (reader.Read())
        {
            yield return (reader.GetString(0), new EpochMetrics(Convert.ToInt32(reader.GetValue(1), CultureInfo.InvariantCulture),
                Number(reader, 2), Number(reader, 3), Number(reader, 4), Number(reader, 5), Number(reader, 6), Number(reader, 7), Number(reader, 8), Number(reader, 9)));
        }
    }

    /// <summary>The epochs recorded so far of one trial, in order.</summary>
    public IReadOnlyList<EpochMetrics> Epochs(string trialId)
    {
        var epochs = new List<EpochMetrics>();
        using var reader = Query(
            $"SELECT epoch, {string.Join(", ", EpochValueColumns)} FROM gridsweep_epochs WHERE sweep = @sweep AND trial_id = @trial ORDER BY epoch",
            ("trial", trialId));
        while (reader.Read())
        {
            epochs.Add(new EpochMetrics(Convert.ToInt32(reader.GetValue(0), CultureInfo.InvariantCulture),
                Number(reader, 1), Number(reader, 2), Number(reader, 3), Number(reader, 4), Number(reader, 5), Number(reader, 6), Number(reader, 7), Number(reader, 8)));
        }
        return epochs;
    }

    /// <summary>A text of the sweep's own row (spec_text, grid_ids, data_description), or null.</summary>
    public string? SweepText(string column) => Scalar($"SELECT {SweepColumn(column)} FROM gridsweep_sweeps WHERE sweep = @sweep") as string;

    public void SetSweepText(string column, string? value) =>
        Execute($"UPDATE gridsweep_sweeps SET {SweepColumn(column)} = @value WHERE sweep = @sweep", ("value", value));

    private static string SweepColumn(string column) => column is "spec_text" or "grid_ids" or "data_description"
        ? column
        : throw new ArgumentException($"gridsweep_sweeps has no text column {column}", nameof(column));

    /// <summary>The trial's labels as the CSV columns write them.</summary>
    public static IReadOnlyDictionary<string, string> Labels(TrialSpec trial)
    {
        var labels = new Dictionary<string, string>
        {
            ["model"] = trial.Model,
            ["regularizer"] = trial.Regularizer,
            ["seed"] = trial.Seed.ToString(CultureInfo.InvariantCulture),
        };
        foreach (var (name, label) in TrialLabels.NewAxes(trial).Append(TrialLabels.EarlyStopping(trial)))
            labels[name] = label;
        return labels;
    }

    public static TrialStatus ParseStatus(string text) => Enum.Parse<TrialStatus>(text, ignoreCase: true);

    // NaN is stored as NULL: SQLite turns a bound NaN into NULL anyway, and both read back the same way.
    private static double Number(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? double.NaN : reader.GetDouble(ordinal);

    private static string? Text(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) || reader.GetString(ordinal) is "" ? null : reader.GetString(ordinal);

    private DbCommand Prepare(string sql, string[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        Add(command, "sweep", Sweep);
        foreach (var name in parameters)
            Add(command, name, null);
        return command;
    }

    private void Bind(DbCommand command, params object?[] values)
    {
        command.Transaction = transaction;
        for (var i = 0; i < values.Length; i++)
            command.Parameters[i + 1].Value = Db(values[i]);
    }

    private static object Db(object? value) => value switch
    {
        null => DBNull.Value,
        double number when double.IsNaN(number) => DBNull.Value,
        _ => value,
    };

    private static void Add(DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = Db(value);
        command.Parameters.Add(parameter);
    }

    private DbCommand Command(string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        Add(command, "sweep", Sweep);
        foreach (var (name, value) in parameters)
            Add(command, name, value);
        return command;
    }

    private void Execute(string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(sql, parameters);
        command.ExecuteNonQuery();
    }

    private object? Scalar(string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(sql, parameters);
        var value = command.ExecuteScalar();
        return value is DBNull ? null : value;
    }

    private DbDataReader Query(string sql, params (string Name, object? Value)[] parameters)
    {
        var command = Command(sql, parameters);
        return command.ExecuteReader(CommandBehavior.Default);
    }

    public void Dispose()
    {
        insertEpoch?.Dispose();
        truncateTrial?.Dispose();
        upsertTrial?.Dispose();
        insertAttempt?.Dispose();
        upsertFailure?.Dispose();
        connection.Dispose();
    }
}

/// <summary>The sweep is held by another live process in a shared ledger.</summary>
public sealed class LedgerInUseException(string message) : Exception(message);
