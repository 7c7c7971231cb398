using System.CommandLine;
using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Hosting;
using GridSweep.Messages.Protocol;
using GridSweep.Runtime.CommandLine;
using GridSweep.Runtime.Configuration;
using GridSweep.Runtime.Cluster;
using GridSweep.Runtime.Metrics;
using GridSweep.TrainerNode.Data;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace GridSweep.TrainerNode.Hosting;

/// <summary>
/// A trainer node: joins the cluster with role "trainer", offers one slot per device, trains what the
/// sweep coordinator assigns. When the sweep is finished it leaves and exits 0 (or, with --wait-for-next-sweep,
/// stays for the next one); when its coordinator leaves it joins again; when the cluster downs or removes it, it exits
/// with <see cref="ExitCodes.RemovedFromCluster"/> for its supervisor to start it again, and the restarted node joins
/// again; SIGTERM hands the running trials back and leaves for good.
/// The same command is <c>gridsweep trainer</c> and the <c>GridSweep.TrainerNode</c> program itself.
/// </summary>
public static class TrainerCommand
{
    public const string Description =
        "Join a coordinator's cluster as a trainer node and train the trials it assigns, one slot per device. " +
        "Every flag is also a setting: appsettings.json in the working directory, or the environment variable in brackets.";

    /// <summary><c>gridsweep trainer</c>.</summary>
    public static Command Create()
    {
        var command = new Command("trainer", Description);
        Configure(command);
        return command;
    }

    /// <summary>The trainer node's own program, whose flags need no command name (as the container images run it).</summary>
    public static RootCommand CreateRoot()
    {
        var root = new RootCommand(Description);
        Configure(root);
        return root;
    }

    private static void Configure(Command command)
    {
        var flags = CommandFlags.Trainer();
        flags.AddTo(command);
        command.SetAction((result, cancellationToken) => RunAsync(flags.Configuration(result), cancellationToken));
    }

    public static async Task<int> RunAsync(IConfiguration configuration, CancellationToken cancellationToken)
    {
        var problems = new SettingProblems();
        var cluster = OptionsBinder.Bind<ClusterNodeOptions>(configuration, problems);
        var trainer = OptionsBinder.Bind<TrainerOptions>(configuration, problems);
        var influx = OptionsBinder.Bind<InfluxOptions>(configuration, problems);
        var tls = OptionsBinder.Bind<TlsOptions>(configuration, problems);
        if (cluster.SeedNodes.Count == 0)
            problems.AddMissing(SettingName.Of<ClusterNodeOptions>(nameof(ClusterNodeOptions.SeedNodes)), $"is required: the coordinator's HOST:PORT (gridsweep coordinator --port {ClusterNodeOptions.DefaultCoordinatorPort})");
        problems.ThrowIfAny();
        cluster.Tls = TlsSettings.From(tls, cluster);
        var devices = trainer.DeviceList();
        TrainerHosting.CheckDevices(devices);

        // The writer outlives restarts of the actor system.
        await using var metrics = await MetricsStartup.StartAsync(InfluxSettings.From(influx),
            warning => Console.Error.WriteLine($"metrics: {warning}"), cancellationToken);
        // Data is prepared before the node joins: that work would otherwise delay its heartbeats (README, "Under full CPU load").
        var datasets = await TrainerHosting.PrepareDataAsync(trainer);
        var nodeId = trainer.NodeId ?? $"{Environment.MachineName}-{Environment.ProcessId}";
        var checkpoints = TrainerHosting.Checkpoints(trainer, Path.Combine(trainer.Cache ?? CacheDirectory.Default(), "checkpoints"));
        while (true)
        {
            // Set from actor threads: the sweep is finished (and this trainer does not wait for the next), or the coordinator left.
            string? finishedSweep = null;
            using var leave = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var builder = Host.CreateApplicationBuilder();
            builder.Services.AddHealthChecks(); // Runs the health endpoint's checks (HealthEndpoint).
            builder.Services.AddAkka(ClusterNames.System, akka => akka
                .WithGridSweepCluster(cluster, ClusterNames.TrainerRole)
                .WithSingletonProxy<CoordinatorProxyKey>(ClusterNames.Coordinator, new ClusterSingletonOptions { Role = ClusterNames.CoordinatorRole })
                .WithTrainerNode(devices, nodeId, TimeSpan.FromSeconds(trainer.RegisterIntervalSeconds), datasets, metrics, checkpoints, trainer.TorchThreads,
                    sweepEnded: sweep =>
                    {
                        if (trainer.WaitForNextSweep)
                            return;
                        finishedSweep = sweep;
                        leave.Cancel();
                    })
                .WithCoordinatorLeftWatch(leave.Cancel)
                .WithReadinessCheck("dataset-loaded", _ => trainer.Dataset == TrainerOptions.NoDataset || datasets.Prepared is not null
                    ? null
                    : $"dataset {trainer.Dataset} is not loaded"));
            using var host = builder.Build();
            await host.StartAsync(cancellationToken);
            var system = host.Services.GetRequiredService<ActorSystem>();
            var stoppedByHost = NodeRemoval.WatchHostStop(host.Services.GetRequiredService<IHostApplicationLifetime>(), system);
            await Task.WhenAny(system.WhenTerminated, Task.Delay(Timeout.Infinite, leave.Token));
            // Read before this loop stops the host itself, which would count as a stop asked of the host.
            var removed = !leave.IsCancellationRequested && !stoppedByHost();
            var signalled = cancellationToken.IsCancellationRequested || (!leave.IsCancellationRequested && !removed);
            await host.StopAsync(CancellationToken.None);
            if (signalled || cancellationToken.IsCancellationRequested)
                break;
            if (removed)
                throw NodeRemoval.Explain(system);
            if (finishedSweep is not null)
            {
                Console.WriteLine($"sweep {finishedSweep} is finished; this trainer left the cluster (--wait-for-next-sweep keeps it for the next sweep)");
                break;
            }
            await Console.Error.WriteLineAsync("the coordinator left the cluster; joining again for the next one");
            await Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None);
        }
        return ExitCodes.Success;
    }
}
