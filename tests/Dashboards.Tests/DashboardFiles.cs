using System.Text.Json;
using System.Text.Json.Nodes;
using GridSweep.TestKit;

namespace GridSweep.Dashboards.Tests;

/// <summary>The files under <c>dashboards/</c> and what the tests read out of them.</summary>
public static class DashboardFiles
{
    public const string DatasourceType = "influxdb";
    public const string DatasourceUid = "gridsweep-influxdb";

    /// <summary>Each dashboard file and the uid it must keep (links and bookmarks use it).</summary>
    public static readonly IReadOnlyDictionary<string, string> Uids = new Dictionary<string, string>
    {
        ["gridsweep-overview.json"] = "gridsweep-overview",
        ["gridsweep-curves.json"] = "gridsweep-curves",
        ["gridsweep-cluster.json"] = "gridsweep-cluster",
    };

    public static string Root => Path.Combine(TestData.RepoRoot, "dashboards");

    public static string JsonFolder => Path.Combine(Root, "json");

    public static string SchemaFolder => Path.Combine(Root, "schema");

    public static string GeneratedFolder => Path.Combine(SchemaFolder, "generated");

    public static string DatasourceFile => Path.Combine(Root, "provisioning", "datasources", "influxdb.yaml");

    public static string ProviderFile => Path.Combine(Root, "provisioning", "dashboards", "gridsweep.yaml");

    public static IEnumerable<object[]> FileNames() => Uids.Keys.Select(name => new object[] { name });

    public static JsonObject Load(string fileName) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(JsonFolder, fileName)))!.AsObject();

    /// <summary>Every panel, rows and the panels inside collapsed rows included, in file order.</summary>
    public static IEnumerable<JsonObject> Panels(JsonObject dashboard)
    {
        foreach (var node in dashboard["panels"]?.AsArray() ?? [])
        {
            var panel = node!.AsObject();
            yield return panel;
            foreach (var inner in panel["panels"]?.AsArray() ?? [])
                yield return inner!.AsObject();
        }
    }

    /// <summary>Panels that show data (every panel but rows).</summary>
    public static IEnumerable<JsonObject> DataPanels(JsonObject dashboard) =>
        Panels(dashboard).Where(p => (string?)p["type"] != "row");

    public static IEnumerable<JsonObject> Targets(JsonObject panel) =>
        (panel["targets"]?.AsArray() ?? []).Select(t => t!.AsObject());

    public static IReadOnlyList<JsonObject> Variables(JsonObject dashboard) =>
        (dashboard["templating"]?["list"]?.AsArray() ?? []).Select(v => v!.AsObject()).ToList();

    public static JsonObject Panel(JsonObject dashboard, string title) =>
        DataPanels(dashboard).Single(p => (string?)p["title"] == title);

    /// <summary>What the schema generator recorded: the package version, its dashboard schemaVersion, the panel plugin versions.</summary>
    public static JsonObject Versions() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(GeneratedFolder, "versions.json")))!.AsObject();

    public static string Describe(JsonObject panel) => $"panel {panel["id"]} \"{panel["title"]}\" ({panel["type"]})";

    public static bool IsDatasource(JsonNode? node) =>
        node is JsonObject ds && (string?)ds["type"] == DatasourceType && (string?)ds["uid"] == DatasourceUid && ds.Count == 2;

    public static string Compact(JsonNode? node) => node?.ToJsonString(new JsonSerializerOptions { WriteIndented = false }) ?? "null";
}
