using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;
using GridSweep.TrainerNode.Training;
using static TorchSharp.torch;

namespace GridSweep.TrainerNode.Tests.Training;

/// <summary>
/// Early stopping in real training: a 64-64 network on the IMDB-shaped reviews overfits like the IMDB study, its
/// validation loss lowest at epoch 5 and rising after, and the same seed trains the same curve, so a stopped run
/// must be the full run's curve cut where <see cref="EarlyStopping"/> says, folded over the full curve.
/// </summary>
public sealed class EarlyStoppingTrainingSpecs
{
    private const int Epochs = 10;

    private static readonly TrialSpec Overfitting = TrainingFixtures.Trial(hidden: [64, 64], epochs: Epochs);

    private static readonly Lazy<TrialRun> Full = new(() => Train(Overfitting));

    private static TrialRun Train(TrialSpec trial) => new TrialTrainer(TrainingFixtures.Data, CPU).Train(trial);

    private static IEnumerable<EpochMetrics> Untimed(IEnumerable<EpochMetrics> epochs) => epochs.Select(e => e with { Seconds = 0 });

    [Fact]
    public void A_trial_stops_patience_epochs_after_its_best_on_the_curve_of_the_full_run()
    {
        var criterion = new EarlyStoppingSpec(Patience: 2);
        var expected = EarlyStopping.Replay(criterion, Full.Value.Epochs);
        Assert.True(expected.ShouldStop && expected.StoppedEpoch < Epochs, $"the full run never stops: {expected}");

        var stopped = Train(Overfitting with { EarlyStopping = criterion });

        Assert.Equal(TrialStatus.Completed, stopped.Summary.Status);
        Assert.Equal(expected.StoppedEpoch, stopped.Summary.StoppedEpoch);
        Assert.Equal(expected.BestEpoch + 2, stopped.Summary.StoppedEpoch);
        Assert.Equal(Untimed(Full.Value.Epochs.Take(expected.StoppedEpoch)), Untimed(stopped.Epochs));
        Assert.Equal(expected.StopReason, stopped.Summary.StopReason);
        Assert.StartsWith($"val_loss did not improve by more than 0 for 2 epochs after epoch {expected.BestEpoch} (best ", stopped.Summary.StopReason);
        // Val loss is the monitor: the stopped run keeps the full run's best epoch and loss.
        Assert.Equal((Full.Value.Summary.BestEpoch, Full.Value.Summary.BestValLoss), (stopped.Summary.BestEpoch, stopped.Summary.BestValLoss));
    }

    [Theory]
    [InlineData(EarlyStoppingMonitors.ValAccuracy)]
    [InlineData(EarlyStoppingMonitors.Gap)]
    public void Any_recorded_metric_can_be_monitored(string monitor)
    {
        var criterion = new EarlyStoppingSpec(monitor, Patience: 1);
        var expected = EarlyStopping.Replay(criterion, Full.Value.Epochs);

        Assert.True(expected.ShouldStop && expected.StoppedEpoch < Epochs, $"the full run never stops: {expected}");

        var stopped = Train(Overfitting with { EarlyStopping = criterion });

        Assert.Equal(expected.StoppedEpoch, stopped.Summary.StoppedEpoch);
        Assert.Equal(expected.StoppedEpoch, stopped.Epochs.Count);
        Assert.StartsWith($"{monitor} did not improve", stopped.Summary.StopReason);
    }

    [Fact]
    public void A_criterion_met_only_at_the_last_epoch_does_not_count_as_a_stop()
    {
        var criterion = new EarlyStoppingSpec(Patience: 2);
        var lastEpoch = EarlyStopping.Replay(criterion, Full.Value.Epochs).StoppedEpoch;

        var run = Train(Overfitting with { Epochs = lastEpoch, EarlyStopping = criterion });

        Assert.Equal(lastEpoch, run.Epochs.Count);
        Assert.Equal(TrialStatus.Completed, run.Summary.Status);
        Assert.Equal((0, null), (run.Summary.StoppedEpoch, run.Summary.StopReason));
        Assert.False(run.Summary.StoppedEarly);
    }

    [Fact]
    public void A_trial_without_early_stopping_runs_every_epoch()
    {
        Assert.Equal(Epochs, Full.Value.Epochs.Count);
        Assert.Equal((0, null), (Full.Value.Summary.StoppedEpoch, Full.Value.Summary.StopReason));
    }
}
