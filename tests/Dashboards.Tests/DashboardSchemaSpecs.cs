using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Json.Schema;
using Xunit.Abstractions;

namespace GridSweep.Dashboards.Tests;

/// <summary>
/// The dashboards against Grafana's own schema (generated from the pinned @grafana/schema package), and the
/// rules every GridSweep dashboard keeps: fixed uid, current schemaVersion, the provisioned datasource on
/// every panel, target and variable.
/// </summary>
public partial class DashboardSchemaSpecs(ITestOutputHelper output)
{
    private static readonly Lazy<JsonSchema> DashboardSchema = new(() => LoadSchema("dashboard.schema.json"));

    [Fact]
    public void The_committed_schemas_are_what_the_pinned_grafana_package_generates()
    {
        NodeTool.RequirePackages();
        var (exitCode, text) = NodeTool.Run("generate.mjs", "--check");
        output.WriteLine(text);
        Assert.True(exitCode == 0, $"node generate.mjs --check exited {exitCode}:\n{text}");
    }

    [Fact]
    public void The_schema_is_pinned_to_one_grafana_schema_release()
    {
        var package = JsonNode.Parse(File.ReadAllText(Path.Combine(DashboardFiles.SchemaFolder, "package.json")))!;
        var pinned = (string)package["devDependencies"]!["@grafana/schema"]!;
        Assert.Matches(@"^\d+\.\d+\.\d+$", pinned); // an exact version, no range
        var lockFile = JsonNode.Parse(File.ReadAllText(Path.Combine(DashboardFiles.SchemaFolder, "package-lock.json")))!;
        Assert.Equal(pinned, (string?)lockFile["packages"]!["node_modules/@grafana/schema"]!["version"]);
        var versions = DashboardFiles.Versions();
        Assert.Equal(pinned, (string?)versions["version"]);
        Assert.True((int)versions["schemaVersion"]! >= 41, "schemaVersion read from the package looks wrong");
    }

    [Fact]
    public void Every_dashboard_file_is_listed_and_every_uid_is_distinct()
    {
        var files = Directory.GetFiles(DashboardFiles.JsonFolder, "*.json").Select(Path.GetFileName).Order().ToList();
        Assert.Equal(DashboardFiles.Uids.Keys.Order(), files);
        Assert.Equal(DashboardFiles.Uids.Count, DashboardFiles.Uids.Values.Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(DashboardFiles.FileNames), MemberType = typeof(DashboardFiles))]
    public void The_dashboard_validates_against_grafanas_dashboard_schema(string file)
    {
        var text = File.ReadAllText(Path.Combine(DashboardFiles.JsonFolder, file));
        using var document = JsonDocument.Parse(text);
        var result = DashboardSchema.Value.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        Assert.True(result.IsValid, $"{file} does not match @grafana/schema's Dashboard:\n{Errors(result)}");
    }

    [Fact]
    public void The_schemas_reject_a_misspelt_key_and_a_wrong_option_value()
    {
        // Guards against a schema that accepts anything: the generated interfaces are closed.
        var dashboard = DashboardFiles.Load("gridsweep-overview.json");
        dashboard["panels"]![0]!["titel"] = "typo";
        using (var document = JsonDocument.Parse(dashboard.ToJsonString()))
            Assert.False(DashboardSchema.Value.Evaluate(document.RootElement).IsValid);

        var stat = DashboardFiles.Load("gridsweep-overview.json")["panels"]![0]!.AsObject();
        stat["options"]!["colorMode"] = "rainbow";
        using (var document = JsonDocument.Parse(stat.ToJsonString()))
            Assert.False(LoadSchema(Path.Combine("panels", "stat.schema.json")).Evaluate(document.RootElement).IsValid);

        var curves = DashboardFiles.Load("gridsweep-curves.json");
        var xy = DashboardFiles.DataPanels(curves).First();
        xy["fieldConfig"]!["defaults"]!["custom"]!["show"] = "bars";
        using (var document = JsonDocument.Parse(xy.ToJsonString()))
            Assert.False(LoadSchema(Path.Combine("panels", "xychart.schema.json")).Evaluate(document.RootElement).IsValid);
    }

    [Theory]
    [MemberData(nameof(DashboardFiles.FileNames), MemberType = typeof(DashboardFiles))]
    public void Every_panel_validates_against_its_plugins_schema(string file)
    {
        var dashboard = DashboardFiles.Load(file);
        var versions = DashboardFiles.Versions();
        foreach (var panel in DashboardFiles.DataPanels(dashboard))
        {
            var type = (string)panel["type"]!;
            var schemaFile = Path.Combine(DashboardFiles.GeneratedFolder, "panels", $"{type}.schema.json");
            Assert.True(File.Exists(schemaFile), $"{file}: {DashboardFiles.Describe(panel)} has no schema in @grafana/schema: use a core panel");
            var schema = LoadSchema(Path.Combine("panels", $"{type}.schema.json"));
            using var document = JsonDocument.Parse(panel.ToJsonString());
            var result = schema.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
            Assert.True(result.IsValid, $"{file}: {DashboardFiles.Describe(panel)} does not match the {type} plugin's options:\n{Errors(result)}");
            Assert.Equal((string?)versions["panelPluginVersions"]![type], (string?)panel["pluginVersion"]);
            output.WriteLine($"{file}: {DashboardFiles.Describe(panel)} valid");
        }
    }

    [Theory]
    [MemberData(nameof(DashboardFiles.FileNames), MemberType = typeof(DashboardFiles))]
    public void The_dashboard_has_its_fixed_uid_and_the_current_schema_version(string file)
    {
        var dashboard = DashboardFiles.Load(file);
        Assert.Equal(DashboardFiles.Uids[file], (string?)dashboard["uid"]);
        Assert.Equal((int)DashboardFiles.Versions()["schemaVersion"]!, (int)dashboard["schemaVersion"]!);
        Assert.Null(dashboard["id"]); // Grafana assigns it; a provisioned file must not carry one
        Assert.False((bool)dashboard["editable"]!);
        Assert.StartsWith("GridSweep: ", (string)dashboard["title"]!);
    }

    [Theory]
    [MemberData(nameof(DashboardFiles.FileNames), MemberType = typeof(DashboardFiles))]
    public void Every_panel_target_and_variable_uses_the_provisioned_datasource(string file)
    {
        var dashboard = DashboardFiles.Load(file);
        foreach (var panel in DashboardFiles.DataPanels(dashboard))
        {
            var where = $"{file}: {DashboardFiles.Describe(panel)}";
            Assert.True(DashboardFiles.IsDatasource(panel["datasource"]), $"{where}: datasource is {DashboardFiles.Compact(panel["datasource"])}");
            var targets = DashboardFiles.Targets(panel).ToList();
            Assert.NotEmpty(targets);
            Assert.Equal(targets.Count, targets.Select(t => (string?)t["refId"]).Distinct().Count());
            foreach (var target in targets)
            {
                Assert.True(DashboardFiles.IsDatasource(target["datasource"]), $"{where} target {target["refId"]}: datasource is {DashboardFiles.Compact(target["datasource"])}");
                Assert.True((bool?)target["rawQuery"] == true, $"{where} target {target["refId"]}: rawQuery must be true (InfluxQL text)");
                Assert.Contains((string?)target["resultFormat"], new[] { "table", "time_series" });
                var query = (string?)target["query"];
                Assert.False(string.IsNullOrWhiteSpace(query), $"{where} target {target["refId"]}: no query");
                Assert.Matches(@"^(SELECT|SHOW) ", query);
            }
        }
        foreach (var variable in DashboardFiles.Variables(dashboard).Where(v => (string?)v["type"] == "query"))
            Assert.True(DashboardFiles.IsDatasource(variable["datasource"]), $"{file}: variable {variable["name"]}: datasource is {DashboardFiles.Compact(variable["datasource"])}");
    }

    [Theory]
    [MemberData(nameof(DashboardFiles.FileNames), MemberType = typeof(DashboardFiles))]
    public void Panels_have_distinct_ids_fit_the_grid_and_use_only_defined_variables(string file)
    {
        var dashboard = DashboardFiles.Load(file);
        var panels = DashboardFiles.Panels(dashboard).ToList();
        Assert.Equal(panels.Count, panels.Select(p => (int)p["id"]!).Distinct().Count());
        foreach (var panel in panels)
        {
            var grid = panel["gridPos"]!;
            Assert.InRange((int)grid["x"]! + (int)grid["w"]!, 1, 24);
        }

        var variables = DashboardFiles.Variables(dashboard).ToDictionary(v => (string)v["name"]!);
        var builtIns = new HashSet<string> { "timeFilter", "__interval", "__interval_ms", "__all" };
        foreach (var panel in DashboardFiles.DataPanels(dashboard))
        {
            var texts = DashboardFiles.Targets(panel).Select(t => (string)t["query"]!).Append((string?)panel["title"] ?? "");
            foreach (Match use in VariableUse().Matches(string.Join('\n', texts)))
            {
                var name = use.Groups[1].Value;
                Assert.True(variables.ContainsKey(name) || builtIns.Contains(name) || name.StartsWith("tag_", StringComparison.Ordinal),
                    $"{file}: {DashboardFiles.Describe(panel)} uses ${name}, which the dashboard does not define");
            }
        }
        foreach (var panel in panels.Where(p => p["repeat"] is not null))
        {
            var name = (string)panel["repeat"]!;
            Assert.True(variables.TryGetValue(name, out var variable), $"{file}: {DashboardFiles.Describe(panel)} repeats over undefined ${name}");
            Assert.True((bool?)variable["multi"] == true && (bool?)variable["includeAll"] == true, $"${name} must be multi-value with All to repeat over it");
        }
    }

    [Fact]
    public void Learning_curves_put_epoch_on_x_and_repeat_per_grid_cell()
    {
        var dashboard = DashboardFiles.Load("gridsweep-curves.json");
        var panels = DashboardFiles.Panels(dashboard).ToList();
        var row = Assert.Single(panels, p => (string?)p["type"] == "row");
        Assert.Equal("row", (string?)row["repeat"]);
        var cell = Assert.Single(panels, p => (string?)p["repeat"] == "col");
        Assert.Equal("xychart", (string?)cell["type"]);
        Assert.True(panels.IndexOf(cell) == panels.IndexOf(row) + 1, "the repeated cell panel must follow the repeated row");
        // The grid's axes are chosen by two pickers offering every grid axis; model x regularizer by default.
        var axes = new[] { "model", "regularizer", "optimizer", "learning_rate", "activation", "batch_size", "epochs" };
        foreach (var (picker, initial) in new[] { ("row_axis", "model"), ("col_axis", "regularizer") })
        {
            var variable = DashboardFiles.Variables(dashboard).Single(v => (string?)v["name"] == picker);
            Assert.Equal("custom", (string?)variable["type"]);
            Assert.Equal(axes, ((string)variable["query"]!).Split(','));
            Assert.Equal(initial, (string?)variable["current"]!["value"]);
        }
        // Both the cell's mean over seeds (A) and its picked seeds (B) are that cell's.
        Assert.All(DashboardFiles.Targets(cell), target => Assert.Contains("\"$row_axis\" =~ /^$row$/ AND \"$col_axis\" =~ /^$col$/", (string)target["query"]!));
        foreach (var panel in DashboardFiles.DataPanels(dashboard))
        {
            // XY chart in auto mode: x = the first number field of each frame, y = the other number fields.
            Assert.Equal("xychart", (string?)panel["type"]);
            Assert.Equal("auto", (string?)panel["options"]!["mapping"]);
            foreach (var target in DashboardFiles.Targets(panel))
            {
                Assert.Matches("^SELECT (mean\\()?\"epoch\"", (string)target["query"]!);
                Assert.Equal("table", (string?)target["resultFormat"]);
            }
            Assert.Equal("partitionByValues", (string?)panel["transformations"]![0]!["id"]);
        }
    }

    internal static JsonSchema LoadSchema(string relativePath)
    {
        var path = Path.Combine(DashboardFiles.GeneratedFolder, relativePath);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path} is missing: run `npm ci && node generate.mjs` in dashboards/schema", path);
        return JsonSchema.FromText(File.ReadAllText(path), new BuildOptions { SchemaRegistry = new SchemaRegistry() });
    }

    private static string Errors(EvaluationResults result)
    {
        var lines = (result.Details ?? [])
            .Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"  {d.InstanceLocation} ({d.EvaluationPath}): {e.Key}: {e.Value}"))
            .Take(40)
            .ToList();
        return lines.Count > 0 ? string.Join('\n', lines) : "  (no details)";
    }

    [GeneratedRegex(@"\$\{?([A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex VariableUse();
}
