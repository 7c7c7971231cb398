using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;

namespace GridSweep.Messages.Tests.Trials;

/// <summary>Keras' EarlyStopping, worked by hand on short curves: when it stops, which epoch is best, and why.</summary>
public sealed class EarlyStoppingSpecs
{
    /// <summary>Epochs 1, 2, ... with these validation losses; the train loss 0.1 below each.</summary>
    private static IEnumerable<EpochMetrics> ValLosses(params double[] losses) =>
        losses.Select((loss, i) => new EpochMetrics(i + 1, loss - 0.1, 0, loss, double.NaN, double.NaN, 1));

    private static EarlyStopping Run(EarlyStoppingSpec spec, IEnumerable<EpochMetrics> epochs) => EarlyStopping.Replay(spec, epochs);

    [Fact]
    public void Training_stops_patience_epochs_after_the_best_one()
    {
        var stopping = Run(new(Patience: 2), ValLosses(0.50, 0.40, 0.35, 0.36, 0.37, 0.30));

        Assert.Equal(5, stopping.StoppedEpoch);
        Assert.Equal(3, stopping.BestEpoch);
        Assert.Equal(0.35, stopping.Best);
        Assert.Equal(2, stopping.Wait);
        Assert.Equal("val_loss did not improve by more than 0 for 2 epochs after epoch 3 (best 0.35)", stopping.StopReason);
    }

    [Fact]
    public void Patience_zero_stops_at_the_first_epoch_that_does_not_improve()
    {
        var stopping = Run(new(), ValLosses(0.5, 0.4, 0.45, 0.3));

        Assert.Equal(3, stopping.StoppedEpoch);
        Assert.Equal(2, stopping.BestEpoch);
        Assert.Equal("val_loss did not improve by more than 0 for 1 epoch after epoch 2 (best 0.4)", stopping.StopReason);
    }

    [Fact]
    public void Patience_one_stops_where_patience_zero_does_as_in_keras()
    {
        // The wait counts the epoch that did not improve before it is compared with the patience.
        var stopping = Run(new(Patience: 1), ValLosses(0.5, 0.4, 0.45, 0.3));

        Assert.Equal(3, stopping.StoppedEpoch);
        Assert.Equal(Run(new(Patience: 0), ValLosses(0.5, 0.4, 0.45, 0.3)).StoppedEpoch, stopping.StoppedEpoch);
    }

    [Fact]
    public void An_equal_value_is_not_an_improvement()
    {
        var stopping = Run(new(), ValLosses(0.5, 0.5));

        Assert.Equal(2, stopping.StoppedEpoch);
        Assert.Equal(1, stopping.BestEpoch);
    }

    [Fact]
    public void An_improvement_must_beat_the_best_by_more_than_min_delta()
    {
        // 0.495 and then 0.475, 0.472 are lower than the best, but not by more than 0.01 than the best at the time.
        var stopping = Run(new(MinDelta: 0.01, Patience: 2), ValLosses(0.50, 0.495, 0.48, 0.475, 0.472, 0.2));

        Assert.Equal(5, stopping.StoppedEpoch);
        Assert.Equal(3, stopping.BestEpoch);
        Assert.Equal(0.48, stopping.Best);
        Assert.Equal("val_loss did not improve by more than 0.01 for 2 epochs after epoch 3 (best 0.48)", stopping.StopReason);
    }

    [Fact]
    public void An_accuracy_is_maximized()
    {
        double[] accuracies = [0.80, 0.85, 0.84, 0.86, 0.86, 0.85, 0.99];
        var epochs = accuracies.Select((accuracy, i) => new EpochMetrics(i + 1, 0.3, 0, 0.3, accuracy, accuracy, 1));

        var stopping = Run(new(EarlyStoppingMonitors.TrainAccuracy, Patience: 2), epochs);

        Assert.True(stopping.Spec.Maximizes);
        Assert.Equal(6, stopping.StoppedEpoch);
        Assert.Equal(4, stopping.BestEpoch);
        Assert.Equal(0.86, stopping.Best);
    }

    [Fact]
    public void Mode_max_maximizes_a_loss_when_asked_to()
    {
        var stopping = Run(new(Mode: EarlyStoppingModes.Max), ValLosses(0.5, 0.6, 0.55));

        Assert.Equal(3, stopping.StoppedEpoch);
        Assert.Equal(2, stopping.BestEpoch);
    }

    [Fact]
    public void The_gap_is_validation_minus_train_loss_and_is_minimized()
    {
        EpochMetrics[] epochs =
        [
            new(1, TrainLoss: 0.60, 0, ValLoss: 0.62, 0.7, 0.7, 1), // gap 0.02
            new(2, TrainLoss: 0.50, 0, ValLoss: 0.51, 0.7, 0.7, 1), // gap 0.01, the best
            new(3, TrainLoss: 0.40, 0, ValLoss: 0.45, 0.7, 0.7, 1), // gap 0.05, though val_loss still falls
        ];

        var stopping = Run(new(EarlyStoppingMonitors.Gap), epochs);

        Assert.Equal(3, stopping.StoppedEpoch);
        Assert.Equal(2, stopping.BestEpoch);
        Assert.Equal(0.01, stopping.Best, 12);
    }

    [Fact]
    public void The_mean_absolute_error_is_minimized()
    {
        double[] errors = [3.0, 2.5, 2.6];
        var epochs = errors.Select((mae, i) => new EpochMetrics(i + 1, 9, 0, 9 - i, double.NaN, double.NaN, 1, TrainMae: 2, ValMae: mae));

        var stopping = Run(new(EarlyStoppingMonitors.ValMae), epochs);

        Assert.False(stopping.Spec.Maximizes);
        Assert.Equal(3, stopping.StoppedEpoch);
        Assert.Equal(2.5, stopping.Best);
    }

    [Fact]
    public void Epochs_up_to_start_from_epoch_are_not_monitored()
    {
        // Unmonitored, epoch 2 would have stopped a patience-0 run; monitoring begins at epoch 3.
        var stopping = Run(new(StartFromEpoch: 2), ValLosses(0.5, 0.6, 0.4, 0.45));

        Assert.Equal(4, stopping.StoppedEpoch);
        Assert.Equal(3, stopping.BestEpoch);
    }

    [Fact]
    public void A_curve_that_keeps_improving_never_stops()
    {
        var stopping = Run(new(Patience: 2), ValLosses(0.5, 0.4, 0.45, 0.3, 0.2));

        Assert.False(stopping.ShouldStop);
        Assert.Equal(0, stopping.StoppedEpoch);
        Assert.Null(stopping.StopReason);
        Assert.Equal(5, stopping.BestEpoch);
        Assert.Equal(0, stopping.Wait);
    }

    [Fact]
    public void Before_any_epoch_there_is_no_best()
    {
        var stopping = new EarlyStopping(new EarlyStoppingSpec());

        Assert.Equal(0, stopping.BestEpoch);
        Assert.True(double.IsNaN(stopping.Best));
        Assert.False(stopping.ShouldStop);
    }

    [Fact]
    public void Once_stopped_later_epochs_change_nothing()
    {
        var stopped = Run(new(), ValLosses(0.5, 0.6));

        Assert.Same(stopped, stopped.After(ValLosses(0.5, 0.6, 0.1).Last()));
    }

    [Fact]
    public void A_value_that_is_not_finite_never_improves()
    {
        var stopping = Run(new(Patience: 1), ValLosses(0.5, double.NaN));

        Assert.Equal(2, stopping.StoppedEpoch);
        Assert.Equal(1, stopping.BestEpoch);
    }

    [Fact]
    public void Replaying_a_prefix_and_going_on_gives_the_state_of_the_whole_curve()
    {
        var curve = ValLosses(0.50, 0.40, 0.42, 0.39, 0.41, 0.43, 0.44).ToList();
        var spec = new EarlyStoppingSpec(MinDelta: 0.005, Patience: 2);

        var resumed = curve.Skip(3).Aggregate(EarlyStopping.Replay(spec, curve.Take(3)), (state, epoch) => state.After(epoch));

        Assert.Equal(Run(spec, curve), resumed);
        Assert.Equal(6, resumed.StoppedEpoch);
        Assert.Equal(4, resumed.BestEpoch);
    }

    [Theory]
    [InlineData(EarlyStoppingMonitors.ValLoss, false)]
    [InlineData(EarlyStoppingMonitors.TrainLoss, false)]
    [InlineData(EarlyStoppingMonitors.ValAccuracy, true)]
    [InlineData(EarlyStoppingMonitors.TrainAccuracy, true)]
    [InlineData(EarlyStoppingMonitors.ValMae, false)]
    [InlineData(EarlyStoppingMonitors.TrainMae, false)]
    [InlineData(EarlyStoppingMonitors.Gap, false)]
    public void Mode_auto_maximizes_accuracies_only(string monitor, bool maximizes)
    {
        Assert.Equal(maximizes, new EarlyStoppingSpec(monitor).Maximizes);
        Assert.False(new EarlyStoppingSpec(monitor, Mode: EarlyStoppingModes.Min).Maximizes);
        Assert.True(new EarlyStoppingSpec(monitor, Mode: EarlyStoppingModes.Max).Maximizes);
    }
}
