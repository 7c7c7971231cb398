using System.Runtime.InteropServices;
using Akka.Cluster.Hosting;
using Akka.Hosting;
using GridSweep.Messages.Protocol;
using GridSweep.TrainerNode.Hosting;
using GridSweep.TrainerNode.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

// A trainer node: joins the cluster with role "trainer", offers one slot per device, trains what the
// sweep coordinator assigns. If it loses the coordinator it leaves the cluster and joins again, so a
// restarted coordinator gets its trainers back; SIGTERM hands the running trials back and leaves for good.

var flags = new Dictionary<string, string>
{
    ["--seed-node"] = $"{ClusterSettings.Section}:SeedNodes:0",
    ["--host"] = $"{ClusterSettings.Section}:Host",
    ["--public-host"] = $"{ClusterSettings.Section}:PublicHost",
    ["--port"] = $"{ClusterSettings.Section}:Port",
    ["--slots"] = $"{TrainerSettings.Section}:Slots",
    ["--devices"] = $"{TrainerSettings.Section}:Devices",
    ["--data"] = $"{TrainerSettings.Section}:Data",
    ["--word-index"] = $"{TrainerSettings.Section}:WordIndex",
    ["--cache"] = $"{TrainerSettings.Section}:Cache",
    ["--node-id"] = $"{TrainerSettings.Section}:NodeId",
    ["--num-words"] = $"{TrainerSettings.Section}:NumWords",
};
if (args.Any(a => a is "--help" or "-h"))
{
    Console.WriteLine("""
        GridSweep trainer node

        usage: GridSweep.TrainerNode --seed-node akka.tcp://gridsweep@HOST:PORT [options]

          --seed-node ADDR   the coordinator's address (gridsweep coordinator --host HOST --port PORT)
          --host H           address to bind (default 127.0.0.1; 0.0.0.0 in containers)
          --public-host H    address peers use to reach this node, when it differs from --host
          --port P           port (default 0: any free port)
          --slots N          trials trained at once on CPU (default 1); the cores are shared between them
          --devices LIST     one slot per device instead, e.g. cuda:0,cuda:1 (CUDA build only)
          --data PATH        IMDB archive or folder (default: download into the cache)
          --word-index PATH  Keras imdb_word_index.json, when the sweep names one this node cannot see
          --cache DIR        download and encoded-data cache (default ~/.cache/gridsweep)
          --node-id ID       name in status and metrics (default: host name and process id)
          --num-words N      vocabulary of the data loaded before joining (default 10000); others load on demand

        Metrics to InfluxDB (every epoch, trial states, node heartbeats; off without --influx-url):
        {INFLUX}

        Every flag can also come from appsettings.json or the environment: GridSweep__Cluster__Port,
        GridSweep__Trainer__Slots, GridSweep__Cluster__SeedNodes__0, ...
        """.Replace("{INFLUX}", string.Join("\n", InfluxSettings.Options.Select(o => $"  {o.Key,-24} {o.Value}"))));
    return 0;
}
var unknown = args.Where((a, i) => i % 2 == 0 && !flags.ContainsKey(a) && !InfluxSettings.Options.ContainsKey(a)).ToList();
if (unknown.Count > 0 || args.Length % 2 != 0)
{
    Console.Error.WriteLine(unknown.Count > 0
        ? $"unknown option {unknown[0]}; see --help"
        : $"option {args[^1]} needs a value; see --help");
    return 2;
}

// Everything but the influx options is the host's; the writer outlives restarts of the actor system.
var influxArgs = MetricsStartup.Arguments(GridSweepConfiguration.Load(), args);
var hostArgs = args.Where((a, i) => !(InfluxSettings.Options.ContainsKey(a) || (i > 0 && InfluxSettings.Options.ContainsKey(args[i - 1])))).ToArray();
MetricsWriter? metrics;
try
{
    metrics = await MetricsStartup.StartAsync(InfluxSettings.FromArgs(influxArgs), warning => Console.Error.WriteLine($"metrics: {warning}"), CancellationToken.None);
}
catch (Exception error) when (error is ArgumentException or InfluxSetupException)
{
    Console.Error.WriteLine(error.Message);
    return 2;
}
await using var flushMetricsOnExit = metrics;

// Data before the cluster: preparing it takes the cores for seconds, and a member that busy sends its
// heartbeats late and is downed as unreachable. Loaded once, kept across rejoins.
if (await TrainerHosting.PrepareDataAsync(TrainerSettings.From(GridSweepConfiguration.Load(), hostArgs, flags)) is not { } datasets)
    return 2;

var stopRequested = false;
using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => stopRequested = true);
using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => stopRequested = true);
while (true)
{
    var builder = Host.CreateApplicationBuilder();
    builder.Configuration.AddCommandLine(hostArgs, flags);
    var cluster = builder.Configuration.GetSection(ClusterSettings.Section).Get<ClusterSettings>() ?? new ClusterSettings();
    var trainer = builder.Configuration.GetSection(TrainerSettings.Section).Get<TrainerSettings>() ?? new TrainerSettings();
    if (cluster.SeedNodes.Count == 0)
    {
        Console.Error.WriteLine("--seed-node is required: the coordinator's akka.tcp://gridsweep@HOST:PORT");
        return 2;
    }
    builder.Services.AddAkka(ClusterNames.System, akka => akka
        .WithGridSweepCluster(cluster, ClusterNames.TrainerRole)
        .WithSingletonProxy<CoordinatorProxyKey>(ClusterNames.Coordinator, new ClusterSingletonOptions { Role = ClusterNames.CoordinatorRole })
        .WithTrainerNode(trainer, metrics, datasets));
    using var host = builder.Build();
    await host.RunAsync();
    if (stopRequested)
        return 0;
    Console.Error.WriteLine("lost the coordinator; joining the cluster again");
    await Task.Delay(TimeSpan.FromSeconds(1));
}
