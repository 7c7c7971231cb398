using System.Globalization;

namespace GridSweep.TrainerNode.Metrics;

/// <summary>
/// Where a trainer node writes its metrics. <paramref name="Api"/> <c>v2</c> writes to
/// <c>/api/v2/write</c> of InfluxDB 2.x (or 1.8+) with <paramref name="Org"/>, <paramref name="Bucket"/> and
/// <paramref name="Token"/>; <c>v1</c> writes to <c>/write</c> of any InfluxDB 1.x with
/// <paramref name="Bucket"/> as the database, <paramref name="RetentionPolicy"/> and
/// <paramref name="User"/>/<paramref name="Password"/> (or a token, for 2.x's v1-compatible endpoint).
/// Points InfluxDB could not take wait in <paramref name="SpoolDirectory"/>, at most
/// <paramref name="SpoolMaxBytes"/>. Secrets are never printed: <see cref="ToString"/> redacts them.
/// </summary>
public sealed record InfluxSettings(
    string Url,
    string Api,
    string Bucket,
    string? Org,
    string? Token,
    string? TokenFile,
    string? RetentionPolicy,
    string? User,
    string? Password,
    string SpoolDirectory,
    long SpoolMaxBytes)
{
    public const string V1 = "v1";
    public const string V2 = "v2";
    public const string TokenVariable = "GRIDSWEEP_INFLUX_TOKEN";
    public const string PasswordVariable = "GRIDSWEEP_INFLUX_PASSWORD";
    public const string DefaultBucket = "gridsweep";
    public const long DefaultSpoolMaxBytes = 256L << 20;

    /// <summary>The command-line options, each followed by its value (<c>--name value</c> or <c>--name=value</c>).</summary>
    public static readonly IReadOnlyDictionary<string, string> Options = new Dictionary<string, string>
    {
        ["--influx-url"] = "InfluxDB base URL, e.g. http://influxdb:8086; metrics are written only when given",
        ["--influx-api"] = "v2 (default: /api/v2/write with org, bucket, token) or v1 (/write with database, retention policy, user)",
        ["--influx-bucket"] = $"bucket (v2) or database (v1), default {DefaultBucket}",
        ["--influx-org"] = "organization (v2)",
        ["--influx-token-file"] = $"file holding the API token (else ${TokenVariable})",
        ["--influx-rp"] = "retention policy (v1; default: the database's default); must keep data forever",
        ["--influx-user"] = "user name (v1)",
        ["--influx-password-file"] = $"file holding the user's password (v1; else ${PasswordVariable})",
        ["--influx-spool"] = "folder for points waiting for InfluxDB (default $XDG_STATE_HOME/gridsweep/influx-spool)",
        ["--influx-spool-max-mb"] = $"spool size bound in MiB (default {DefaultSpoolMaxBytes >> 20}); past it the oldest points are dropped",
    };

    public bool IsV1 => Api == V1;

    /// <summary>
    /// Reads the <c>--influx-*</c> options out of a command line (other arguments are ignored, so a host can
    /// pass its whole command line), the secrets from their files or environment variables, and checks the
    /// result. Null when no <c>--influx-url</c> is given: metrics are off.
    /// </summary>
    /// <exception cref="ArgumentException">Every problem found, one per line, naming the option.</exception>
    public static InfluxSettings? FromArgs(IReadOnlyList<string> args, Func<string, string?>? environment = null, string? home = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var errors = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--influx-", StringComparison.Ordinal))
                continue;
            var equals = arg.IndexOf('=');
            var name = equals < 0 ? arg : arg[..equals];
            if (!Options.ContainsKey(name))
            {
                errors.Add($"{name}: unknown option; known: {string.Join(", ", Options.Keys)}");
                continue;
            }
            if (equals >= 0)
                values[name] = arg[(equals + 1)..];
            else if (i + 1 < args.Count)
                values[name] = args[++i];
            else
                errors.Add($"{name}: needs a value");
        }
        if (!values.TryGetValue("--influx-url", out var url))
        {
            if (values.Count > 0)
                errors.Add("--influx-url: needed when any other --influx-* option is given");
            if (errors.Count > 0)
                throw new ArgumentException(string.Join(Environment.NewLine, errors));
            return null;
        }

        var tokenFile = values.GetValueOrDefault("--influx-token-file");
        var token = tokenFile is null ? NonEmpty(environment(TokenVariable)) : ReadSecret(tokenFile, "--influx-token-file", errors);
        var passwordFile = values.GetValueOrDefault("--influx-password-file");
        var password = passwordFile is null ? NonEmpty(environment(PasswordVariable)) : ReadSecret(passwordFile, "--influx-password-file", errors);

        var spoolMaxBytes = DefaultSpoolMaxBytes;
        if (values.TryGetValue("--influx-spool-max-mb", out var mb))
        {
            if (long.TryParse(mb, NumberStyles.None, CultureInfo.InvariantCulture, out var megabytes) && megabytes is > 0 and < (1L << 40))
                spoolMaxBytes = megabytes << 20;
            else
                errors.Add($"--influx-spool-max-mb: '{mb}' is not a positive whole number of MiB");
        }

        var settings = new InfluxSettings(
            url,
            values.GetValueOrDefault("--influx-api", V2),
            values.GetValueOrDefault("--influx-bucket", DefaultBucket),
            values.GetValueOrDefault("--influx-org"),
            token,
            tokenFile,
            values.GetValueOrDefault("--influx-rp"),
            values.GetValueOrDefault("--influx-user"),
            password,
            values.TryGetValue("--influx-spool", out var spool) ? Path.GetFullPath(spool) : DefaultSpoolDirectory(environment, home),
            spoolMaxBytes);
        errors.AddRange(settings.Problems());
        if (errors.Count > 0)
            throw new ArgumentException(string.Join(Environment.NewLine, errors));
        return settings;
    }

    /// <summary>What is wrong with these settings, one message per problem naming the option; empty when usable.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (!Uri.TryCreate(Url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            problems.Add($"--influx-url: '{Url}' is not an http:// or https:// URL");
        if (Api is not (V1 or V2))
            problems.Add($"--influx-api: '{Api}' is not allowed; allowed values: {V2}, {V1}");
        if (string.IsNullOrWhiteSpace(Bucket))
            problems.Add($"--influx-bucket: the {(IsV1 ? "database" : "bucket")} name is empty");
        if (Api == V2)
        {
            if (string.IsNullOrWhiteSpace(Org))
                problems.Add("--influx-org: the v2 API needs the organization");
            if (string.IsNullOrEmpty(Token))
                problems.Add($"--influx-token-file: the v2 API needs a token: give a file holding it or set {TokenVariable}");
        }
        if (User is not null && string.IsNullOrEmpty(Password))
            problems.Add($"--influx-password-file: --influx-user '{User}' needs a password: give a file holding it or set {PasswordVariable}");
        if (string.IsNullOrWhiteSpace(SpoolDirectory))
            problems.Add("--influx-spool: the spool folder is empty");
        if (SpoolMaxBytes <= 0)
            problems.Add("--influx-spool-max-mb: must be positive");
        return problems;
    }

    /// <summary><c>$XDG_STATE_HOME/gridsweep/influx-spool</c>, else <c>~/.local/state/gridsweep/influx-spool</c>: state, not cache, since it holds data not yet written anywhere else.</summary>
    public static string DefaultSpoolDirectory(Func<string, string?>? environment = null, string? home = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var xdg = environment("XDG_STATE_HOME");
        // The XDG spec says to ignore a relative XDG_STATE_HOME.
        var state = !string.IsNullOrWhiteSpace(xdg) && Path.IsPathRooted(xdg)
            ? xdg
            : Path.Combine(home ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state");
        return Path.Combine(state, "gridsweep", "influx-spool");
    }

    /// <summary>Every setting but the secrets, which show only whether they are set.</summary>
    public override string ToString() =>
        $"InfluxSettings {{ Url = {Url}, Api = {Api}, Bucket = {Bucket}, Org = {Org}, Token = {Redacted(Token)}, " +
        $"TokenFile = {TokenFile}, RetentionPolicy = {RetentionPolicy}, User = {User}, Password = {Redacted(Password)}, " +
        $"SpoolDirectory = {SpoolDirectory}, SpoolMaxBytes = {SpoolMaxBytes} }}";

    private static string Redacted(string? secret) => string.IsNullOrEmpty(secret) ? "(none)" : "(redacted)";

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static string? ReadSecret(string path, string option, List<string> errors)
    {
        try
        {
            var secret = File.ReadAllText(path).Trim();
            if (secret.Length == 0)
                errors.Add($"{option}: '{path}' is empty");
            return secret.Length == 0 ? null : secret;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            errors.Add($"{option}: cannot read '{path}': {e.Message}");
            return null;
        }
    }
}
