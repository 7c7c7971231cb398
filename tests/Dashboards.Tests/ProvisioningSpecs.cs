using System.Text.RegularExpressions;
using GridSweep.TestKit;
using YamlDotNet.RepresentationModel;

namespace GridSweep.Dashboards.Tests;

public class ProvisioningSpecs
{
    [Fact]
    public void The_datasource_is_influxql_with_its_fixed_uid_and_a_token_header()
    {
        var ds = Provisioning.Datasource();
        Assert.Equal(1, int.Parse(Provisioning.Scalar(Provisioning.Load(DashboardFiles.DatasourceFile), "apiVersion")));
        Assert.Equal(DashboardFiles.DatasourceUid, Provisioning.Scalar(ds, "uid"));
        Assert.Equal(DashboardFiles.DatasourceType, Provisioning.Scalar(ds, "type"));
        Assert.Equal("proxy", Provisioning.Scalar(ds, "access"));
        Assert.Equal("${INFLUX_URL}", Provisioning.Scalar(ds, "url"));
        Assert.Equal("InfluxQL", Provisioning.Scalar(ds, "jsonData", "version"));
        Assert.Equal("${INFLUX_DATABASE}", Provisioning.Scalar(ds, "jsonData", "dbName"));
        Assert.Equal("Authorization", Provisioning.Scalar(ds, "jsonData", "httpHeaderName1"));
        Assert.Equal("Token ${INFLUX_TOKEN}", Provisioning.Scalar(ds, "secureJsonData", "httpHeaderValue1"));
    }

    [Fact]
    public void The_datasource_file_holds_no_secret()
    {
        var ds = Provisioning.Datasource();
        // Secrets live only in secureJsonData, and there only as environment references.
        foreach (var (path, value) in Provisioning.Scalars(ds["secureJsonData"]))
            Assert.Matches(@"^(Token |Bearer )?\$\{[A-Z_]+\}$", value);
        foreach (var key in new[] { "password", "basicAuthPassword", "user", "basicAuthUser" })
            Assert.False(Provisioning.Has(ds, key), $"the datasource sets {key}: credentials come from INFLUX_TOKEN");
        var jsonData = (YamlMappingNode)ds["jsonData"];
        foreach (var key in new[] { "token", "password" })
            Assert.False(Provisioning.Has(jsonData, key), $"jsonData.{key} would be stored unencrypted");
        foreach (var (path, value) in Provisioning.Scalars(ds))
        {
            Assert.DoesNotMatch(@"(?i)(token|password|secret)\s*[:=]\s*\S", value);
            Assert.False(Regex.IsMatch(value, "[A-Za-z0-9_-]{32,}"), $"{path} looks like a literal key: {value}");
        }
    }

    [Fact]
    public void Every_environment_variable_of_the_datasource_is_documented_in_the_readme()
    {
        // Grafana expands variables in the values it reads, not in comments.
        var named = Provisioning.Scalars(Provisioning.Load(DashboardFiles.DatasourceFile))
            .SelectMany(s => Provisioning.VariablesIn(s.Value)).ToHashSet();
        Assert.Equal(Provisioning.DatasourceVariables.Order(), named.Order());
        var readme = File.ReadAllText(Path.Combine(TestData.RepoRoot, "README.md"));
        var monitoring = Regex.Match(readme, @"^## Monitoring\n(?<body>.*?)(?=^## |\z)", RegexOptions.Multiline | RegexOptions.Singleline);
        Assert.True(monitoring.Success, "README.md has no \"## Monitoring\" section");
        foreach (var variable in named)
            Assert.Contains($"`{variable}`", monitoring.Groups["body"].Value);
    }

    [Fact]
    public void The_dashboard_provider_reads_the_json_folder_into_a_locked_gridsweep_folder()
    {
        var root = Provisioning.Load(DashboardFiles.ProviderFile);
        var provider = (YamlMappingNode)((YamlSequenceNode)root["providers"]).Children.Single();
        Assert.Equal("file", Provisioning.Scalar(provider, "type"));
        Assert.Equal("GridSweep", Provisioning.Scalar(provider, "folder"));
        Assert.Equal("/var/lib/grafana/dashboards", Provisioning.Scalar(provider, "options", "path"));
        Assert.Equal("false", Provisioning.Scalar(provider, "allowUiUpdates"));
        Assert.Equal("true", Provisioning.Scalar(provider, "disableDeletion"));
    }

    [Fact]
    public void Grafanas_expansion_fills_the_datasource_from_the_environment()
    {
        var ds = Provisioning.Datasource();
        var environment = new Dictionary<string, string>
        {
            ["INFLUX_URL"] = "http://influxdb:8086",
            ["INFLUX_DATABASE"] = "gridsweep",
            ["INFLUX_TOKEN"] = "t0k",
        };
        Assert.Equal("http://influxdb:8086", Provisioning.Expand(Provisioning.Scalar(ds, "url"), environment));
        Assert.Equal("gridsweep", Provisioning.Expand(Provisioning.Scalar(ds, "jsonData", "dbName"), environment));
        Assert.Equal("Token t0k", Provisioning.Expand(Provisioning.Scalar(ds, "secureJsonData", "httpHeaderValue1"), environment));
    }
}
