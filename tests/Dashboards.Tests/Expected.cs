using GridSweep.Messages.Trials;

namespace GridSweep.Dashboards.Tests;

/// <summary>What each panel must show for <see cref="SmallSweep"/>, computed from the written numbers.</summary>
public static class Expected
{
    public const double Tolerance = 1e-9;

    public static IEnumerable<SimulatedTrial> Cell(string model, string regularizer) =>
        SmallSweep.InSweep.Where(t => t.Spec.Model == model && t.Spec.Regularizer == regularizer);

    /// <summary>Trials of the cell that have written an epoch with a validation loss.</summary>
    public static IEnumerable<SimulatedTrial> WithCurve(string model, string regularizer) =>
        Cell(model, regularizer).Where(t => t.FiniteEpochs.Count > 0);

    public static double BestValLoss(string model, string regularizer) =>
        WithCurve(model, regularizer).Average(t => t.FiniteEpochs.Min(e => e.ValLoss));

    public static double BestEpoch(string model, string regularizer) =>
        WithCurve(model, regularizer).Average(t => (double)t.FiniteEpochs.MinBy(e => e.ValLoss)!.Epoch);

    /// <summary>val_loss - train_loss of the last epoch that has both (a diverged epoch writes neither).</summary>
    public static double FinalGap(string model, string regularizer) =>
        WithCurve(model, regularizer).Average(t => t.FiniteEpochs[^1].ValLoss - t.FiniteEpochs[^1].TrainLoss);

    public static int Count(TrialStatus status) => SmallSweep.InSweep.Count(t => t.LatestStatus == status);

    /// <summary>Trials whose latest summary has a finite best validation loss: the ranked table's rows.</summary>
    public static IReadOnlyList<SimulatedTrial> Ranked() =>
        SmallSweep.InSweep.Where(t => t.Summary is { } s && double.IsFinite(s.BestValLoss)).OrderBy(t => t.Summary!.BestValLoss).ToList();

    public static void Near(double expected, double actual, string what) =>
        Assert.True(Math.Abs(expected - actual) < Tolerance, $"{what}: expected {expected}, got {actual}");
}
