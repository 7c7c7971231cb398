using Akka.Actor;
using System.Runtime.CompilerServices;
using Akka.Cluster;
using Akka.Event;
using Akka.Remote;
using Microsoft.Extensions.Hosting;

namespace GridSweep.Runtime.Cluster;

/// <summary>
/// This node's actor system ended without the process asking: the node was downed (by another member, or by its own
/// split-brain resolver) or left the cluster. The command exits with <see cref="CommandLine.ExitCodes.RemovedFromCluster"/>
/// so that its supervisor starts it again, rather than living on as a process without a cluster.
/// </summary>
public sealed class NodeRemovedException(string message) : Exception(message);

/// <summary>Tells why a node's actor system ended, in one line an operator can act on.</summary>
public static class NodeRemoval
{
    private static readonly ConditionalWeakTable<ActorSystem, Witness> Witnesses = new();

    /// <summary>Remembers, from now on, which leader the cluster had when this node was downed or removed.</summary>
    public static void Watch(ActorSystem system)
    {
        var witness = Witnesses.GetValue(system, _ => new Witness());
        var cluster = Akka.Cluster.Cluster.Get(system);
        cluster.RegisterOnMemberRemoved(() => witness.Remember(cluster.State));
        system.ActorOf(Props.Create(() => new DownedWatcher(witness)), "node-removal");
    }

    /// <summary>
    /// True once the host was asked to stop while the actor system still ran: SIGTERM or Ctrl+C reach the host's console
    /// lifetime and Akka's process-exit hook too, and that graceful stop ends the actor system as a removal would. Akka.Hosting also stops the host
    /// when the actor system ends by itself, but only after it has ended, which this does not count.
    /// </summary>
    public static Func<bool> WatchHostStop(IHostApplicationLifetime lifetime, ActorSystem system)
    {
        var asked = false;
        lifetime.ApplicationStopping.Register(() => asked = !system.WhenTerminated.IsCompleted);
        // Akka's own hook on process exit (SIGTERM) runs coordinated shutdown with this reason.
        return () => Volatile.Read(ref asked) || CoordinatedShutdown.Get(system).ShutdownReason is CoordinatedShutdown.ClrExitReason;
    }

    /// <summary>The one-line reason this terminated system ended, for a node that did not stop itself.</summary>
    public static NodeRemovedException Explain(ActorSystem system)
    {
        var self = Akka.Cluster.Cluster.Get(system).SelfAddress;
        var reason = CoordinatedShutdown.Get(system).ShutdownReason;
        Witnesses.TryGetValue(system, out var witness);
        var leader = witness switch
        {
            { QuarantinedBy: { } peer } => $" (quarantined by {peer})",
            { Leader: { } known } when known != self => $" by the cluster led by {known}",
            _ => "",
        };
        var what = reason switch
        {
            CoordinatedShutdown.ClusterDowningReason => $"was downed and removed from the cluster{leader}",
            CoordinatedShutdown.ClusterLeavingReason => $"left the cluster without being asked to{leader}",
            CoordinatedShutdown.ClusterJoinUnsuccessfulReason => "could not join the cluster through its seed nodes",
            null => "lost its actor system",
            _ => $"lost its actor system ({reason.GetType().Name})",
        };
        return new NodeRemovedException($"node {self} {what}; exiting with code {CommandLine.ExitCodes.RemovedFromCluster} so that its supervisor starts it again");
    }

    private sealed class Witness
    {
        public Address? Leader { get; private set; }

        public Address? QuarantinedBy { get; set; }

        public void Remember(ClusterEvent.CurrentClusterState state) => Leader ??= state.Leader;
    }

    /// <summary>Takes the leader's address when this node learns it is down, before the cluster state is gone.</summary>
    private sealed class DownedWatcher : ReceiveActor
    {
        public DownedWatcher(Witness witness)
        {
            var cluster = Akka.Cluster.Cluster.Get(Context.System);
            Receive<ClusterEvent.MemberDowned>(downed =>
            {
                if (downed.Member.UniqueAddress.Equals(cluster.SelfUniqueAddress))
                    witness.Remember(cluster.State);
            });
            // A peer quarantined this node: it removed this node from its cluster (downed it while this one was frozen or
            // cut off). This node downs itself rather than go on as a cluster of its own beside the real one.
            Receive<ThisActorSystemQuarantinedEvent>(quarantined =>
            {
                witness.QuarantinedBy ??= quarantined.RemoteAddress;
                Context.GetLogger().Warning("quarantined by {0}: this node was removed from the cluster; downing itself", quarantined.RemoteAddress);
                cluster.Down(cluster.SelfAddress);
            });
            Receive<ClusterEvent.IMemberEvent>(_ => { });
        }

        protected override void PreStart()
        {
            Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.MemberDowned));
            Context.System.EventStream.Subscribe(Self, typeof(ThisActorSystemQuarantinedEvent));
        }

        protected override void PostStop()
        {
            Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
            Context.System.EventStream.Unsubscribe(Self);
        }
    }
}
