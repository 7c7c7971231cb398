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
    /// keeps every side that has a coordinator node: a lost trainer is downed, a lost coordinator node is downed by
    /// its standby, and trainers cut off from every coordinator node down themselves and join again when one is back.
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
                akka.cluster.downing-provider-class = "Akka.Cluster.SBR.SplitBrainResolverProvider, Akka.Cluster"
                # How long a downed node's singleton is given to stop before another starts (default: stable-after).
                # The sweep needs no such wait: its ledger claim fences a coordinator that lingers (see CoordinatorSideLease).
                akka.cluster.down-removal-margin = 2s
                akka.cluster.split-brain-resolver.active-strategy = lease-majority
                akka.cluster.split-brain-resolver.lease-majority.lease-implementation = "{{CoordinatorSideLease.ConfigPath}}"
                akka.cluster.split-brain-resolver.lease-majority.role = "{{ClusterNames.CoordinatorRole}}"
                {{CoordinatorSideLease.ConfigPath}} {
                  lease-class = "{{typeof(CoordinatorSideLease).AssemblyQualifiedName}}"
                  heartbeat-timeout = 120s
                  heartbeat-interval = 12s
                  lease-operation-timeout = 5s
                }
                akka.loglevel = {{settings.LogLevel}}
                akka.cluster.log-info = off
                akka.coordinated-shutdown.exit-clr = off
                """, HoconAddMode.Prepend)
            .WithRemoting(Remoting(settings))
            .WithClustering(new ClusterOptions
            {
                Roles = roles,
                SeedNodes = settings.SeedNodeAddresses().ToArray(),
                // The resolver is configured above: lease-majority with CoordinatorSideLease (why there).
                SplitBrainResolver = null,
            })
            .WithCustomSerializer("gridsweep", [typeof(IGridSweepMessage)], system => new ProtocolSerializer(system))
            .AddStartup((system, _) => NodeRemoval.Watch(system))
            .WithHealthEndpoint(settings);
    }

    /// <summary>
    /// The DotNetty transport, over mutual TLS when the node has a certificate: both sides present theirs and check
    /// the other's with <see cref="TlsSettings.Validate"/> (Akka.Remote 1.5.74 refuses a client that presents none).
    /// </summary>
    private static RemoteOptions Remoting(ClusterNodeOptions settings)
    {
        var remote = new RemoteOptions { HostName = settings.Host, Port = settings.Port, PublicHostName = settings.PublicHost };
        if (settings.Tls is { } tls)
        {
            remote.EnableSsl = true;
            remote.Ssl = new SslOptions
            {
                X509Certificate = tls.Certificate,
                RequireMutualAuthentication = true,
                ValidateCertificateHostname = false,
                SuppressValidation = false,
                CustomValidator = tls.Validator,
            };
        }
        return remote;
    }
}
