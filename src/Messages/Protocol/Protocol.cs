using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;

namespace GridSweep.Messages.Protocol;

/// <summary>Every message between coordinator and trainers; bound to <see cref="ProtocolSerializer"/>.</summary>
public interface IGridSweepMessage;

/// <summary>A trainer node offers its slots; repeated every few seconds (a heartbeat) and whenever the coordinator changes.</summary>
/// <param name="Data">The identity of the data the node prepared before it joined (its dataset's files, hashed as loaded);
/// null when it prepared none, or from a node older than this field.</param>
/// <param name="Running">The attempts its slots are training: a coordinator that took over adopts them instead of
/// training them again. Null from a node older than this field.</param>
public sealed record RegisterTrainer(string NodeId, int Slots, string Device, DataIdentity? Data = null, IReadOnlyList<RunningAttempt>? Running = null)
    : IGridSweepMessage;

/// <summary>An attempt a trainer's slot is training.</summary>
public sealed record RunningAttempt(string TrialId, int Attempt);

/// <summary>
/// The coordinator knows the node. The incarnation changes when a coordinator restarts or another takes over;
/// <paramref name="Adopted"/> are the node's running trials it goes on with (the others are dropped: they run again).
/// </summary>
public sealed record TrainerRegistered(string CoordinatorIncarnation, string Sweep, IReadOnlyList<string>? Adopted = null) : IGridSweepMessage;

/// <summary>A slot is free: the coordinator answers with an assignment now or as soon as one is queued.</summary>
public sealed record RequestWork(string NodeId, int Slot) : IGridSweepMessage;

public sealed record AssignTrial(TrialSpec Trial, int Attempt, int Slot, string CoordinatorIncarnation) : IGridSweepMessage;

/// <summary>
/// A trainer began an assigned attempt: from scratch (<paramref name="ResumedAfterEpoch"/> 0), or from the trial's
/// checkpoint after that epoch, with the checkpoint's record of the epochs already trained. Sent before any
/// <see cref="EpochCompleted"/> of the attempt, so the coordinator keeps exactly those earlier epochs of its
/// record and takes only the remaining ones from this attempt.
/// </summary>
public sealed record TrialStarted(string TrialId, int Attempt, string NodeId, int ResumedAfterEpoch, IReadOnlyList<EpochMetrics> EarlierEpochs)
    : IGridSweepMessage;

public sealed record EpochCompleted(string TrialId, int Attempt, string NodeId, EpochMetrics Metrics) : IGridSweepMessage;

/// <summary>
/// The trial ran to its end: status completed or diverged. Sent again until <see cref="TrialCompletedReceived"/>
/// answers it, so a coordinator that takes over mid-way still gets it. <paramref name="Curve"/> is the trial's whole
/// curve (up to <see cref="MaxCurve"/> epochs), from which the coordinator's record is made whole if epochs were lost.
/// </summary>
public sealed record TrialCompleted(string TrialId, int Attempt, string NodeId, TrialSummary Summary, IReadOnlyList<EpochMetrics>? Curve = null)
    : IGridSweepMessage
{
    /// <summary>Epochs past this many are not sent with the end: the message stays well under Akka's 128,000-byte frame.</summary>
    public const int MaxCurve = 300;
}

/// <summary>The coordinator has the trial's end (recorded it, or had it already): the trainer stops sending it.</summary>
public sealed record TrialCompletedReceived(string TrialId, int Attempt) : IGridSweepMessage;

/// <summary>
/// One piece of a file the trainer keeps for a finished trial (its best weights, <c>models/&lt;trial&gt;.safetensors</c>,
/// and their description): pieces go one at a time, each after the previous one's <see cref="KeptFilePartReceived"/>,
/// so a large model never floods the connection the heartbeats share. <paramref name="Last"/> closes the file.
/// </summary>
public sealed record KeptFilePart(string TrialId, int Attempt, string FileName, long Offset, byte[] Bytes, bool Last) : IGridSweepMessage
{
    /// <summary>Bytes per piece: base64 in the JSON body keeps a message well under Akka's default 128,000-byte frame.</summary>
    public const int MaxBytes = 64 * 1024;
}

/// <summary>The coordinator wrote a <see cref="KeptFilePart"/> (or refused it: <paramref name="Error"/>); the next piece may come.</summary>
public sealed record KeptFilePartReceived(string TrialId, int Attempt, string FileName, long NextOffset, string? Error = null) : IGridSweepMessage;

public sealed record TrialFailed(string TrialId, int Attempt, string NodeId, string Reason) : IGridSweepMessage;

/// <summary>A leaving trainer hands its trial back so it runs elsewhere at once.</summary>
public sealed record TrialReturned(string TrialId, int Attempt, string NodeId) : IGridSweepMessage;

/// <summary>
/// The sweep is finished and its results are written: sent to every registered trainer (and to one that registers
/// later), which exits unless it waits for the next sweep, so its devices are free for other work.
/// </summary>
public sealed record SweepEnded(string Sweep) : IGridSweepMessage;

public sealed class GetSweepStatus : IGridSweepMessage
{
    public static readonly GetSweepStatus Instance = new();
    private GetSweepStatus() { }
}

public sealed record SweepStatusResponse(
    string Sweep,
    int Total,
    int Queued,
    int Running,
    int Completed,
    int Diverged,
    int Failed,
    IReadOnlyList<NodeStatus> Nodes,
    BestTrial? Best = null) : IGridSweepMessage;

/// <summary>
/// The completed trial with the lowest best validation loss so far in this coordinator's run, with the task's
/// metric at its best: <c>val_accuracy</c> (binary, multiclass) or <c>val_mae</c> (regression).
/// </summary>
public sealed record BestTrial(string TrialId, string Model, string Regularizer, int Epoch, double ValLoss, string Metric, double MetricValue);

/// <param name="Standing">Whether the coordinator gives the node work: <c>ok</c>; <c>suspect</c> (it failed trials in a row and waits
/// while other nodes show whether the fault is its own); <c>quarantined</c> (no work until <paramref name="QuarantinedUntil"/>, for
/// <paramref name="Reason"/>); <c>probation</c> (one trial at a time after a quarantine). Absent from an older coordinator: ok.</param>
/// <param name="Reason">Why it is or was last quarantined; null if it never was.</param>
public sealed record NodeStatus(string NodeId, string Device, int Slots, int Running, int Completed, int Failed,
    string Standing = NodeStatus.Ok, string? Reason = null, DateTimeOffset? QuarantinedUntil = null)
{
    public const string Ok = "ok";
    public const string Suspect = "suspect";
    public const string Quarantined = "quarantined";
    public const string Probation = "probation";
}

/// <summary>Cluster role names and well-known actor names.</summary>
public static class ClusterNames
{
    public const string System = "gridsweep";
    public const string CoordinatorRole = "coordinator";
    public const string TrainerRole = "trainer";
    public const string Coordinator = "sweep-coordinator";
    public const string CoordinatorProxy = "sweep-coordinator-proxy";
    public const string Trainer = "trainer-node";
    public const string Status = "status";
}
