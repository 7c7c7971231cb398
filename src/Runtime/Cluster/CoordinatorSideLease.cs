using Akka.Actor;
using Akka.Cluster;
using Akka.Coordination;
using GridSweep.Messages.Protocol;

namespace GridSweep.Runtime.Cluster;

/// <summary>
/// The split-brain resolver's rule, as the lease of its <c>lease-majority</c> strategy: a side of a partition goes on
/// when it still reaches a coordinator node that is up, and downs itself when it reaches none. So a lost trainer is
/// downed, trainers cut off from every coordinator node down themselves (and join again), and a dead coordinator
/// node is downed by the side of its standby. No built-in strategy says that with two coordinator nodes: when one
/// dies the other is no majority of them, keep-majority breaks the tie by address (possibly keeping the dead one's
/// side), keep-oldest keeps the dead oldest's side, and static-quorum downs everyone past one coordinator node.
/// Unlike a lease proper, two sides that each reach a coordinator node both hold it (a network split between
/// coordinator nodes): both stay up, and the sweep's ledger claim (a PostgreSQL advisory lock) lets one of them run it.
/// </summary>
public sealed class CoordinatorSideLease(LeaseSettings settings, ExtendedActorSystem system) : Lease(settings)
{
    /// <summary>The HOCON path of this lease's settings, named by the resolver's <c>lease-implementation</c>.</summary>
    public const string ConfigPath = "gridsweep.coordinator-side-lease";

    private readonly Akka.Cluster.Cluster cluster = Akka.Cluster.Cluster.Get(system);
    private volatile bool held;

    public override Task<bool> Acquire()
    {
        held = ReachesCoordinator(cluster.State);
        return Task.FromResult(held);
    }

    public override Task<bool> Acquire(Action<Exception?> leaseLostCallback) => Acquire();

    public override Task<bool> Release()
    {
        held = false;
        return Task.FromResult(true);
    }

    public override bool CheckLease() => held;

    /// <summary>True when this node's view of the cluster has an up, reachable member with the coordinator role.</summary>
    public static bool ReachesCoordinator(ClusterEvent.CurrentClusterState state) =>
        state.Members.Any(member => member.HasRole(ClusterNames.CoordinatorRole) && member.Status == MemberStatus.Up && !state.Unreachable.Contains(member));
}
