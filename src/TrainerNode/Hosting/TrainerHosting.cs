using Akka.Actor;
using Akka.Cluster;
using Akka.Hosting;
using GridSweep.Messages.Protocol;
using GridSweep.Messages.Sweeps;
using GridSweep.Runtime.Cluster;
using GridSweep.Runtime.Configuration;
using GridSweep.Runtime.Metrics;
using GridSweep.TrainerNode.Actors;
using GridSweep.TrainerNode.Checkpoints;
using GridSweep.TrainerNode.Data;
using GridSweep.TrainerNode.Training;
using TorchSharp;

namespace GridSweep.TrainerNode.Hosting;


/// <summary>Registry key of this node's trainer actor.</summary>
public sealed class TrainerKey;

public static class TrainerHosting
{
    /// <summary>
    /// Starts this node's trainer actor, one slot per device, and hands its trials back to the coordinator
    /// before the node leaves. <paramref name="datasets"/> are shared by every slot of the node.
    /// </summary>
    public static AkkaConfigurationBuilder WithTrainerNode(this AkkaConfigurationBuilder akka, IReadOnlyList<string> devices, string nodeId,
        TimeSpan registerInterval, NodeDatasets datasets, MetricsWriter? metrics, CheckpointStore? checkpoints = null, int? torchThreads = null,
        Action<string>? sweepEnded = null)
    {
        if (devices.Count == 0)
            throw new InputException("a trainer needs at least one slot: --slots N or --devices cuda:0,...");
        var cpuSlots = devices.Count(d => d is "cpu" or "auto");
        // Slots share the cores unless --torch-threads says otherwise.
        var threads = torchThreads ?? Math.Max(1, Environment.ProcessorCount / Math.Max(1, cpuSlots));
        if (cpuSlots > 0)
            torch.set_num_threads(threads);

        var options = new TrainerNodeActor.Options(nodeId, devices, registerInterval, checkpoints, cpuSlots > 0 ? threads : 0, sweepEnded);
        return akka.WithActors((system, registry) =>
        {
            var coordinator = registry.Get<CoordinatorProxyKey>();
            var trainer = system.ActorOf(TrainerNodeActor.Props(options, coordinator, datasets, metrics), ClusterNames.Trainer);
            registry.Register<TrainerKey>(trainer);
            CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeClusterShutdown, "hand-back-trials", async () =>
            {
                await trainer.Ask<TrainerNodeActor.HandedBack>(TrainerNodeActor.HandBack.Instance, TimeSpan.FromSeconds(5));
                return Akka.Done.Instance;
            });
        });
    }

    /// <summary>
    /// Calls <paramref name="coordinatorLeft"/> when the last coordinator node leaves the cluster gracefully (its sweep
    /// finished, or it was stopped): the trainer then joins again through its seed nodes, where the next coordinator starts.
    /// </summary>
    public static AkkaConfigurationBuilder WithCoordinatorLeftWatch(this AkkaConfigurationBuilder akka, Action coordinatorLeft) =>
        akka.WithActors((system, _) => system.ActorOf(Props.Create(() => new CoordinatorLeftWatcher(coordinatorLeft)), "coordinator-left-watch"));

    private sealed class CoordinatorLeftWatcher : ReceiveActor
    {
        public CoordinatorLeftWatcher(Action coordinatorLeft)
        {
            var cluster = Akka.Cluster.Cluster.Get(Context.System);
            Receive<ClusterEvent.MemberRemoved>(removed =>
            {
                if (removed.Member.HasRole(ClusterNames.CoordinatorRole) && removed.PreviousStatus == MemberStatus.Exiting
                    && !cluster.State.Members.Any(m => m.HasRole(ClusterNames.CoordinatorRole) && !m.Equals(removed.Member)))
                    coordinatorLeft();
            });
            Receive<ClusterEvent.IMemberEvent>(_ => { });
        }

        protected override void PreStart() =>
            Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.MemberRemoved));

        protected override void PostStop() => Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
    }

    /// <summary>
    /// Loads the node's <c>--dataset</c> before it joins the cluster (<see cref="NodeDatasets.PrepareAsync"/>) and
    /// says so on the console. Bad data is refused here, before the node registers with the coordinator: a node that
    /// cannot load its data would fail every trial it took (the caller exits 2 with the message).
    /// </summary>
    public static async Task<NodeDatasets> PrepareDataAsync(TrainerOptions options)
    {
        var datasets = Datasets(options);
        if (options.Dataset == TrainerOptions.NoDataset)
        {
            // Nothing to load ahead, but a --data that is not there would fail every trial the node took: refused before it joins.
            if (options.Data is { } path && !File.Exists(path) && !Directory.Exists(path))
                throw new InputException($"{SettingName.Of<TrainerOptions>(nameof(TrainerOptions.Data))}: '{path}' does not exist, so every trial this node " +
                    "took would fail to load its data; give the path of the sweep's data on this node, or leave --data out to read the sweep's dataset.path");
            return datasets;
        }
        try
        {
            var (data, took) = await datasets.PrepareAsync(new DatasetSpec(options.Dataset, options.NumWords));
            Console.WriteLine($"data: {data.Description}, ready in {took.TotalSeconds:F1} s");
            return datasets;
        }
        catch (DataSourceException error)
        {
            throw new InputException($"{SettingName.Of<TrainerOptions>(nameof(TrainerOptions.Data))}: {error.Message}", error);
        }
    }

    /// <summary>The node's datasets from its settings: where the data is, which word index, which cache.</summary>
    public static NodeDatasets Datasets(TrainerOptions options) =>
        new(options.Data, options.WordIndex, options.Cache ?? CacheDirectory.Default(), options.AllowPartialData);

    /// <summary>
    /// The node's checkpoint store from its settings (<c>--checkpoints</c>), or <paramref name="defaultFolder"/>; null when
    /// turned off. Its warnings (full, unreachable) go to standard error: they never stop a trial.
    /// </summary>
    public static CheckpointStore? Checkpoints(TrainerOptions options, string defaultFolder)
    {
        var folder = options.Checkpoints ?? defaultFolder;
        if (folder == TrainerOptions.NoCheckpoints)
            return null;
        return new CheckpointStore(folder, (long)(options.CheckpointsMaxGb * (1L << 30)),
            warning => Console.Error.WriteLine($"checkpoints: {warning}"));
    }

    /// <summary>Every device of the list resolved once, so a bad one is refused at start, not by the first trial.</summary>
    public static void CheckDevices(IReadOnlyList<string> devices)
    {
        foreach (var device in devices.Distinct())
        {
            try
            {
                ComputeDevice.Resolve(device);
            }
            catch (ArgumentException error)
            {
                throw new InputException($"--device: {error.Message}", error);
            }
        }
    }
}
