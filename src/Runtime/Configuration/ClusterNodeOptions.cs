namespace GridSweep.Runtime.Configuration;

/// <summary>Where this node listens and how it finds and judges its peers (<c>GridSweep:Cluster</c>).</summary>
public sealed class ClusterNodeOptions : IOptionsSection
{
    public static string Section => "GridSweep:Cluster";

    /// <summary>The coordinator's port when none is set: trainers join it there.</summary>
    public const int DefaultCoordinatorPort = 4053;

    [Setting("--host", "Address to bind (0.0.0.0 in containers, with --public-host); for status, the coordinator's host. Default: 127.0.0.1.", ValueName = "HOST")]
    public string Host { get; set; } = "127.0.0.1";

    [Setting("--port", "Port to bind: the coordinator's is the one trainers join (default 4053); 0 on a trainer picks a free one (its default).", ValueName = "PORT")]
    public int Port { get; set; }

    [Setting("--public-host", "Address peers use to reach this node, when it differs from --host.", ValueName = "HOST")]
    public string? PublicHost { get; set; }

    [Setting("--seed-node", "The coordinator's address, as HOST:PORT or akka.tcp://gridsweep@HOST:PORT (akka.ssl.tcp with TLS; the scheme follows --tls-certificate); repeat for several.", ValueName = "ADDRESS")]
    public List<string> SeedNodes { get; set; } = [];

    /// <summary>
    /// Heartbeats go every second. Measured on two fully loaded cores (LoadSpecs: two trainers training the
    /// 512-512 net, one loading data, busy loops beside): worst gap 1.7 s since data work leaves a core free and
    /// happens before joining, 8 s before. 10 s is a margin of about 6x; README, "Under full CPU load".
    /// </summary>
    [Setting("--failure-detection-seconds", "How long a silent node is tolerated before it counts as unreachable (Akka's acceptable heartbeat pause). Default: 10.", ValueName = "SECONDS")]
    public double FailureDetectionSeconds { get; set; } = 10;

    /// <summary>
    /// A node back from a long pause (GC, swap) within this time is kept. With the 10 s above, a dead node is
    /// downed after about 25 s.
    /// </summary>
    [Setting("--downing-stable-after-seconds", "How long membership must be stable before the split-brain resolver downs unreachable nodes. Default: 15.", ValueName = "SECONDS")]
    public double DowningStableAfterSeconds { get; set; } = 15;

    /// <summary>Akka.Management's usual port; 0 turns the endpoint off, so several nodes on one host need no ports of their own.</summary>
    public const int DefaultHealthPort = 8558;

    [Setting("--health-port", "Port of this node's HTTP health endpoint (GET /alive, GET /ready; Kubernetes probes), bound on --host. 0 turns it off. Default: 0 (off); the deploy files use 8558.", ValueName = "PORT")]
    public int HealthPort { get; set; }

    [Setting("--log-level", "Akka's log level: DEBUG, INFO, WARNING or ERROR. Default: INFO.", ValueName = "LEVEL")]
    public string LogLevel { get; set; } = "INFO";

    /// <summary>
    /// Mutual TLS for remoting, loaded from <see cref="TlsOptions"/> by <see cref="Cluster.TlsSettings.From"/>; null is plain TCP.
    /// Not a setting of this section: it travels with the address because it decides the address's scheme.
    /// </summary>
    public Cluster.TlsSettings? Tls { get; set; }

    /// <summary>Akka's scheme for this node's transport: <c>akka.ssl.tcp</c> with TLS, <c>akka.tcp</c> without.</summary>
    public string Scheme => Tls is null ? "akka.tcp" : "akka.ssl.tcp";

    /// <summary>
    /// The seed nodes as Akka addresses: <c>HOST:PORT</c> becomes <c>akka.tcp://gridsweep@HOST:PORT</c> (<c>akka.ssl.tcp</c>
    /// with TLS). A scheme given is replaced by this node's: every member runs the same transport.
    /// </summary>
    public IReadOnlyList<string> SeedNodeAddresses() => SeedNodes.Select(s => ToHostPort(s) is { } hostPort ? $"{Scheme}://{Messages.Protocol.ClusterNames.System}@{hostPort}" : s).ToList();

    public void Validate(SettingProblems problems)
    {
        if (string.IsNullOrWhiteSpace(Host))
            problems.Add(this, nameof(Host), "is empty");
        if (Port is < 0 or > 65535)
            problems.Add(this, nameof(Port), "is not a port (0-65535)");
        foreach (var seed in SeedNodes.Where(s => ToHostPort(s) is null))
            problems.Add(SettingName.Of<ClusterNodeOptions>(nameof(SeedNodes)), seed, $"is not HOST:PORT or akka.tcp://{Messages.Protocol.ClusterNames.System}@HOST:PORT");
        if (HealthPort is < 0 or > 65535)
            problems.Add(this, nameof(HealthPort), "is not a port (0-65535)");
        if (HealthPort != 0 && HealthPort == Port)
            problems.Add(this, nameof(HealthPort), $"is the remoting port (--port {Port}); give it a port of its own");
        if (FailureDetectionSeconds <= 0)
            problems.Add(this, nameof(FailureDetectionSeconds), "is not a positive number of seconds");
        if (DowningStableAfterSeconds <= 0)
            problems.Add(this, nameof(DowningStableAfterSeconds), "is not a positive number of seconds");
        if (LogLevel.ToUpperInvariant() is not ("DEBUG" or "INFO" or "WARNING" or "ERROR" or "OFF"))
            problems.Add(this, nameof(LogLevel), "is not allowed; allowed values: DEBUG, INFO, WARNING, ERROR, OFF");
    }

    /// <summary>HOST:PORT of a seed given as HOST:PORT, akka.tcp://gridsweep@HOST:PORT or akka.ssl.tcp://gridsweep@HOST:PORT; null if it is none.</summary>
    private static string? ToHostPort(string seed)
    {
        var hostPort = seed;
        foreach (var scheme in new[] { "akka.tcp", "akka.ssl.tcp" })
        {
            var prefix = $"{scheme}://{Messages.Protocol.ClusterNames.System}@";
            if (seed.StartsWith(prefix, StringComparison.Ordinal))
                hostPort = seed[prefix.Length..];
        }
        var colon = hostPort.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(hostPort[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port)
            || port is < 1 or > 65535 || hostPort.Contains('/') || hostPort.Contains('@'))
            return null;
        return hostPort;
    }
}
