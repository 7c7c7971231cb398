using GridSweep.Messages.Sweeps;
using GridSweep.Coordinator.Results;
using GridSweep.Messages.Trials;

namespace GridSweep.Coordinator.Actors;

// What the coordinator publishes on its node's event stream for displays and tests. Local only: never on the wire.

public sealed record TrialAssigned(TrialSpec Trial, int Attempt, string NodeId, int Number, int Total);

/// <summary>An attempt resumed its trial from the checkpoint taken after <paramref name="AfterEpoch"/>.</summary>
public sealed record TrialResumed(TrialSpec Trial, int Attempt, string NodeId, int AfterEpoch);

/// <summary>An attempt given out by an earlier coordinator goes on under this one, its curve taken from its trainer up to <paramref name="AtEpoch"/>.</summary>
public sealed record TrialAdopted(TrialSpec Trial, int Attempt, string NodeId, int AtEpoch);

public sealed record EpochRecorded(TrialSpec Trial, int Attempt, string NodeId, EpochMetrics Metrics);

public sealed record TrialRecorded(TrialSpec Trial, TrialSummary Summary, string NodeId);

/// <summary>An attempt was abandoned and its trial is queued again (trainer lost, handed back, or failed with retries left).</summary>
public sealed record TrialRequeued(TrialSpec Trial, int Attempt, string NodeId, string Reason);

public sealed record SweepFinished(string Sweep, int Total, int Skipped, int Completed, int Diverged, int Failed,
    IReadOnlyList<(TrialSpec Trial, TrialSummary Summary)> Finished);

/// <summary>The coordinator opened its ledger: where it is, what the grid gained and lost, how many trials were finished and still out.</summary>
public sealed record LedgerOpened(string Ledger, GridChange? Change, int Finished, int StillOut);

/// <summary>The sweep cannot run: its ledger refused it (other data, a folder in use, a broken file). Ends the run with the message.</summary>
public sealed record SweepRefused(Exception Error);
