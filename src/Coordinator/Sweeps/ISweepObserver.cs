using GridSweep.Coordinator.Results;
using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;

namespace GridSweep.Coordinator.Sweeps;

/// <summary>What a running sweep reports as it goes; the console display implements it. Called from one thread at a time.</summary>
public interface ISweepObserver
{
    void TrialStarted(TrialSpec trial, int number, int total, string node);
    /// <summary>The trial's new attempt on <paramref name="node"/> goes on from its checkpoint after <paramref name="afterEpoch"/>.</summary>
    void TrialResumed(TrialSpec trial, int afterEpoch, string node);
    /// <summary>An attempt given out before this coordinator started goes on here, on <paramref name="node"/>, at <paramref name="atEpoch"/>.</summary>
    void TrialAdopted(TrialSpec trial, int atEpoch, string node);
    void EpochFinished(TrialSpec trial, EpochMetrics metrics);
    void TrialFinished(TrialSpec trial, TrialSummary summary);
    void TrialRequeued(TrialSpec trial, string reason);
    /// <summary>The coordinator opened its ledger (at start, or on this node when it took over from another).</summary>
    void LedgerOpened(string ledger, GridChange? change, int finished, int stillOut);
}
