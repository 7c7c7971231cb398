using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;
using GridSweep.Runtime.Files;
using GridSweep.TrainerNode.Training;

namespace GridSweep.TrainerNode.Models;

/// <summary>
/// Keeps a trial's best weights while it trains: offered the model after every epoch (<see cref="TrialTrainer.OnValidated"/>),
/// it exports it whenever the validation loss improves on every earlier epoch's. The criterion is the one
/// <see cref="TrialSummary.BestEpoch"/> uses (the first epoch of lowest finite validation loss), so the kept epoch
/// is the best_epoch of trials.csv.
/// </summary>
public sealed class BestWeights(TrialSpec trial, TrainingData data)
{
    /// <summary>The best epoch's files so far; null until an epoch with a finite validation loss.</summary>
    public KeptModelFiles? Files { get; private set; }

    /// <summary>The epoch <see cref="Files"/> holds.</summary>
    public EpochMetrics? Epoch { get; private set; }

    /// <returns>True when this epoch is the new best and its weights were kept.</returns>
    public bool Offer(EpochMetrics metrics, DenseNetwork model)
    {
        if (!double.IsFinite(metrics.ValLoss) || Epoch is { } best && metrics.ValLoss >= best.ValLoss)
            return false;
        Files = KeptModel.Export(trial, model, data, metrics);
        Epoch = metrics;
        return true;
    }
}
