using Akka.Actor;
using Akka.Hosting;
using GridSweep.Messages.Protocol;
using GridSweep.TrainerNode.Actors;
using GridSweep.TrainerNode.Data;
using GridSweep.TrainerNode.Metrics;
using TorchSharp;

namespace GridSweep.TrainerNode.Hosting;

/// <summary>A trainer node's own settings, bound from <c>GridSweep:Trainer</c> and overridden by flags.</summary>
public sealed class TrainerSettings
{
    public const string Section = "GridSweep:Trainer";

    /// <summary>Slots on CPU when <see cref="Devices"/> is not given.</summary>
    public int Slots { get; set; } = 1;

    /// <summary>Comma-separated devices, one slot each, e.g. <c>cuda:0,cuda:1</c>.</summary>
    public string? Devices { get; set; }

    public string? Data { get; set; }
    public string? WordIndex { get; set; }
    public string? Cache { get; set; }
    public string? NodeId { get; set; }
    public double RegisterIntervalSeconds { get; set; } = 2;

    public IReadOnlyList<string> DeviceList() =>
        string.IsNullOrWhiteSpace(Devices)
            ? Enumerable.Repeat("cpu", Slots).ToArray()
            : Devices.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>Registry key of the sweep coordinator's singleton proxy.</summary>
public sealed class CoordinatorProxyKey;

/// <summary>Registry key of this node's trainer actor.</summary>
public sealed class TrainerKey;

public static class TrainerHosting
{
    /// <summary>Starts this node's trainer actor and hands its trials back to the coordinator before the node leaves.</summary>
    public static AkkaConfigurationBuilder WithTrainerNode(this AkkaConfigurationBuilder akka, TrainerSettings settings, MetricsWriter? metrics)
    {
        var devices = settings.DeviceList();
        if (devices.Count == 0)
            throw new ArgumentException("a trainer needs at least one slot: --slots N or --devices cuda:0,...");
        var cpuSlots = devices.Count(d => d is "cpu" or "auto");
        if (cpuSlots > 0)
            torch.set_num_threads(Math.Max(1, Environment.ProcessorCount / cpuSlots)); // Slots share the cores.

        var datasets = new NodeDatasets(settings.Data, settings.WordIndex, settings.Cache ?? CacheDirectory.Default());
        var options = new TrainerNodeActor.Options(
            settings.NodeId ?? $"{Environment.MachineName}-{Environment.ProcessId}",
            devices,
            TimeSpan.FromSeconds(settings.RegisterIntervalSeconds));
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
}
