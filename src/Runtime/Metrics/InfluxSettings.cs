using GridSweep.Runtime.Configuration;

namespace GridSweep.Runtime.Metrics;

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

    public bool IsV1 => Api == V1;

    /// <summary>
    /// The writer's settings from the bound options, with the secrets read from their files or environment
    /// variables. Null when no URL is set: metrics are off.
    /// </summary>
    /// <exception cref="SettingsException">Every problem found, each naming its flag and setting.</exception>
    public static InfluxSettings? From(InfluxOptions options, Func<string, string?>? environment = null, string? home = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var problems = new SettingProblems();
        options.Validate(problems);
        problems.ThrowIfAny();
        if (options.Url is null)
            return null;

        var token = options.TokenFile is null
            ? NonEmpty(environment(TokenVariable))
            : SecretFile.Read(options.TokenFile, SettingName.Of<InfluxOptions>(nameof(InfluxOptions.TokenFile)), problems);
        var password = options.PasswordFile is null
            ? NonEmpty(environment(PasswordVariable))
            : SecretFile.Read(options.PasswordFile, SettingName.Of<InfluxOptions>(nameof(InfluxOptions.PasswordFile)), problems);
        var api = options.Api ?? V2;
        // Credentials in the URL never travel with it: the URL kept (and printed) has none, and a v1 user and
        // password given there authenticate as --influx-user would (the file or variable wins over the URL).
        var (url, urlUser, urlPassword) = SplitCredentials(options.Url);
        var user = options.User ?? urlUser;
        if (urlUser is not null && options.User is null && password is null)
            password = urlPassword;
        if (urlUser is not null && api == V2)
            problems.Add(SettingName.Of<InfluxOptions>(nameof(InfluxOptions.Url)), Redaction.Url(options.Url),
                $"carries credentials; the v2 API takes a token: give a file holding it (--influx-token-file) or set {TokenVariable}, and drop them from the URL");
        if (api == V2)
        {
            if (string.IsNullOrWhiteSpace(options.Org))
                problems.AddMissing(SettingName.Of<InfluxOptions>(nameof(InfluxOptions.Org)), "the v2 API needs the organization");
            if (string.IsNullOrEmpty(token))
                problems.AddMissing(SettingName.Of<InfluxOptions>(nameof(InfluxOptions.TokenFile)), $"the v2 API needs a token: give a file holding it or set {TokenVariable}");
        }
        if (user is not null && string.IsNullOrEmpty(password))
            problems.AddMissing(SettingName.Of<InfluxOptions>(nameof(InfluxOptions.PasswordFile)),
                $"--influx-user '{user}' needs a password: give a file holding it or set {PasswordVariable}");
        problems.ThrowIfAny();

        return new InfluxSettings(
            url,
            api,
            options.Bucket ?? DefaultBucket,
            options.Org,
            token,
            options.TokenFile,
            options.RetentionPolicy,
            user,
            password,
            options.Spool is { } spool ? Path.GetFullPath(spool) : DefaultSpoolDirectory(environment, home),
            options.SpoolMaxMb is { } megabytes ? (long)megabytes << 20 : DefaultSpoolMaxBytes);
    }

    /// <summary>The URL without user-info, and the user and password it held (unescaped), if any.</summary>
    internal static (string Url, string? User, string? Password) SplitCredentials(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.UserInfo.Length == 0)
            return (url, null, null);
        var parts = uri.UserInfo.Split(':', 2);
        var bare = new UriBuilder(uri) { UserName = "", Password = "" }.Uri.ToString();
        // UriBuilder adds a trailing slash to a bare authority; keep the URL as given otherwise.
        if (!url.EndsWith('/') && bare.EndsWith('/') && uri.AbsolutePath == "/")
            bare = bare[..^1];
        return (bare, Uri.UnescapeDataString(parts[0]), parts.Length == 2 ? Uri.UnescapeDataString(parts[1]) : null);
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
}
