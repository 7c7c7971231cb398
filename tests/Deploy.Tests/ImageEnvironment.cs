using System.Text.RegularExpressions;

namespace GridSweep.Deploy.Tests;

/// <summary>What the container of an image reads from its environment: GridSweep's own images per
/// <see cref="AppEnvironment"/>, the third-party images per their documentation.</summary>
internal sealed partial record ImageEnvironment(string Description, Func<string, bool> Reads)
{
    /// <summary>The influxdb:2.x image: its setup variables and influxd's INFLUXD_* options.</summary>
    public static readonly IReadOnlySet<string> InfluxInitVariables = new HashSet<string>
    {
        "DOCKER_INFLUXDB_INIT_MODE", "DOCKER_INFLUXDB_INIT_USERNAME", "DOCKER_INFLUXDB_INIT_PASSWORD",
        "DOCKER_INFLUXDB_INIT_ORG", "DOCKER_INFLUXDB_INIT_BUCKET", "DOCKER_INFLUXDB_INIT_RETENTION",
        "DOCKER_INFLUXDB_INIT_ADMIN_TOKEN", "DOCKER_INFLUXDB_INIT_CLI_CONFIG_NAME",
    };

    public static ImageEnvironment Influx { get; } = new(
        "influxdb:2.7 (DOCKER_INFLUXDB_INIT_* of the image's setup, INFLUXD_* server options)",
        name => InfluxInitVariables.Contains(name) || InfluxdOption().IsMatch(name));

    /// <summary>The postgres image's first-start variables (and their <c>_FILE</c> forms) and PGDATA.</summary>
    public static readonly IReadOnlySet<string> PostgresVariables = new HashSet<string>
    {
        "POSTGRES_PASSWORD", "POSTGRES_PASSWORD_FILE", "POSTGRES_USER", "POSTGRES_USER_FILE", "POSTGRES_DB", "POSTGRES_DB_FILE",
        "POSTGRES_INITDB_ARGS", "POSTGRES_INITDB_ARGS_FILE", "POSTGRES_INITDB_WALDIR", "POSTGRES_HOST_AUTH_METHOD", "PGDATA",
    };

    public static ImageEnvironment Postgres { get; } = new(
        $"postgres:16 (its documented variables: {string.Join(", ", PostgresVariables.Order(StringComparer.Ordinal))})",
        PostgresVariables.Contains);

    public static ImageEnvironment Grafana { get; } = new(
        $"grafana/grafana (GF_<SECTION>_<KEY> settings, and the variables dashboards/provisioning uses: {string.Join(", ", ProvisioningVariables())})",
        name => GrafanaSetting().IsMatch(name) || ProvisioningVariables().Contains(name));

    public static ImageEnvironment Coordinator { get; } = new(AppEnvironment.Coordinator.ToString(), AppEnvironment.Coordinator.Reads);

    public static ImageEnvironment Trainer { get; } = new(AppEnvironment.Trainer.ToString(), AppEnvironment.Trainer.Reads);

    /// <summary>By image name (Kubernetes, compose <c>image:</c>) or Dockerfile (compose <c>build:</c>).</summary>
    public static ImageEnvironment? For(string? image, string? dockerfile = null)
    {
        var name = dockerfile is not null ? Path.GetFileName(dockerfile) : (image ?? "");
        return name switch
        {
            _ when name.StartsWith("coordinator", StringComparison.Ordinal) || name.StartsWith("gridsweep/coordinator", StringComparison.Ordinal) => Coordinator,
            _ when name.StartsWith("trainer", StringComparison.Ordinal) || name.StartsWith("gridsweep/trainer", StringComparison.Ordinal) => Trainer,
            _ when name.StartsWith("influxdb:2", StringComparison.Ordinal) => Influx,
            _ when name.StartsWith("grafana/grafana:", StringComparison.Ordinal) => Grafana,
            _ when name.StartsWith("postgres:", StringComparison.Ordinal) => Postgres,
            _ => null,
        };
    }

    /// <summary>Names Grafana's provisioning files take from the environment (<c>$NAME</c> or <c>${NAME}</c> in a value).</summary>
    public static IReadOnlySet<string> ProvisioningVariables()
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        var dir = Repository.PathOf("dashboards/provisioning");
        if (!Directory.Exists(dir))
            return names;
        foreach (var file in Directory.EnumerateFiles(dir, "*.y*ml", SearchOption.AllDirectories))
        {
            foreach (var document in Yaml.LoadAll(file))
            {
                foreach (var value in Strings(document))
                {
                    foreach (Match m in Reference().Matches(value))
                        names.Add(m.Groups["braced"].Success ? m.Groups["braced"].Value : m.Groups["bare"].Value);
                }
            }
        }
        return names;
    }

    private static IEnumerable<string> Strings(object? node) => node switch
    {
        string s => [s],
        IDictionary<object, object?> map => map.Values.SelectMany(Strings),
        IList<object?> list => list.SelectMany(Strings),
        _ => [],
    };

    [GeneratedRegex(@"^INFLUXD_[A-Z0-9_]+$")]
    private static partial Regex InfluxdOption();

    [GeneratedRegex(@"^GF_[A-Z0-9]+_[A-Z0-9_]+$")]
    private static partial Regex GrafanaSetting();

    [GeneratedRegex(@"\$(?:\{(?<braced>[A-Z][A-Z0-9_]*)\}|(?<bare>[A-Z][A-Z0-9_]*))")]
    private static partial Regex Reference();
}
