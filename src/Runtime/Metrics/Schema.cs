using GridSweep.Messages.Trials;

namespace GridSweep.Runtime.Metrics;

/// <summary>
/// The InfluxDB schema the trainer nodes write; these names are a public interface for dashboards.
/// <para>
/// <b>gridsweep_epoch</b>, one point per finished epoch of a trial. Tags <c>sweep</c>,
/// <c>model</c>, <c>regularizer</c>, <c>seed</c>, and since issue 9 the rest of the trial's labels, one per grid
/// axis, and its task: <c>optimizer</c>, <c>learning_rate</c>, <c>activation</c>, <c>batch_size</c>,
/// <c>epochs</c>, <c>task</c> (binary, multiclass, regression), so that no query averages two cells together; since
/// issue 10 <c>early_stopping</c>, the trial's label on that axis, only on the points of a sweep that uses early
/// stopping (a trial labelled <c>none</c> has no such tag, so the series of earlier sweeps stay as they were).
/// Fields <c>trial_id</c> (string; a tag until issue 12, see below), <c>epoch</c> (integer), <c>train_loss</c>, <c>train_penalty</c>, <c>val_loss</c>,
/// <c>train_accuracy</c>, <c>val_accuracy</c> (classification), <c>train_mae</c>, <c>val_mae</c>
/// (regression), <c>gap</c> (val_loss - train_loss), <c>seconds</c>, <c>samples_per_second</c> (floats) and
/// <c>node</c> (string). The metric a task does not have is NaN and so left out.
/// Its time is not the wall clock but <see cref="EpochTime"/>: <see cref="EpochTimeOrigin"/> plus one
/// second per epoch. So the point of (sweep, trial, epoch) always has the same series and timestamp, and a
/// re-run of a trial after a lost node overwrites the abandoned attempt's points instead of adding a
/// second curve; and every trial's epoch N lies at the same instant, so a Grafana time-series panel over
/// 2000-01-01 00:00:00 + N s overlays the grid's curves with the time axis reading epochs, and
/// <c>GROUP BY time(1s)</c> averages an epoch across seeds. Panels that plot against the <c>epoch</c> field
/// (Trend or XY chart) instead can drop <c>$timeFilter</c>. Because these timestamps lie in 2000, the
/// database's retention policy (v1) or bucket retention (v2) must be infinite, or InfluxDB drops them:
/// <see cref="MetricsWriter.CheckAsync"/> refuses a finite one.
/// </para>
/// <para>
/// <b>gridsweep_trial</b>, one point per state change of a trial, at wall-clock time. Same tags;
/// fields <c>trial_id</c> (string), <c>status</c> (string: queued, running, completed, failed, diverged), <c>attempt</c> (integer),
/// <c>node</c> (string), and when a summary is known <c>best_epoch</c> (integer), <c>best_val_loss</c>,
/// <c>final_gap</c>, <c>best_val_accuracy</c> (classification), <c>best_val_mae</c> (regression) (floats)
/// and <c>error</c> (string, failed trials), and for a trial early stopping ended before its last epoch (a completed
/// trial, not a failed one) <c>stopped_epoch</c> (integer, its last epoch) and <c>stop_reason</c> (string); a trial
/// that ran every epoch has neither. <c>status</c> is a field, not a tag,
/// so each trial stays one series and <c>last(status) ... GROUP BY *</c> gives its current state.
/// </para>
/// <para>
/// <c>trial_id</c> is a field since issue 12: as a tag it gave InfluxDB 1.x one tag value per trial, and a sweep past
/// 100,000 trials broke the default <c>max-values-per-tag</c>. A trial is still one series (its axis labels and seed),
/// and <c>WHERE "trial_id" = '...'</c> works as before; <c>GROUP BY "trial_id"</c> becomes <c>GROUP BY *</c>.
/// </para>
/// <para>
/// What the coordinator writes from the whole grid, each point rewritten in place when it changes (fixed series and
/// time), so that a dashboard reads O(cells x epochs) or O(trials) points, never every epoch of every trial:
/// <b>gridsweep_cell_epoch</b>, per grid cell (every axis but the seed) and epoch: tags as <c>gridsweep_epoch</c>
/// without <c>seed</c>; fields <c>epoch</c>, <c>seeds</c> (trials of the cell with that epoch, integers) and
/// <c>X_mean</c>, <c>X_min</c>, <c>X_max</c> over the seeds' finite values for X in <c>train_loss</c>, <c>val_loss</c>,
/// <c>gap</c>, <c>train_accuracy</c> and <c>val_accuracy</c> (classification) or <c>train_mae</c> and <c>val_mae</c>
/// (regression); at the epoch's time, as <c>gridsweep_epoch</c>.
/// <b>gridsweep_cell</b>, per cell: same tags; fields <c>trials</c>, <c>queued</c>, <c>running</c>,
/// <c>completed</c>, <c>failed</c>, <c>diverged</c>, <c>stopped_early</c>, <c>seeds_with_curve</c> (integers), and
/// over the seeds that have a curve the means of each one's <c>best_val_loss</c>, <c>best_epoch</c>, <c>final_gap</c>
/// and <c>best_val_accuracy</c> or <c>best_val_mae</c>; <c>mean_curve_best_epoch</c> (integer) and
/// <c>mean_curve_best_val_loss</c>, the lowest point of the cell's mean validation loss; at <see cref="FixedTime"/>.
/// <b>gridsweep_sweep</b>, per sweep: tag <c>sweep</c>; the same counts and <c>cells</c>; at <see cref="FixedTime"/>.
/// <b>gridsweep_trial_summary</b>, per trial, its latest state: tags <c>sweep</c>, <c>task</c>, <c>model</c>,
/// <c>regularizer</c> and <c>seed</c> only (so a sweep of any size is a handful of series); the other axes are string
/// fields of the same names; fields <c>trial_id</c>, <c>status</c>, <c>attempt</c>, <c>node</c>, <c>epochs_done</c>,
/// the curve so far (<c>curve_best_epoch</c>, <c>curve_best_val_loss</c>, <c>curve_final_gap</c>,
/// <c>curve_best_val_accuracy</c>, <c>curve_best_val_mae</c>) and, once it ended, the summary fields of
/// <c>gridsweep_trial</c>; at <see cref="TrialSummaryTime"/>, a time of its own within 2000-01-01..04.
/// <b>gridsweep_axes_epoch</b> (added with issue 12), per pair of the axes the curves dashboard can put on its
/// rows and columns (model, regularizer, optimizer, learning_rate, activation, batch_size, epochs; a pair may be one
/// axis twice), per pair of their values and epoch: tags <c>sweep</c>, <c>task</c>, <c>axes</c> (the two axes' names,
/// comma-joined in that order: <c>model,regularizer</c>, <c>learning_rate,learning_rate</c>) and the two axes' own tags
/// with the group's values; fields <c>epoch</c>, <c>seeds</c>, <c>cells</c> (integers), and over the group's cells
/// <c>val_loss_mean</c> (the mean of the cells' means), <c>val_loss_min</c>, <c>val_loss_max</c> (the least and greatest
/// seed), the same for <c>val_accuracy</c> or <c>val_mae</c>; at the epoch's time. A pair with more than
/// <c>GridAggregates.MaxGroupsPerPair</c> value pairs is not written (an overlay of that many lines says nothing).
/// </para>
/// <para>
/// <b>gridsweep_node</b>, a heartbeat per trainer node, at wall-clock time. Tags <c>node</c>, <c>device</c>;
/// fields <c>slots</c>, <c>busy_slots</c> (integers), <c>epochs_per_minute</c>, <c>samples_per_second</c>.
/// Since issue 13 the coordinator writes a point to the same series (same tags) whenever a node's standing changes:
/// fields <c>standing</c> (string: ok, suspect, quarantined, probation), <c>quarantined</c> (integer, 1 while it gets no
/// work), <c>failure_streak</c> (integer, failures in a row when it was judged), <c>quarantine_seconds</c> (float, the
/// back-off's length; 0 when not quarantined) and <c>quarantine_reason</c> (string, empty once it is ok); so
/// <c>last("quarantined")</c> per node is its current state, and the heartbeat's fields are untouched.
/// </para>
/// <para>
/// Line protocol has no NaN or infinity: a non-finite float field is left out of its point (a diverged
/// epoch keeps <c>epoch</c>, <c>seconds</c> and <c>node</c>). Field types never change, since InfluxDB
/// refuses a point whose field type conflicts with what the shard already holds.
/// </para>
/// </summary>
public static class Schema
{
    public const string EpochMeasurement = "gridsweep_epoch";
    public const string TrialMeasurement = "gridsweep_trial";
    public const string NodeMeasurement = "gridsweep_node";
    public const string CellEpochMeasurement = "gridsweep_cell_epoch";
    public const string CellMeasurement = "gridsweep_cell";
    public const string SweepMeasurement = "gridsweep_sweep";
    public const string TrialSummaryMeasurement = "gridsweep_trial_summary";
    public const string AxesEpochMeasurement = "gridsweep_axes_epoch";

    /// <summary>Tag keys: low-cardinality identity only.</summary>
    public static class Tags
    {
        public const string Sweep = "sweep";
        /// <summary>A field since issue 12 (see the remarks above); the name is kept for the queries that use it.</summary>
        public const string TrialId = "trial_id";
        public const string Model = "model";
        public const string Regularizer = "regularizer";
        public const string Seed = "seed";
        public const string Optimizer = "optimizer";
        public const string LearningRate = "learning_rate";
        public const string Activation = "activation";
        public const string BatchSize = "batch_size";
        public const string Epochs = "epochs";
        public const string EarlyStopping = "early_stopping";
        public const string Task = "task";
        public const string Node = "node";
        public const string Device = "device";
        /// <summary><c>gridsweep_axes_epoch</c>'s pair of axes, as <see cref="AxisPairs.Name"/> writes it.</summary>
        public const string Axes = "axes";
    }

    /// <summary>Field keys.</summary>
    public static class Fields
    {
        public const string Epoch = "epoch";
        public const string TrainLoss = "train_loss";
        public const string TrainPenalty = "train_penalty";
        public const string ValLoss = "val_loss";
        public const string TrainAccuracy = "train_accuracy";
        public const string ValAccuracy = "val_accuracy";
        public const string Gap = "gap";
        public const string Seconds = "seconds";
        public const string SamplesPerSecond = "samples_per_second";
        public const string Node = "node";
        public const string TrainMae = "train_mae";
        public const string ValMae = "val_mae";

        public const string Status = "status";
        public const string BestEpoch = "best_epoch";
        public const string BestValLoss = "best_val_loss";
        public const string FinalGap = "final_gap";
        public const string BestValAccuracy = "best_val_accuracy";
        public const string BestValMae = "best_val_mae";
        public const string Attempt = "attempt";
        public const string Error = "error";
        public const string StoppedEpoch = "stopped_epoch";
        public const string StopReason = "stop_reason";

        public const string Slots = "slots";
        public const string BusySlots = "busy_slots";
        public const string EpochsPerMinute = "epochs_per_minute";
        public const string Standing = "standing";
        public const string Quarantined = "quarantined";
        public const string FailureStreak = "failure_streak";
        public const string QuarantineSeconds = "quarantine_seconds";
        public const string QuarantineReason = "quarantine_reason";

        public const string TrialId = "trial_id";
        public const string Seeds = "seeds";
        public const string SeedsWithCurve = "seeds_with_curve";
        public const string Trials = "trials";
        public const string Queued = "queued";
        public const string Running = "running";
        public const string Completed = "completed";
        public const string Failed = "failed";
        public const string Diverged = "diverged";
        public const string StoppedEarly = "stopped_early";
        public const string Cells = "cells";
        public const string MeanCurveBestEpoch = "mean_curve_best_epoch";
        public const string MeanCurveBestValLoss = "mean_curve_best_val_loss";
        public const string EpochsDone = "epochs_done";
        public const string CurveBestEpoch = "curve_best_epoch";
        public const string CurveBestValLoss = "curve_best_val_loss";
        public const string CurveFinalGap = "curve_final_gap";
        public const string CurveBestValAccuracy = "curve_best_val_accuracy";
        public const string CurveBestValMae = "curve_best_val_mae";
    }

    /// <summary>Time of epoch 0 of every trial: 2000-01-01T00:00:00Z.</summary>
    public static readonly DateTimeOffset EpochTimeOrigin = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private const long NanosecondsPerSecond = 1_000_000_000;
    private static readonly long OriginNanoseconds = EpochTimeOrigin.ToUnixTimeSeconds() * NanosecondsPerSecond;

    /// <summary>The timestamp (Unix nanoseconds) of an epoch's point: the origin plus <paramref name="epoch"/> seconds.</summary>
    public static long EpochTime(int epoch) => OriginNanoseconds + epoch * NanosecondsPerSecond;

    /// <summary>The time of every point that holds a current value (<c>gridsweep_cell</c>, <c>gridsweep_sweep</c>): the origin.</summary>
    public static readonly long FixedTime = OriginNanoseconds;

    /// <summary>
    /// A trial's own time in <c>gridsweep_trial_summary</c>: the origin plus its id read as a 48-bit number of nanoseconds
    /// (ids are 12 hex digits; another id is hashed), so the trials of one series never overwrite each other.
    /// </summary>
    public static long TrialSummaryTime(string trialId)
    {
        if (trialId.Length != 12 || !long.TryParse(trialId, System.Globalization.NumberStyles.AllowHexSpecifier, null, out var offset))
        {
            offset = 0;
            foreach (var c in trialId)
                offset = (offset * 31 + c) & 0xFFFF_FFFF_FFFF;
        }
        return OriginNanoseconds + offset;
    }

    /// <summary>The <c>status</c> field's value: the state's name in lower case.</summary>
    public static string StatusName(TrialStatus status) => status switch
    {
        TrialStatus.Queued => "queued",
        TrialStatus.Running => "running",
        TrialStatus.Completed => "completed",
        TrialStatus.Failed => "failed",
        TrialStatus.Diverged => "diverged",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };
}
