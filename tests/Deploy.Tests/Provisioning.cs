namespace GridSweep.Deploy.Tests;

/// <summary>What the deploy files must agree on with dashboards/provisioning.</summary>
internal static class Provisioning
{
    public const string DatasourceFile = "dashboards/provisioning/datasources/influxdb.yaml";
    public const string DashboardProviderFile = "dashboards/provisioning/dashboards/gridsweep.yaml";

    /// <summary>Where the dashboard provider reads dashboard JSON (its options.path).</summary>
    public static string DashboardProviderPath()
    {
        var file = Repository.PathOf(DashboardProviderFile);
        Assert.True(File.Exists(file), $"{DashboardProviderFile} is missing: deploy/ mounts dashboards/json where its provider points");
        var provider = Yaml.Load(file).Get("providers").List().First();
        return provider.Str("options", "path") ?? throw new InvalidOperationException($"{DashboardProviderFile}: no options.path");
    }

    /// <summary>The environment variables the datasource takes its URL, database and token from.</summary>
    public static IReadOnlySet<string> DatasourceVariables()
    {
        Assert.True(File.Exists(Repository.PathOf(DatasourceFile)), $"{DatasourceFile} is missing: Grafana in deploy/ has no datasource without it");
        var names = ImageEnvironment.ProvisioningVariables();
        Assert.NotEmpty(names);
        return names;
    }
}
