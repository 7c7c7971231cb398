using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;
using GridSweep.Runtime.Trials;

namespace GridSweep.Runtime.Metrics;

internal enum PointKind : byte { Epoch, Trial, Node, NodeStanding, Grid, Flush }

/// <summary>
/// One point as the caller handed it over: references and numbers only, so the caller's thread pays for a
/// struct copy into the queue, and the background loop formats the line protocol.
/// </summary>
internal readonly struct MetricsPoint
{
    private const int MaxErrorLength = 1000;

    private readonly object? _subject;
    private readonly object? _detail;
    private readonly string? _text;
    private readonly double _a;
    private readonly double _b;
    private readonly int _i;
    private readonly int _j;
    private readonly long _time;

    private MetricsPoint(PointKind kind, object? subject, object? detail, string? text, double a, double b, int i, int j, long time)
    {
        Kind = kind;
        _subject = subject;
        _detail = detail;
        _text = text;
        _a = a;
        _b = b;
        _i = i;
        _j = j;
        _time = time;
    }

    public PointKind Kind { get; }

    public static MetricsPoint FlushMarker => new(PointKind.Flush, null, null, null, 0, 0, 0, 0, 0);

    public static MetricsPoint Epoch(TrialSpec trial, EpochMetrics metrics, string node, double samplesPerSecond) =>
        new(PointKind.Epoch, trial, metrics, node, samplesPerSecond, 0, 0, 0, Schema.EpochTime(metrics.Epoch));

    public static MetricsPoint Trial(TrialSpec trial, TrialStatus status, TrialSummary? summary, int attempt, string node, long time) =>
        new(PointKind.Trial, trial, summary, node, 0, 0, (int)status, attempt, time);

    public static MetricsPoint Grid(GridPoint point) => new(PointKind.Grid, point, null, null, 0, 0, 0, 0, 0);

    public static MetricsPoint Node(string node, string device, int slots, int busySlots, double epochsPerMinute, double samplesPerSecond, long time) =>
        new(PointKind.Node, device, null, node, epochsPerMinute, samplesPerSecond, slots, busySlots, time);

    public static MetricsPoint NodeStanding(string node, string device, string standing, bool quarantined, int failureStreak, double quarantineSeconds,
        string reason, long time) =>
        new(PointKind.NodeStanding, device, (standing, reason), node, quarantineSeconds, 0, quarantined ? 1 : 0, failureStreak, time);

    /// <summary>Appends this point's line; tags in key order, as InfluxDB prefers.</summary>
    public void WriteTo(LineProtocolBuffer lines)
    {
        switch (Kind)
        {
            case PointKind.Epoch:
            {
                var m = (EpochMetrics)_detail!;
                TrialTags(lines.Measurement(Schema.EpochMeasurement), (TrialSpec)_subject!)
                    .Field(Schema.Fields.TrialId, ((TrialSpec)_subject!).Id)
                    .Field(Schema.Fields.Epoch, m.Epoch)
                    .Field(Schema.Fields.TrainLoss, m.TrainLoss)
                    .Field(Schema.Fields.TrainPenalty, m.TrainPenalty)
                    .Field(Schema.Fields.ValLoss, m.ValLoss)
                    .Field(Schema.Fields.TrainAccuracy, m.TrainAccuracy)
                    .Field(Schema.Fields.ValAccuracy, m.ValAccuracy)
                    .Field(Schema.Fields.TrainMae, m.TrainMae)
                    .Field(Schema.Fields.ValMae, m.ValMae)
                    .Field(Schema.Fields.Gap, m.ValLoss - m.TrainLoss)
                    .Field(Schema.Fields.Seconds, m.Seconds)
                    .Field(Schema.Fields.SamplesPerSecond, _a)
                    .Field(Schema.Fields.Node, _text!)
                    .End(_time);
                break;
            }
            case PointKind.Trial:
            {
                var summary = (TrialSummary?)_detail;
                TrialTags(lines.Measurement(Schema.TrialMeasurement), (TrialSpec)_subject!)
                    .Field(Schema.Fields.TrialId, ((TrialSpec)_subject!).Id)
                    .Field(Schema.Fields.Status, Schema.StatusName((TrialStatus)_i))
                    .Field(Schema.Fields.Attempt, _j)
                    .Field(Schema.Fields.Node, _text!);
                if (summary is not null)
                    SummaryFields(lines, summary);
                lines.End(_time);
                break;
            }
            case PointKind.NodeStanding:
            {
                var (standing, reason) = ((string, string))_detail!;
                lines.Measurement(Schema.NodeMeasurement)
                    .Tag(Schema.Tags.Device, (string)_subject!)
                    .Tag(Schema.Tags.Node, _text)
                    .Field(Schema.Fields.FailureStreak, _j)
                    .Field(Schema.Fields.Quarantined, _i)
                    .Field(Schema.Fields.QuarantineReason, reason.Length <= MaxErrorLength ? reason : reason[..MaxErrorLength])
                    .Field(Schema.Fields.QuarantineSeconds, _a)
                    .Field(Schema.Fields.Standing, standing)
                    .End(_time);
                break;
            }
            case PointKind.Grid:
                ((GridPoint)_subject!).WriteTo(lines);
                break;
            case PointKind.Node:
                lines.Measurement(Schema.NodeMeasurement)
                    .Tag(Schema.Tags.Device, (string)_subject!)
                    .Tag(Schema.Tags.Node, _text)
                    .Field(Schema.Fields.BusySlots, _j)
                    .Field(Schema.Fields.EpochsPerMinute, _a)
                    .Field(Schema.Fields.SamplesPerSecond, _b)
                    .Field(Schema.Fields.Slots, _i)
                    .End(_time);
                break;
            default:
                throw new InvalidOperationException($"{Kind} is not a point");
        }
    }

    /// <summary>A trial's summary as <c>gridsweep_trial</c> and <c>gridsweep_trial_summary</c> carry it.</summary>
    internal static LineProtocolBuffer SummaryFields(LineProtocolBuffer lines, TrialSummary summary)
    {
        lines.Field(Schema.Fields.BestEpoch, summary.BestEpoch)
            .Field(Schema.Fields.BestValLoss, summary.BestValLoss)
            .Field(Schema.Fields.FinalGap, summary.FinalGap)
            .Field(Schema.Fields.BestValAccuracy, summary.BestValAccuracy)
            .Field(Schema.Fields.BestValMae, summary.BestValMae);
        if (summary.StoppedEarly)
        {
            lines.Field(Schema.Fields.StoppedEpoch, summary.StoppedEpoch);
            if (!string.IsNullOrEmpty(summary.StopReason))
                lines.Field(Schema.Fields.StopReason, summary.StopReason);
        }
        if (!string.IsNullOrEmpty(summary.Error))
            lines.Field(Schema.Fields.Error, summary.Error.Length <= MaxErrorLength ? summary.Error : summary.Error[..MaxErrorLength]);
        return lines;
    }

    /// <summary>
    /// The trial's label on every grid axis (early stopping only when it has one), its seed and its task: one series per
    /// trial. Its id is a field (<see cref="Schema.Fields.TrialId"/>), so that no tag has a value per trial.
    /// </summary>
    internal static LineProtocolBuffer TrialTags(LineProtocolBuffer lines, TrialSpec trial) =>
        AxisTags(lines, trial)
            .Tag(Schema.Tags.Seed, trial.Seed)
            .Tag(Schema.Tags.Sweep, trial.Sweep)
            .Tag(Schema.Tags.Task, TrialLabels.Task(trial.Task));

    /// <summary>The tags of the trial's grid cell: every axis but the seed, the sweep and the task.</summary>
    internal static LineProtocolBuffer CellTags(LineProtocolBuffer lines, TrialSpec trial) =>
        AxisTags(lines, trial)
            .Tag(Schema.Tags.Sweep, trial.Sweep)
            .Tag(Schema.Tags.Task, TrialLabels.Task(trial.Task));

    /// <summary>The grid axes but the seed, in key order (InfluxDB prefers tags sorted).</summary>
    private static LineProtocolBuffer AxisTags(LineProtocolBuffer lines, TrialSpec trial) =>
        lines.Tag(Schema.Tags.Activation, trial.Activation)
            .Tag(Schema.Tags.BatchSize, trial.BatchSize)
            // Only a sweep that uses early stopping labels it, so the series of sweeps without it are as they were.
            .Tag(Schema.Tags.EarlyStopping, trial.EarlyStoppingLabel == EarlyStoppingLabels.None ? null : trial.EarlyStoppingLabel)
            .Tag(Schema.Tags.Epochs, trial.Epochs)
            .Tag(Schema.Tags.LearningRate, TrialLabels.LearningRate(trial))
            .Tag(Schema.Tags.Model, trial.Model)
            .Tag(Schema.Tags.Optimizer, trial.Optimizer)
            .Tag(Schema.Tags.Regularizer, trial.Regularizer);
}
