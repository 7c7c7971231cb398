namespace GridSweep.Messages.Trials;

/// <summary>
/// What one epoch of one trial measured, as plain numbers (Keras conventions): the data loss is the mean
/// binary cross-entropy over the epoch's training samples, the regularization penalty is kept apart, the
/// validation figures cover the whole validation split.
/// </summary>
public sealed record EpochMetrics(
    int Epoch,
    double TrainLoss,
    double TrainPenalty,
    double ValLoss,
    double TrainAccuracy,
    double ValAccuracy,
    double Seconds)
{
    /// <summary>True when a loss is NaN or infinite: the trial has diverged.</summary>
    public bool IsDiverged => !double.IsFinite(TrainLoss) || !double.IsFinite(ValLoss) || !double.IsFinite(TrainPenalty);
}

public enum TrialStatus { Queued, Running, Completed, Failed, Diverged }

/// <summary>One finished trial: how it ended and the figures that show where it starts to overfit.</summary>
/// <param name="BestEpoch">Epoch of the lowest validation loss: where overfitting starts. 0 when no epoch finished.</param>
/// <param name="FinalGap">Validation loss minus train loss at the last epoch.</param>
public sealed record TrialSummary(
    TrialStatus Status,
    int BestEpoch,
    double BestValLoss,
    double FinalValLoss,
    double FinalGap,
    double BestValAccuracy,
    double Seconds,
    string? Error = null)
{
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
            finite.Max(e => e.ValAccuracy),
            seconds,
            error);
    }
}
