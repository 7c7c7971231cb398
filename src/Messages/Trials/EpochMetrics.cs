using System.Text.Json.Serialization;

namespace GridSweep.Messages.Trials;

/// <summary>
/// What one epoch of one trial measured, as plain numbers (Keras conventions): the data loss is the mean of the
/// task's loss (binary or sparse categorical cross-entropy, mean squared error) over the epoch's training samples,
/// the regularization penalty is kept apart, the validation figures cover the whole validation split. The metric
/// follows the task: accuracy for classification (the MAE fields NaN), mean absolute error for regression (the
/// accuracy fields NaN).
/// </summary>
public sealed record EpochMetrics(
    int Epoch,
    double TrainLoss,
    double TrainPenalty,
    double ValLoss,
    double TrainAccuracy,
    double ValAccuracy,
    double Seconds,
    double TrainMae = double.NaN,
    double ValMae = double.NaN)
{
    /// <summary>True when a loss is NaN or infinite: the trial has diverged.</summary>
    public bool IsDiverged => !double.IsFinite(TrainLoss) || !double.IsFinite(ValLoss) || !double.IsFinite(TrainPenalty);
}

public enum TrialStatus { Queued, Running, Completed, Failed, Diverged }

/// <summary>One finished trial: how it ended and the figures that show where it starts to overfit.</summary>
/// <param name="BestEpoch">Epoch of the lowest validation loss: where overfitting starts. 0 when no epoch finished.</param>
/// <param name="FinalGap">Validation loss minus train loss at the last epoch.</param>
/// <param name="BestValAccuracy">Highest validation accuracy of any epoch; NaN for regression.</param>
/// <param name="BestValMae">Lowest validation mean absolute error of any epoch; NaN for classification.</param>
/// <param name="StoppedEpoch">The last epoch of a trial that early stopping ended before its epoch budget; 0 for a
/// trial that ran every epoch (or diverged, or failed), even when its criterion held at the last one.</param>
/// <param name="StopReason">Why early stopping ended it (<see cref="EarlyStopping.StopReason"/>); null when it did not.</param>
public sealed record TrialSummary(
    TrialStatus Status,
    int BestEpoch,
    double BestValLoss,
    double FinalValLoss,
    double FinalGap,
    double BestValAccuracy,
    double Seconds,
    string? Error = null,
    double BestValMae = double.NaN,
    int StoppedEpoch = 0,
    string? StopReason = null)
{
    /// <summary>Early stopping ended the trial before its last epoch; it is still <see cref="TrialStatus.Completed"/>.</summary>
    [JsonIgnore]
    public bool StoppedEarly => StoppedEpoch > 0;

    public static TrialSummary From(TrialStatus status, IReadOnlyList<EpochMetrics> epochs, double seconds, string? error = null)
    {
        var finite = epochs.Where(e => double.IsFinite(e.ValLoss)).ToList();
        if (finite.Count == 0)
            return new TrialSummary(status, 0, double.NaN, double.NaN, double.NaN, double.NaN, seconds, error);
        var best = finite.MinBy(e => e.ValLoss)!;
        var last = epochs[^1];
        return new TrialSummary(
            status,
            best.Epoch,
            best.ValLoss,
            last.ValLoss,
            last.ValLoss - last.TrainLoss,
            Best(finite.Select(e => e.ValAccuracy), Math.Max),
            seconds,
            error,
            Best(finite.Select(e => e.ValMae), Math.Min));
    }

    /// <summary>The best finite value, or NaN when there is none (the metric the task does not have).</summary>
    private static double Best(IEnumerable<double> values, Func<double, double, double> better) =>
        values.Where(double.IsFinite).Aggregate(double.NaN, (best, value) => double.IsNaN(best) ? value : better(best, value));
}
