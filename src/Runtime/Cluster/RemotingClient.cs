using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Remote.Transport.DotNetty;
using GridSweep.Messages.Protocol;

namespace GridSweep.Runtime.Cluster;

/// <summary>
/// A plain remoting client of the cluster (not a member): on a free loopback port, speaking the protocol, over
/// mutual TLS when <paramref name="tls"/> is given, with the same certificate check as the members'.
/// </summary>
public static class RemotingClient
{
    /// <param name="stdoutLogLevel">What Akka prints on standard output before the logger starts (OFF: nothing).</param>
    public static ActorSystemSetup Setup(TlsSettings? tls, string logLevel, string stdoutLogLevel = "WARNING")
    {
        var config = ConfigurationFactory.ParseString($$"""
            akka.loglevel = {{logLevel}}
            akka.stdout-loglevel = {{stdoutLogLevel}}
            akka.actor.provider = remote
            akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0, enable-ssl = {{(tls is null ? "off" : "on")}} }
            akka.actor.serializers.gridsweep = "{{typeof(ProtocolSerializer).AssemblyQualifiedName}}"
            akka.actor.serialization-bindings { "{{typeof(IGridSweepMessage).AssemblyQualifiedName}}" = gridsweep }
            """);
        var setup = ActorSystemSetup.Create(BootstrapSetup.Create().WithConfig(config));
        return tls is null ? setup : setup.And(new DotNettySslSetup(tls.Certificate, suppressValidation: false, requireMutualAuthentication: true,
            validateCertificateHostname: false, tls.Validator));
    }

    /// <summary>The address scheme of the cluster's remoting: <c>akka.ssl.tcp</c> with TLS.</summary>
    public static string Scheme(TlsSettings? tls) => tls is null ? "akka.tcp" : "akka.ssl.tcp";
}
