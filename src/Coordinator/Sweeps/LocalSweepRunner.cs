using GridSweep.Coordinator.Results;
using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;
using GridSweep.TrainerNode.Training;
using System.Runtime.InteropServices;
using TorchSharp;

namespace GridSweep.Coordinator.Sweeps;

/// <summary>What the embedded run reports as it goes: the console display implements it.</summary>
public interface ISweepObserver
{
    void TrialStarted(TrialSpec trial, int number, int total);
    void EpochFinished(TrialSpec trial, EpochMetrics metrics);
    void TrialFinished(TrialSpec trial, TrialSummary summary);
}

public sealed record SweepOutcome(int Total, int Skipped, int Completed, int Diverged, int Failed, IReadOnlyList<(TrialSpec Trial, TrialSummary Summary)> Finished);

/// <summary>
/// Trains a sweep's trials one after another in this process, writing every epoch and every finished
/// trial to the run folder as it happens. Trials the folder already finished are skipped.
/// </summary>
public sealed class LocalSweepRunner(TrainingData data, torch.Device device, RunFolder results)
{
    public SweepOutcome Run(IReadOnlyList<TrialSpec> trials, ISweepObserver observer, CancellationToken cancellationToken)
    {
        var pending = trials.Where(t => !results.Finished.Contains(t.Id)).ToList();
        var trainer = new TrialTrainer(data, device);
        var finished = new List<(TrialSpec, TrialSummary)>();
        int completed = 0, diverged = 0, failed = 0;
        for (var i = 0; i < pending.Count && !cancellationToken.IsCancellationRequested; i++)
        {
            var trial = pending[i];
            observer.TrialStarted(trial, trials.Count - pending.Count + i + 1, trials.Count);
            TrialSummary summary;
            try
            {
                var run = trainer.Train(trial, metrics =>
                {
                    results.AppendEpoch(trial, metrics);
                    observer.EpochFinished(trial, metrics);
                }, cancellationToken);
                summary = run.Summary;
            }
            catch (OperationCanceledException)
            {
                break; // The partial curve has no trials.csv row, so the next run drops it and trains the trial again.
            }
            catch (Exception error) when (error is ExternalException or InvalidOperationException or ArgumentException or OutOfMemoryException)
            {
                summary = TrialSummary.From(TrialStatus.Failed, [], 0, $"{error.GetType().Name}: {error.Message}");
            }
            results.AppendTrial(trial, summary);
            observer.TrialFinished(trial, summary);
            finished.Add((trial, summary));
            switch (summary.Status)
            {
                case TrialStatus.Completed: completed++; break;
                case TrialStatus.Diverged: diverged++; break;
                default: failed++; break;
            }
        }
        return new SweepOutcome(trials.Count, trials.Count - pending.Count, completed, diverged, failed, finished);
    }
}
