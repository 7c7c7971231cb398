using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;
using GridSweep.Runtime.Files;
using GridSweep.TrainerNode.Training;

namespace GridSweep.TrainerNode.Models;

/// <summary>
/// Keeps a trial's best weights while it trains: offered the model after every epoch, it exports it whenever the
/// monitored value improves on every earlier epoch's. The monitor is the trial's early-stopping monitor (with its
/// min_delta and mode), else the validation loss, which makes the kept epoch trials.csv's best_epoch. With
/// <c>restore_best_weights: false</c> the trial keeps what Keras would leave in the model: its last epoch's weights.
/// </summary>
public sealed class BestWeights
{
    private readonly TrialSpec trial;
    private readonly TrainingData data;
    private EarlyStopping criterion;

    /// <param name="earlier">Epochs trained before (a resumed trial's), which set the best to beat.</param>
    /// <param name="kept">The files kept for the best of <paramref name="earlier"/>, from the trial's checkpoint.</param>
    public BestWeights(TrialSpec trial, TrainingData data, IReadOnlyList<EpochMetrics>? earlier = null, KeptModelFiles? kept = null)
    {
        this.trial = trial;
        this.data = data;
        criterion = EarlyStopping.Replay(Criterion(trial), earlier ?? []);
        if (criterion.BestEpoch > 0)
        {
            Files = kept ?? throw new ArgumentException($"trial {trial.Id}: the kept files of epoch {criterion.BestEpoch} are missing", nameof(kept));
            Epoch = earlier![criterion.BestEpoch - 1];
        }
    }

    /// <summary>The trial's own monitor, never stopping and from the first epoch on: what "best" means for the weights.</summary>
    public static EarlyStoppingSpec Criterion(TrialSpec trial) =>
        (trial.EarlyStopping ?? new EarlyStoppingSpec()) with { Patience = int.MaxValue, StartFromEpoch = 0 };

    /// <summary>True when the trial keeps its last epoch's weights (<c>restore_best_weights: false</c>).</summary>
    public bool KeepsLastEpoch => trial.EarlyStopping is { RestoreBestWeights: false };

    /// <summary>The best epoch's files so far; null until an epoch with a finite monitored value.</summary>
    public KeptModelFiles? Files { get; private set; }

    /// <summary>The epoch <see cref="Files"/> holds.</summary>
    public EpochMetrics? Epoch { get; private set; }

    /// <returns>True when this epoch is the new best and its weights were kept.</returns>
    public bool Offer(EpochMetrics metrics, DenseNetwork model)
    {
        criterion = criterion.After(metrics);
        if (criterion.BestEpoch != metrics.Epoch)
            return false;
        Files = KeptModel.Export(trial, model, data, metrics);
        Epoch = metrics;
        return true;
    }

    /// <summary>The trial ended after <paramref name="last"/>: the files to deliver.</summary>
    public KeptModelFiles? Finish(EpochMetrics last, DenseNetwork model)
    {
        if (KeepsLastEpoch)
        {
            Files = KeptModel.Export(trial, model, data, last);
            Epoch = last;
        }
        return Files;
    }
}
