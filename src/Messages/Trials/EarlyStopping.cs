using System.Globalization;
using GridSweep.Messages.Sweeps;

namespace GridSweep.Messages.Trials;

/// <summary>
/// Keras' <c>EarlyStopping</c> decision as a fold over a trial's epochs: <see cref="After"/> takes one epoch and
/// returns the next state, so the state after any prefix of a curve is <see cref="Replay"/> of it (a resumed trial
/// rebuilds it from the epochs it already has). Per monitored epoch, as Keras does it: the wait grows by one; a
/// value better than the best by more than <see cref="EarlyStoppingSpec.MinDelta"/> becomes the best and resets the
/// wait; otherwise, once the wait reaches <see cref="EarlyStoppingSpec.Patience"/>, training stops. So a trial
/// stops <c>patience</c> epochs after its best one (patience 0: at the first epoch that does not improve).
/// </summary>
/// <remarks>
/// Epochs up to <see cref="EarlyStoppingSpec.StartFromEpoch"/> are not monitored. A value that is not finite never
/// improves (such a trial has diverged anyway). Keras never stops at the first epoch; neither does this.
/// Once stopped, the state no longer changes.
/// </remarks>
public sealed record EarlyStopping
{
    public EarlyStopping(EarlyStoppingSpec spec) => Spec = spec;

    public EarlyStoppingSpec Spec { get; }

    /// <summary>The epoch of the best monitored value so far (the one whose weights Keras restores); 0 before any.</summary>
    public int BestEpoch { get; private init; }

    /// <summary>The best monitored value so far; NaN before any.</summary>
    public double Best { get; private init; } = double.NaN;

    /// <summary>Monitored epochs since the best one (or since monitoring began, when none was finite).</summary>
    public int Wait { get; private init; }

    /// <summary>The epoch after which training stops; 0 while it goes on.</summary>
    public int StoppedEpoch { get; private init; }

    public bool ShouldStop => StoppedEpoch > 0;

    /// <summary>The state after <paramref name="epochs"/>, in order, from the start of a trial.</summary>
    public static EarlyStopping Replay(EarlyStoppingSpec spec, IEnumerable<EpochMetrics> epochs) =>
        epochs.Aggregate(new EarlyStopping(spec), (state, epoch) => state.After(epoch));

    /// <summary>The state once <paramref name="epoch"/> has finished.</summary>
    public EarlyStopping After(EpochMetrics epoch)
    {
        if (ShouldStop || epoch.Epoch <= Spec.StartFromEpoch)
            return this;
        var current = Monitored(Spec.Monitor, epoch);
        if (IsImprovement(current))
            return this with { Best = current, BestEpoch = epoch.Epoch, Wait = 0 };
        var wait = Wait + 1;
        return wait >= Spec.Patience && epoch.Epoch > 1
            ? this with { Wait = wait, StoppedEpoch = epoch.Epoch }
            : this with { Wait = wait };
    }

    /// <summary>
    /// Why training stopped, for <c>trials.csv</c>'s stop_reason: "val_loss did not improve by more than 0 for 2
    /// epochs after epoch 3 (best 0.2841)"; null while it goes on.
    /// </summary>
    public string? StopReason
    {
        get
        {
            if (!ShouldStop)
                return null;
            var improve = $"{Spec.Monitor} did not improve by more than {Spec.MinDelta.ToString("R", CultureInfo.InvariantCulture)}";
            var epochs = Wait == 1 ? "1 epoch" : $"{Wait} epochs";
            return BestEpoch == 0
                ? $"{Spec.Monitor} had no finite value for {epochs}"
                : $"{improve} for {epochs} after epoch {BestEpoch} (best {Best.ToString("G4", CultureInfo.InvariantCulture)})";
        }
    }

    /// <summary>The value of <paramref name="monitor"/> (one of <see cref="EarlyStoppingMonitors"/>) in an epoch.</summary>
    public static double Monitored(string monitor, EpochMetrics epoch) => monitor switch
    {
        EarlyStoppingMonitors.ValLoss => epoch.ValLoss,
        EarlyStoppingMonitors.TrainLoss => epoch.TrainLoss,
        EarlyStoppingMonitors.ValAccuracy => epoch.ValAccuracy,
        EarlyStoppingMonitors.TrainAccuracy => epoch.TrainAccuracy,
        EarlyStoppingMonitors.ValMae => epoch.ValMae,
        EarlyStoppingMonitors.TrainMae => epoch.TrainMae,
        EarlyStoppingMonitors.Gap => epoch.ValLoss - epoch.TrainLoss,
        _ => throw new ArgumentOutOfRangeException(nameof(monitor), monitor, $"not one of {string.Join(", ", EarlyStoppingMonitors.All)}"),
    };

    // Keras: monitor_op(current - min_delta, best), min_delta negated for min; the first value always improves.
    private bool IsImprovement(double current) =>
        double.IsFinite(current) && (BestEpoch == 0 || (Spec.Maximizes
            ? current - Spec.MinDelta > Best
            : current + Spec.MinDelta < Best));
}
