namespace GridSweep.Runtime.Configuration;

/// <summary>
/// Where metrics go (<c>GridSweep:Influx</c>); off without a URL. The secrets themselves are never settings:
/// they come from files or environment variables (see <see cref="Metrics.InfluxSettings"/>).
/// </summary>
public sealed class InfluxOptions : IOptionsSection
{
    public static string Section => "GridSweep:Influx";

    [Setting("--influx-url", "Stream every epoch, trial state and node heartbeat to this InfluxDB, e.g. http://influxdb:8086. Default: off.", ValueName = "URL")]
    public string? Url { get; set; }

    [Setting("--influx-api", "v2 (InfluxDB 2.x/3.x: org, bucket, token; the default) or v1 (InfluxDB 1.x: database, retention policy, user).", ValueName = "API")]
    public string? Api { get; set; }

    [Setting("--influx-bucket", "Bucket (v2) or database (v1). Default: gridsweep.", ValueName = "NAME")]
    public string? Bucket { get; set; }

    [Setting("--influx-org", "Organization (v2).", ValueName = "ORG")]
    public string? Org { get; set; }

    [Setting("--influx-token-file", "File holding the API token; else $GRIDSWEEP_INFLUX_TOKEN. Never printed.", ValueName = "FILE")]
    public string? TokenFile { get; set; }

    [Setting("--influx-rp", "Retention policy (v1; default: the database's default); it must keep data forever.", ValueName = "NAME")]
    public string? RetentionPolicy { get; set; }

    [Setting("--influx-user", "User (v1); the password from --influx-password-file or $GRIDSWEEP_INFLUX_PASSWORD.", ValueName = "USER")]
    public string? User { get; set; }

    [Setting("--influx-password-file", "File holding the v1 user's password. Never printed.", ValueName = "FILE")]
    public string? PasswordFile { get; set; }

    [Setting("--influx-spool", "Folder for points waiting for InfluxDB, sent on the next start if the process stops first. Default: $XDG_STATE_HOME/gridsweep/influx-spool.", ValueName = "DIR")]
    public string? Spool { get; set; }

    [Setting("--influx-spool-max-mb", "Spool size bound in MiB; past it the oldest points are dropped with a warning. An epoch point takes about 350 bytes: a node that must hold a whole sweep's points through an outage needs trials x (epochs + 3) x 350 bytes of its share. Default: 256.", ValueName = "MIB")]
    public int? SpoolMaxMb { get; set; }

    public void Validate(SettingProblems problems)
    {
        if (Url is null)
        {
            string?[] others = [Api, Bucket, Org, TokenFile, RetentionPolicy, User, PasswordFile, Spool];
            if (others.Any(o => o is not null) || SpoolMaxMb is not null)
                problems.AddMissing(SettingName.Of<InfluxOptions>(nameof(Url)), "needed when any other --influx-* setting is given");
            return;
        }
        if (!Uri.TryCreate(Url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            problems.Add(this, nameof(Url), "is not an http:// or https:// URL");
        if (Api is not (null or Metrics.InfluxSettings.V1 or Metrics.InfluxSettings.V2))
            problems.Add(this, nameof(Api), $"is not allowed; allowed values: {Metrics.InfluxSettings.V2}, {Metrics.InfluxSettings.V1}");
        if (Bucket is not null && string.IsNullOrWhiteSpace(Bucket))
            problems.Add(this, nameof(Bucket), "is empty");
        if (Spool is not null && string.IsNullOrWhiteSpace(Spool))
            problems.Add(this, nameof(Spool), "is empty");
        if (SpoolMaxMb is <= 0 or >= 1 << 30)
            problems.Add(this, nameof(SpoolMaxMb), "is not a positive whole number of MiB");
    }
}
