using System.Globalization;
using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.Hosting;
using Akka.Remote.Hosting;
using GridSweep.Messages.Protocol;

namespace GridSweep.TrainerNode.Hosting;

/// <summary>
/// Where this node listens and how it finds and judges its peers. Bound from the <c>GridSweep:Cluster</c>
/// section (appsettings.json, environment variables such as <c>GridSweep__Cluster__Port</c>), then
/// overridden by command-line flags.
/// </summary>
public sealed class ClusterSettings
{
    public const string Section = "GridSweep:Cluster";

    /// <summary>Address to bind; 0.0.0.0 in containers, with <see cref="PublicHost"/> set to the name peers use.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>0 picks a free port (trainers); the coordinator needs a fixed one, since it is the seed node.</summary>
    public int Port { get; set; }

    public string? PublicHost { get; set; }

    /// <summary>e.g. <c>akka.tcp://gridsweep@head-node:4053</c>; empty on the coordinator, which seeds itself.</summary>
    public List<string> SeedNodes { get; set; } = [];

    /// <summary>
    /// How long a silent node is tolerated before it counts as unreachable (Akka's acceptable heartbeat pause;
    /// heartbeats go every second). Measured on two fully loaded cores (LoadSpecs: two trainers training the
    /// 512-512 net, one loading data, busy loops beside): worst gap 1.7 s since data work leaves a core free and
    /// happens before joining, 8 s before. 10 s is a margin of about 6x; README, "Under full CPU load".
    /// </summary>
    public double FailureDetectionSeconds { get; set; } = 10;

    /// <summary>
    /// How long the unreachable set must stay the same before the split-brain resolver downs it: a node back from
    /// a long pause (GC, swap) in that time is kept. With the 10 s above, a dead node is downed after about 25 s.
    /// </summary>
    public double DowningStableAfterSeconds { get; set; } = 15;

    /// <summary>Akka's log level: DEBUG, INFO, WARNING or ERROR.</summary>
    public string LogLevel { get; set; } = "INFO";
}

public static class ClusterHosting
{
    /// <summary>
    /// Remoting, clustering and the protocol serializer, the same for every role. The split-brain resolver
    /// keeps the side that has the coordinator: a lost trainer is downed, and trainers cut off from the
    /// coordinator down themselves and join again when it is back.
    /// </summary>
    public static AkkaConfigurationBuilder WithGridSweepCluster(this AkkaConfigurationBuilder akka, ClusterSettings settings, params string[] roles)
    {
        var pause = settings.FailureDetectionSeconds.ToString(CultureInfo.InvariantCulture);
        var stable = settings.DowningStableAfterSeconds.ToString(CultureInfo.InvariantCulture);
        return akka
            .AddHocon($$"""
                akka.cluster.failure-detector.acceptable-heartbeat-pause = {{pause}}s
                akka.remote.watch-failure-detector.acceptable-heartbeat-pause = {{pause}}s
                akka.cluster.split-brain-resolver.stable-after = {{stable}}s
                akka.loglevel = {{settings.LogLevel}}
                akka.cluster.log-info = off
                akka.coordinated-shutdown.exit-clr = off
                """, HoconAddMode.Prepend)
            .WithRemoting(new RemoteOptions { HostName = settings.Host, Port = settings.Port, PublicHostName = settings.PublicHost })
            .WithClustering(new ClusterOptions
            {
                Roles = roles,
                SeedNodes = settings.SeedNodes.ToArray(),
                SplitBrainResolver = new KeepMajorityOption { Role = ClusterNames.CoordinatorRole },
            })
            .WithCustomSerializer("gridsweep", [typeof(IGridSweepMessage)], system => new ProtocolSerializer(system));
    }
}
