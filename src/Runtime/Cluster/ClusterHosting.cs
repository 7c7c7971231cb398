using System.Globalization;
using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.Hosting;
using Akka.Remote.Hosting;
using GridSweep.Messages.Protocol;
using GridSweep.Runtime.Configuration;

namespace GridSweep.Runtime.Cluster;

/// <summary>Registry key of the sweep coordinator's singleton proxy: the coordinator registers it, trainers in any process ask it.</summary>
public sealed class CoordinatorProxyKey;

public static class ClusterHosting
{
    /// <summary>
    /// Remoting, clustering and the protocol serializer, the same for every role. The split-brain resolver
    /// keeps the side that has the coordinator: a lost trainer is downed, and trainers cut off from the
    /// coordinator down themselves and join again when it is back.
    /// </summary>
    public static AkkaConfigurationBuilder WithGridSweepCluster(this AkkaConfigurationBuilder akka, ClusterNodeOptions settings, params string[] roles)
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
                SeedNodes = settings.SeedNodeAddresses().ToArray(),
                SplitBrainResolver = new KeepMajorityOption { Role = ClusterNames.CoordinatorRole },
            })
            .WithCustomSerializer("gridsweep", [typeof(IGridSweepMessage)], system => new ProtocolSerializer(system));
    }
}
