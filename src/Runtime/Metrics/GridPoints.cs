using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;
using GridSweep.Runtime.Trials;

namespace GridSweep.Runtime.Metrics;

/// <summary>How many finite values one quantity has over a cell's seeds at one epoch, and their mean, least and greatest.</summary>
public readonly record struct Spread(int Count, double Mean, double Min, double Max)
{
    public static readonly Spread None = new(0, double.NaN, double.NaN, double.NaN);

    /// <summary>The spread of the finite values among <paramref name="values"/>.</summary>
    public static Spread Of(ReadOnlySpan<double> values)
    {
        int count = 0;
        double sum = 0, min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (var value in values)
        {
            if (!double.IsFinite(value))
                continue;
            count++;
            sum += value;
            min = Math.Min(min, value);
            max = Math.Max(max, value);
        }
        return count == 0 ? None : new Spread(count, sum / count, min, max);
    }
}

/// <summary>Trials by their current state; <see cref="StoppedEarly"/> counts completed trials early stopping ended.</summary>
public readonly record struct StateCounts(int Queued, int Running, int Completed, int Failed, int Diverged, int StoppedEarly)
{
    public int Trials => Queued + Running + Completed + Failed + Diverged;
}

/// <summary>
/// What a trial's curve says so far, as the overview's grids read it: its lowest finite validation loss and that
/// epoch (the first of equals), the gap of its last epoch with both losses finite, its best validation metric.
/// </summary>
public readonly record struct CurveSummary(int Epochs, int BestEpoch, double BestValLoss, double FinalGap, double BestValAccuracy, double BestValMae)
{
    public static readonly CurveSummary None = new(0, 0, double.NaN, double.NaN, double.NaN, double.NaN);
}

/// <summary>
/// A point the coordinator writes from what it knows of the whole grid (see <see cref="Schema"/>): aggregates per cell,
/// per cell and epoch, per sweep, and each trial's latest summary. Each has a fixed series and timestamp, so writing it
/// again overwrites it: the dashboards read the current value without scanning history.
/// </summary>
public abstract record GridPoint
{
    internal abstract void WriteTo(LineProtocolBuffer lines);

    /// <summary>accuracy for classification, mae for regression: the suffix of the task's metric fields.</summary>
    private protected static string MetricName(TrialSpec trial) => TrialLabels.MeasuresAccuracy(trial.Task) ? "accuracy" : "mae";

    private protected static LineProtocolBuffer Spread(LineProtocolBuffer lines, string name, Spread spread) =>
        spread.Count == 0 ? lines : lines.Field(name + "_mean", spread.Mean).Field(name + "_min", spread.Min).Field(name + "_max", spread.Max);
}

/// <summary><c>gridsweep_cell_epoch</c>: one epoch of one cell, over its seeds.</summary>
/// <param name="Cell">Any trial of the cell: its tags name the cell.</param>
/// <param name="Seeds">Trials of the cell that have this epoch.</param>
public sealed record CellEpochPoint(TrialSpec Cell, int Epoch, int Seeds, Spread TrainLoss, Spread ValLoss, Spread Gap, Spread TrainMetric, Spread ValMetric) : GridPoint
{
    internal override void WriteTo(LineProtocolBuffer lines)
    {
        var metric = MetricName(Cell);
        MetricsPoint.CellTags(lines.Measurement(Schema.CellEpochMeasurement), Cell)
            .Field(Schema.Fields.Epoch, Epoch)
            .Field(Schema.Fields.Seeds, Seeds);
        Spread(lines, Schema.Fields.TrainLoss, TrainLoss);
        Spread(lines, Schema.Fields.ValLoss, ValLoss);
        Spread(lines, Schema.Fields.Gap, Gap);
        Spread(lines, "train_" + metric, TrainMetric);
        Spread(lines, "val_" + metric, ValMetric);
        lines.End(Schema.EpochTime(Epoch));
    }
}

/// <summary>
/// <c>gridsweep_axes_epoch</c>: one epoch of the cells that share one value on each of two grid axes, the lines of
/// the curves dashboard's overlays. Over those cells: the seeds with the epoch, the cells with any, and of the
/// validation loss and the task's validation metric the mean of the cells' means and the least and greatest seed.
/// </summary>
/// <param name="Cell">Any cell of the group: its labels on the two axes, its sweep and task name the group.</param>
/// <param name="AxisA">The first of the two axes in <see cref="AxisPairs.Axes"/> order; <paramref name="AxisB"/> may be the same axis.</param>
public sealed record AxesEpochPoint(TrialSpec Cell, string AxisA, string AxisB, int Epoch, int Seeds, int Cells, Spread ValLoss, Spread ValMetric)
    : GridPoint
{
    internal override void WriteTo(LineProtocolBuffer lines)
    {
        // Tag keys in order, as InfluxDB prefers: the two axes' own keys sort among the fixed ones.
        Span<(string Key, string Value)> tags =
        [
            (Schema.Tags.Axes, AxisPairs.Name(AxisA, AxisB)),
            (AxisA, AxisPairs.Label(Cell, AxisA)),
            (AxisB, AxisPairs.Label(Cell, AxisB)),
            (Schema.Tags.Sweep, Cell.Sweep),
            (Schema.Tags.Task, TrialLabels.Task(Cell.Task)),
        ];
        tags.Sort((x, y) => string.CompareOrdinal(x.Key, y.Key));
        lines.Measurement(Schema.AxesEpochMeasurement);
        for (var k = 0; k < tags.Length; k++)
        {
            if (k == 0 || tags[k].Key != tags[k - 1].Key)
                lines.Tag(tags[k].Key, tags[k].Value);
        }
        lines.Field(Schema.Fields.Epoch, Epoch).Field(Schema.Fields.Seeds, Seeds).Field(Schema.Fields.Cells, Cells);
        Spread(lines, Schema.Fields.ValLoss, ValLoss);
        Spread(lines, "val_" + MetricName(Cell), ValMetric);
        lines.End(Schema.EpochTime(Epoch));
    }
}

/// <summary>The grid axes the curves dashboard offers as its rows and columns, and their pairs' names in <c>gridsweep_axes_epoch</c>.</summary>
public static class AxisPairs
{
    /// <summary>In the dashboard's order, which is also the order of a pair's name.</summary>
    public static readonly IReadOnlyList<string> Axes =
        [Schema.Tags.Model, Schema.Tags.Regularizer, Schema.Tags.Optimizer, Schema.Tags.LearningRate, Schema.Tags.Activation, Schema.Tags.BatchSize, Schema.Tags.Epochs];

    /// <summary>The <c>axes</c> tag: the two axes joined by a comma, in <see cref="Axes"/> order (<c>model,regularizer</c>; <c>model,model</c>).</summary>
    public static string Name(string axisA, string axisB) => $"{axisA},{axisB}";

    /// <summary>The trial's label on <paramref name="axis"/>, as its tag in <c>gridsweep_epoch</c> reads.</summary>
    public static string Label(TrialSpec trial, string axis) => axis switch
    {
        Schema.Tags.Model => trial.Model,
        Schema.Tags.Regularizer => trial.Regularizer,
        Schema.Tags.Optimizer => trial.Optimizer,
        Schema.Tags.LearningRate => TrialLabels.LearningRate(trial),
        Schema.Tags.Activation => trial.Activation,
        Schema.Tags.BatchSize => trial.BatchSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
        Schema.Tags.Epochs => trial.Epochs.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => throw new ArgumentOutOfRangeException(nameof(axis), axis, "not an axis of the curves dashboard"),
    };
}

/// <summary>
/// <c>gridsweep_cell</c>: one cell now. The means are over the cell's trials that have a curve, of each trial's
/// <see cref="CurveSummary"/>; the mean curve's best is the lowest of the cell's mean validation loss by epoch.
/// </summary>
public sealed record CellPoint(
    TrialSpec Cell,
    StateCounts Counts,
    int SeedsWithCurve,
    double BestValLoss,
    double BestEpoch,
    double FinalGap,
    double BestValMetric,
    int MeanCurveBestEpoch,
    double MeanCurveBestValLoss) : GridPoint
{
    internal override void WriteTo(LineProtocolBuffer lines)
    {
        MetricsPoint.CellTags(lines.Measurement(Schema.CellMeasurement), Cell);
        Counted(lines, Counts)
            .Field(Schema.Fields.SeedsWithCurve, SeedsWithCurve)
            .Field(Schema.Fields.BestValLoss, BestValLoss)
            .Field(Schema.Fields.BestEpoch, BestEpoch)
            .Field(Schema.Fields.FinalGap, FinalGap)
            .Field("best_val_" + MetricName(Cell), BestValMetric);
        if (MeanCurveBestEpoch > 0)
            lines.Field(Schema.Fields.MeanCurveBestEpoch, MeanCurveBestEpoch).Field(Schema.Fields.MeanCurveBestValLoss, MeanCurveBestValLoss);
        lines.End(Schema.FixedTime);
    }

    internal static LineProtocolBuffer Counted(LineProtocolBuffer lines, StateCounts counts) =>
        lines.Field(Schema.Fields.Trials, counts.Trials)
            .Field(Schema.Fields.Queued, counts.Queued)
            .Field(Schema.Fields.Running, counts.Running)
            .Field(Schema.Fields.Completed, counts.Completed)
            .Field(Schema.Fields.Failed, counts.Failed)
            .Field(Schema.Fields.Diverged, counts.Diverged)
            .Field(Schema.Fields.StoppedEarly, counts.StoppedEarly);
}

/// <summary><c>gridsweep_sweep</c>: one sweep now, its trials by state and its number of cells.</summary>
public sealed record SweepPoint(string Sweep, StateCounts Counts, int Cells) : GridPoint
{
    internal override void WriteTo(LineProtocolBuffer lines)
    {
        lines.Measurement(Schema.SweepMeasurement).Tag(Schema.Tags.Sweep, Sweep);
        CellPoint.Counted(lines, Counts).Field(Schema.Fields.Cells, Cells).End(Schema.FixedTime);
    }
}

/// <summary>
/// <c>gridsweep_trial_summary</c>: one trial now, one point per trial rewritten at each change. Its summary fields
/// (<see cref="TrialSummary"/>, once it ended) are what <c>gridsweep_trial</c> carries; its <c>curve_</c> fields are its
/// curve so far (<see cref="CurveSummary"/>), for running and failed trials too.
/// </summary>
public sealed record TrialSummaryPoint(TrialSpec Trial, TrialStatus Status, int Attempt, string Node, TrialSummary? Summary, CurveSummary Curve) : GridPoint
{
    internal override void WriteTo(LineProtocolBuffer lines)
    {
        var trial = Trial;
        lines.Measurement(Schema.TrialSummaryMeasurement)
            .Tag(Schema.Tags.Model, trial.Model)
            .Tag(Schema.Tags.Regularizer, trial.Regularizer)
            .Tag(Schema.Tags.Seed, trial.Seed)
            .Tag(Schema.Tags.Sweep, trial.Sweep)
            .Tag(Schema.Tags.Task, TrialLabels.Task(trial.Task))
            .Field(Schema.Fields.TrialId, trial.Id)
            .Field(Schema.Tags.Optimizer, trial.Optimizer)
            .Field(Schema.Tags.LearningRate, TrialLabels.LearningRate(trial))
            .Field(Schema.Tags.Activation, trial.Activation)
            .Field(Schema.Tags.BatchSize, trial.BatchSize.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Field(Schema.Tags.Epochs, trial.Epochs.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (trial.EarlyStoppingLabel != EarlyStoppingLabels.None)
            lines.Field(Schema.Tags.EarlyStopping, trial.EarlyStoppingLabel);
        lines.Field(Schema.Fields.Status, Schema.StatusName(Status))
            .Field(Schema.Fields.Attempt, Attempt)
            .Field(Schema.Fields.Node, Node)
            .Field(Schema.Fields.EpochsDone, Curve.Epochs);
        if (Curve.BestEpoch > 0)
        {
            lines.Field(Schema.Fields.CurveBestEpoch, Curve.BestEpoch)
                .Field(Schema.Fields.CurveBestValLoss, Curve.BestValLoss)
                .Field(Schema.Fields.CurveFinalGap, Curve.FinalGap)
                .Field(Schema.Fields.CurveBestValAccuracy, Curve.BestValAccuracy)
                .Field(Schema.Fields.CurveBestValMae, Curve.BestValMae);
        }
        if (Summary is { } summary)
            MetricsPoint.SummaryFields(lines, summary);
        lines.End(Schema.TrialSummaryTime(trial.Id));
    }
}
