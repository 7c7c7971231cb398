using Akka.Actor;
using Akka.Hosting;
using GridSweep.Messages.Protocol;
using GridSweep.TrainerNode.Actors;
using GridSweep.TrainerNode.Data;
using GridSweep.TrainerNode.Metrics;
using Microsoft.Extensions.Configuration;
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

    /// <summary>Vocabulary of the dataset prepared before the node joins; trials with another one load theirs on arrival.</summary>
    public int NumWords { get; set; } = 10000;
    public double RegisterIntervalSeconds { get; set; } = 2;

    public IReadOnlyList<string> DeviceList() =>
        string.IsNullOrWhiteSpace(Devices)
            ? Enumerable.Repeat("cpu", Slots).ToArray()
            : Devices.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>The settings as the host will see them: <paramref name="configuration"/>, overridden by the flags in <paramref name="args"/>.</summary>
    public static TrainerSettings From(IConfiguration configuration, string[] args, IDictionary<string, string> flags) =>
        new ConfigurationBuilder().AddConfiguration(configuration).AddCommandLine(args, flags).Build()
            .GetSection(Section).Get<TrainerSettings>() ?? new TrainerSettings();

    public NodeDatasets Datasets() => new(Data, WordIndex, Cache ?? CacheDirectory.Default());
}

/// <summary>Registry key of the sweep coordinator's singleton proxy.</summary>
public sealed class CoordinatorProxyKey;

/// <summary>Registry key of this node's trainer actor.</summary>
public sealed class TrainerKey;

public static class TrainerHosting
{
    /// <summary>
    /// Loads the node's default dataset before it joins the cluster (<see cref="NodeDatasets.PrepareAsync"/>) and
    /// says so on the console; null, after saying why, when the data cannot be read.
    /// </summary>
    public static async Task<NodeDatasets?> PrepareDataAsync(TrainerSettings settings)
    {
        var datasets = settings.Datasets();
        try
        {
            var (data, took) = await datasets.PrepareAsync(settings.NumWords);
            Console.WriteLine($"data: {data.Description}, ready in {took.TotalSeconds:F1} s");
            return datasets;
        }
        catch (DataSourceException error)
        {
            Console.Error.WriteLine($"--data: {error.Message}");
            return null;
        }
    }

    /// <summary>Starts this node's trainer actor and hands its trials back to the coordinator before the node leaves.</summary>
    /// <param name="datasets">Data already loaded (<see cref="NodeDatasets.PrepareAsync"/>), kept across rejoins; null loads on demand.</param>
    public static AkkaConfigurationBuilder WithTrainerNode(this AkkaConfigurationBuilder akka, TrainerSettings settings, MetricsWriter? metrics,
        NodeDatasets? datasets = null)
    {
        var devices = settings.DeviceList();
        if (devices.Count == 0)
            throw new ArgumentException("a trainer needs at least one slot: --slots N or --devices cuda:0,...");
        var cpuSlots = devices.Count(d => d is "cpu" or "auto");
        if (cpuSlots > 0)
            torch.set_num_threads(Math.Max(1, Environment.ProcessorCount / cpuSlots)); // Slots share the cores.

        datasets ??= settings.Datasets();
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
