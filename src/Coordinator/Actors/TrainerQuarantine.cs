namespace GridSweep.Coordinator.Actors;

/// <summary>When a trainer node is quarantined and for how long.</summary>
/// <param name="After">Failures in a row that quarantine a node while others complete trials; 0 never quarantines.</param>
/// <param name="BackOff">The first quarantine's length; each one after a failed probation lasts twice the one before.</param>
/// <param name="MaxBackOff">The longest a quarantine lasts however often it repeats.</param>
public sealed record QuarantineOptions(int After, TimeSpan BackOff, TimeSpan MaxBackOff)
{
    public const int DefaultAfter = 3;
    public static readonly TimeSpan DefaultBackOff = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan DefaultMaxBackOff = TimeSpan.FromHours(1);

    public static readonly QuarantineOptions Default = new(DefaultAfter, DefaultBackOff, DefaultMaxBackOff);
}

/// <summary>Where a trainer node stands: it takes work (<see cref="Ok"/>), or not, or one trial at a time.</summary>
public enum NodeStanding
{
    Ok,
    /// <summary>It failed <see cref="QuarantineOptions.After"/> trials in a row and gets no work while another node may yet show whether the fault is its own.</summary>
    Suspect,
    Quarantined,
    /// <summary>Its quarantine is over: it gets one trial; failing it quarantines it again for longer.</summary>
    Probation,
}

/// <summary>One failed attempt of a trial.</summary>
public sealed record FailedAttempt(string TrialId, int Attempt);

/// <summary>A node put in quarantine: for how long, the how-manieth time, why, and the failed attempts excused from their trials' retries.</summary>
public sealed record Quarantine(string NodeId, TimeSpan For, int Times, string Reason, IReadOnlyList<FailedAttempt> Excused);

/// <summary>What a failure means: the node's quarantine if it began (its <see cref="Quarantine.Excused"/> include this failure), and whether the failure counts for its trial yet.</summary>
/// <param name="Settled">False while the failing node may still turn out to be the fault (its streak is short of the limit, or it
/// is a suspect): a trial whose last retry this was waits in the queue instead of being recorded as failed.</param>
/// <param name="Excused">The failure is the node's, not the trial's: it does not count against the trial's retries.</param>
public sealed record FailureVerdict(Quarantine? Quarantined, bool Settled, bool Excused = false);

/// <summary>
/// Tells black-hole trainers (nodes that fail every trial they take, from broken data or a broken machine) from trials
/// that fail wherever they run. A node that fails <see cref="QuarantineOptions.After"/> trials in a row while another
/// node completes trials is quarantined: it gets no work for the back-off, then one trial as probation; the attempts of
/// its streak are excused from their trials' retries. When every node fails, the trials are at fault and nothing is
/// quarantined. Plain state, no actor: <see cref="SweepCoordinatorActor"/> owns it and acts on its answers.
/// </summary>
public sealed class TrainerQuarantine(QuarantineOptions options)
{
    private sealed class Node
    {
        public bool Present { get; set; }
        public NodeStanding Standing { get; set; }
        public List<FailedAttempt> Streak { get; } = [];
        public string? LastFailure { get; set; }
        /// <summary>The event number at which the streak began: completions elsewhere after it are evidence against the node.</summary>
        public long StreakSince { get; set; }
        public long LastCompleted { get; set; } = -1;
        public int Times { get; set; }
        public string? Reason { get; set; }
        public TimeSpan For { get; set; }
    }

    private readonly Dictionary<string, Node> nodes = [];
    private long events;

    public bool Enabled => options.After > 0;

    public NodeStanding Standing(string nodeId) => nodes.TryGetValue(nodeId, out var node) ? node.Standing : NodeStanding.Ok;

    /// <summary>Failures of the node since its last completed trial.</summary>
    public int Streak(string nodeId) => nodes.TryGetValue(nodeId, out var node) ? node.Streak.Count : 0;

    /// <summary>Why the node is (or was last) quarantined; null if it never was.</summary>
    public string? Reason(string nodeId) => nodes.TryGetValue(nodeId, out var node) ? node.Reason : null;

    /// <summary>How long the node's current (or last) quarantine lasts.</summary>
    public TimeSpan QuarantineLength(string nodeId) => nodes.TryGetValue(nodeId, out var node) ? node.For : TimeSpan.Zero;

    /// <summary>Whether the node may be given a trial now, with <paramref name="running"/> of its trials in flight.</summary>
    public bool MayTakeWork(string nodeId, int running) => Standing(nodeId) switch
    {
        NodeStanding.Ok => true,
        NodeStanding.Probation => running == 0,
        _ => false,
    };

    /// <summary>A node registered: it can witness for or against the others. A quarantine outlasts the node leaving and coming back.</summary>
    public void Joined(string nodeId) => Get(nodeId).Present = true;

    /// <summary>A node left or was lost. Returns the suspects that no node is left to judge: they take work again.</summary>
    public IReadOnlyList<string> Left(string nodeId)
    {
        Get(nodeId).Present = false;
        return ReleaseUnjudgedSuspects();
    }

    /// <summary>A trial completed (or diverged: the node trained it to its end) on the node.</summary>
    /// <returns>The nodes quarantined now: those that failed too often in a row while this one completed.</returns>
    public IReadOnlyList<Quarantine> Completed(string nodeId)
    {
        var node = Get(nodeId);
        node.LastCompleted = ++events;
        node.Streak.Clear();
        if (node.Standing == NodeStanding.Probation)
        {
            node.Standing = NodeStanding.Ok;
            node.Times = 0;
        }
        if (!Enabled)
            return [];
        return nodes.Where(n => n.Key != nodeId && n.Value.Standing is NodeStanding.Ok or NodeStanding.Suspect && n.Value.Streak.Count >= options.After)
            .Select(n => Quarantine(n.Key, n.Value, $"failed {n.Value.Streak.Count} trials in a row while other nodes completed trials ({nodeId})"))
            .ToList();
    }

    /// <summary>An attempt failed on the node. Call <see cref="ReleaseUnjudgedSuspects"/> after it.</summary>
    public FailureVerdict Failed(string nodeId, string trialId, int attempt, string reason)
    {
        var node = Get(nodeId);
        if (Enabled && node.Standing == NodeStanding.Quarantined)
            return new FailureVerdict(null, Settled: true, Excused: true); // Still running when its streak was judged: part of it.
        if (node.Streak.Count == 0)
            node.StreakSince = ++events;
        node.Streak.Add(new FailedAttempt(trialId, attempt));
        node.LastFailure = reason;
        if (!Enabled)
            return new FailureVerdict(null, Settled: true);
        if (node.Standing == NodeStanding.Probation)
            return new FailureVerdict(Quarantine(nodeId, node, "failed its probation trial"), Settled: true, Excused: true);
        var witnesses = nodes.Where(n => n.Key != nodeId).Select(n => n.Value).ToList();
        if (node.Streak.Count >= options.After)
        {
            if (witnesses.Any(w => w.LastCompleted > node.StreakSince))
                return new FailureVerdict(Quarantine(nodeId, node, $"failed {node.Streak.Count} trials in a row while other nodes completed trials"), Settled: true, Excused: true);
            if (witnesses.Any(CanWitness))
            {
                node.Standing = NodeStanding.Suspect;
                return new FailureVerdict(null, Settled: false);
            }
            return new FailureVerdict(null, Settled: true); // Every node fails: the trials are at fault.
        }
        return new FailureVerdict(null, Settled: !witnesses.Any(CanWitness));
    }

    /// <summary>The node's back-off is over: it gets one trial as probation.</summary>
    public void BackOffOver(string nodeId)
    {
        var node = Get(nodeId);
        if (node.Standing == NodeStanding.Quarantined)
            node.Standing = NodeStanding.Probation;
    }

    /// <summary>Suspects that no other node can judge any more take work again (every node fails: the trials are at fault).</summary>
    public IReadOnlyList<string> ReleaseUnjudgedSuspects()
    {
        var released = new List<string>();
        foreach (var (id, node) in nodes.Where(n => n.Value.Standing == NodeStanding.Suspect))
        {
            if (!nodes.Any(other => other.Key != id && CanWitness(other.Value)))
            {
                node.Standing = NodeStanding.Ok;
                released.Add(id);
            }
        }
        return released;
    }

    /// <summary>A node that may yet complete a trial: present, taking work, not on a failing streak of its own.</summary>
    private bool CanWitness(Node node) =>
        node.Present && node.Standing is NodeStanding.Ok or NodeStanding.Probation && node.Streak.Count < options.After;

    private Quarantine Quarantine(string nodeId, Node node, string evidence)
    {
        node.Times++;
        var ticks = Math.Min(options.BackOff.Ticks * (1L << Math.Min(node.Times - 1, 16)), Math.Max(options.BackOff.Ticks, options.MaxBackOff.Ticks));
        node.For = TimeSpan.FromTicks(ticks);
        node.Standing = NodeStanding.Quarantined;
        node.Reason = $"{evidence}; last failure: {node.LastFailure}";
        var excused = node.Streak.ToList();
        node.Streak.Clear();
        return new Quarantine(nodeId, node.For, node.Times, node.Reason, excused);
    }

    private Node Get(string nodeId)
    {
        if (!nodes.TryGetValue(nodeId, out var node))
            nodes[nodeId] = node = new Node();
        return node;
    }
}
