using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;

namespace GridSweep.Coordinator.Sweeps;

/// <summary>What a running sweep reports as it goes; the console display implements it. Called from one thread at a time.</summary>
public interface ISweepObserver
{
    void TrialStarted(TrialSpec trial, int number, int total, string node);
    void EpochFinished(TrialSpec trial, EpochMetrics metrics);
    void TrialFinished(TrialSpec trial, TrialSummary summary);
    void TrialRequeued(TrialSpec trial, string reason);
}
