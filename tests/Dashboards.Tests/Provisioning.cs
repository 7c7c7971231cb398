using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace GridSweep.Dashboards.Tests;

/// <summary>The provisioning files read as Grafana reads them, with its environment-variable expansion.</summary>
public static partial class Provisioning
{
    public static readonly IReadOnlySet<string> DatasourceVariables = new HashSet<string> { "INFLUX_URL", "INFLUX_DATABASE", "INFLUX_TOKEN" };

    public static YamlMappingNode Load(string path)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(path);
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents.Single().RootNode;
    }

    /// <summary>The single datasource of <c>provisioning/datasources/influxdb.yaml</c>.</summary>
    public static YamlMappingNode Datasource()
    {
        var root = Load(DashboardFiles.DatasourceFile);
        var list = (YamlSequenceNode)root["datasources"];
        return (YamlMappingNode)list.Children.Single();
    }

    public static string Scalar(YamlMappingNode node, params string[] path)
    {
        YamlNode current = node;
        foreach (var key in path)
            current = ((YamlMappingNode)current)[key];
        return ((YamlScalarNode)current).Value ?? "";
    }

    public static bool Has(YamlMappingNode node, string key) => node.Children.ContainsKey(new YamlScalarNode(key));

    /// <summary>Every scalar value of a YAML tree with its path.</summary>
    public static IEnumerable<(string Path, string Value)> Scalars(YamlNode node, string path = "")
    {
        switch (node)
        {
            case YamlScalarNode scalar:
                yield return (path, scalar.Value ?? "");
                break;
            case YamlMappingNode mapping:
                foreach (var (key, value) in mapping.Children)
                {
                    foreach (var item in Scalars(value, $"{path}/{((YamlScalarNode)key).Value}"))
                        yield return item;
                }
                break;
            case YamlSequenceNode sequence:
                var i = 0;
                foreach (var child in sequence.Children)
                {
                    foreach (var item in Scalars(child, $"{path}/{i++}"))
                        yield return item;
                }
                break;
        }
    }

    /// <summary>The environment variables a provisioning text names: <c>$NAME</c>, <c>${NAME}</c>, <c>$__env{NAME}</c>.</summary>
    public static IReadOnlySet<string> VariablesIn(string text) =>
        EnvReference().Matches(text).Select(m => m.Groups["braced"].Success ? m.Groups["braced"].Value : m.Groups["env"].Success ? m.Groups["env"].Value : m.Groups["bare"].Value).ToHashSet();

    /// <summary>Grafana's expansion of a provisioning value (<c>$$</c> is a literal dollar).</summary>
    public static string Expand(string value, IReadOnlyDictionary<string, string> environment) =>
        EnvReference().Replace(value, m =>
        {
            if (m.Value == "$$")
                return "$";
            var name = m.Groups["braced"].Success ? m.Groups["braced"].Value : m.Groups["env"].Success ? m.Groups["env"].Value : m.Groups["bare"].Value;
            return environment.TryGetValue(name, out var v) ? v : "";
        });

    [GeneratedRegex(@"\$\$|\$__env\{(?<env>[A-Za-z_][A-Za-z0-9_]*)\}|\$\{(?<braced>[A-Za-z_][A-Za-z0-9_]*)\}|\$(?<bare>[A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex EnvReference();
}
