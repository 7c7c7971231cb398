using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Hosting;
using Akka.Hosting;
using GridSweep.Coordinator.Actors;
using GridSweep.Coordinator.Results;
using GridSweep.Coordinator.Sweeps;
using GridSweep.Messages.Protocol;
using GridSweep.Messages.Sweeps;
using GridSweep.Runtime.Cluster;
using GridSweep.Runtime.Configuration;
using GridSweep.Runtime.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GridSweep.Coordinator.Hosting;

/// <param name="LocalTrainers">Adds trainer slots to this process: always in embedded mode, with --slots on a head node.</param>
public sealed record SweepHostOptions(
    SweepSpec Spec,
    IReadOnlyList<TrialSpec> Trials,
    RunFolderSource Results,
    ClusterNodeOptions Cluster,
    Action<AkkaConfigurationBuilder>? LocalTrainers,
    int MaxRetries,
    MetricsWriter? Metrics,
    bool StayAfterFinish = false,
    TimeSpan AdoptionGrace = default,
    QuarantineOptions? Quarantine = null);


/// <summary>
/// Hosts the sweep coordinator (a cluster singleton on the coordinator role) and, when asked, trainer slots
/// in the same process: embedded mode is the same actors as a cluster, on one node.
/// </summary>
public static class SweepHost
{
    /// <summary>
    /// The sweep coordinator as a cluster singleton on the coordinator role (with its proxy under
    /// <see cref="CoordinatorProxyKey"/>), the status endpoint, and its events turned into calls on
    /// <paramref name="observer"/>; <paramref name="finished"/> completes when every trial is finished.
    /// </summary>
    public static AkkaConfigurationBuilder WithSweepCoordinator(this AkkaConfigurationBuilder akka, SweepHostOptions options,
        ISweepObserver observer, TaskCompletionSource<SweepFinished> finished)
    {
        var coordinatorProps = SweepCoordinatorActor.Props(options.Spec.Name, options.Trials, options.Results,
            new SweepCoordinatorActor.Options(options.MaxRetries, options.Metrics, options.AdoptionGrace, options.Quarantine));
        return akka
            .WithSingleton<CoordinatorProxyKey>(ClusterNames.Coordinator, coordinatorProps,
                new ClusterSingletonOptions { Role = ClusterNames.CoordinatorRole }, createProxyToo: true)
            .WithActors((system, registry) =>
            {
                system.ActorOf(StatusActor.Props(registry.Get<CoordinatorProxyKey>()), ClusterNames.Status);
                system.ActorOf(SweepEventsActor.Props(observer, finished), "sweep-events");
                // The first coordinator is the cluster's first node: with no seed nodes it joins itself (a standby has them).
                if (options.Cluster.SeedNodes.Count == 0)
                    Cluster.Get(system).Join(Cluster.Get(system).SelfAddress);
            });
    }

    /// <param name="whenFinished">Runs once the sweep is finished, while the cluster is still up (summary, report).</param>
    public static async Task<SweepFinished?> RunAsync(
        SweepHostOptions options, ISweepObserver observer, Func<SweepFinished, Task> whenFinished, CancellationToken cancellationToken)
    {
        var finished = new TaskCompletionSource<SweepFinished>(TaskCreationOptions.RunContinuationsAsynchronously);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        string[] roles = options.LocalTrainers is null
            ? [ClusterNames.CoordinatorRole]
            : [ClusterNames.CoordinatorRole, ClusterNames.TrainerRole];
        builder.Services.AddHealthChecks(); // Runs the health endpoint's checks (HealthEndpoint).
        builder.Services.AddAkka(ClusterNames.System, akka =>
        {
            akka.WithGridSweepCluster(options.Cluster, roles)
                .WithSweepCoordinator(options, observer, finished);
            options.LocalTrainers?.Invoke(akka);
        });

        using var host = builder.Build();
        await host.StartAsync(cancellationToken);
        var system = host.Services.GetRequiredService<ActorSystem>();
        var stoppedByHost = NodeRemoval.WatchHostStop(host.Services.GetRequiredService<IHostApplicationLifetime>(), system);
        try
        {
            // A node downed or removed from the cluster ends its actor system: the process exits (NodeRemovedException) instead of living on.
            try
            {
                await Task.WhenAny(finished.Task, system.WhenTerminated).WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return null;
            }
            if (!finished.Task.IsCompleted)
                return stoppedByHost() ? null : throw NodeRemoval.Explain(system);
            var outcome = await finished.Task;
            await whenFinished(outcome);
            // A head node under an orchestrator that restarts exited processes keeps answering status instead.
            if (options.StayAfterFinish)
            {
                try
                {
                    await system.WhenTerminated.WaitAsync(cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return outcome;
                }
                return stoppedByHost() ? outcome : throw NodeRemoval.Explain(system);
            }
            return outcome;
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }
}

/// <summary>Answers <c>gridsweep status</c> from outside the cluster at a fixed path, forwarding to the singleton.</summary>
internal sealed class StatusActor : ReceiveActor
{
    public StatusActor(IActorRef coordinator) => Receive<GetSweepStatus>(query => coordinator.Forward(query));

    public static Props Props(IActorRef coordinator) => Akka.Actor.Props.Create(() => new StatusActor(coordinator));
}

/// <summary>Turns the coordinator's events into calls on the display, and completes when the sweep is done.</summary>
internal sealed class SweepEventsActor : ReceiveActor
{
    public SweepEventsActor(ISweepObserver observer, TaskCompletionSource<SweepFinished> finished)
    {
        Receive<TrialAssigned>(e => observer.TrialStarted(e.Trial, e.Number, e.Total, e.NodeId));
        Receive<TrialResumed>(e => observer.TrialResumed(e.Trial, e.AfterEpoch, e.NodeId));
        Receive<TrialAdopted>(e => observer.TrialAdopted(e.Trial, e.AtEpoch, e.NodeId));
        Receive<EpochRecorded>(e => observer.EpochFinished(e.Trial, e.Metrics));
        Receive<TrialRecorded>(e => observer.TrialFinished(e.Trial, e.Summary));
        Receive<TrialRequeued>(e => observer.TrialRequeued(e.Trial, e.Reason));
        Receive<LedgerOpened>(e => observer.LedgerOpened(e.Ledger, e.Change, e.Finished, e.StillOut));
        Receive<SweepFinished>(e => finished.TrySetResult(e));
        Receive<SweepRefused>(e => finished.TrySetException(e.Error));
    }

    public static Props Props(ISweepObserver observer, TaskCompletionSource<SweepFinished> finished) =>
        Akka.Actor.Props.Create(() => new SweepEventsActor(observer, finished));

    protected override void PreStart()
    {
        foreach (var type in new[] { typeof(TrialAssigned), typeof(TrialResumed), typeof(TrialAdopted), typeof(EpochRecorded), typeof(TrialRecorded), typeof(TrialRequeued), typeof(LedgerOpened), typeof(SweepFinished), typeof(SweepRefused) })
            Context.System.EventStream.Subscribe(Self, type);
    }
}
