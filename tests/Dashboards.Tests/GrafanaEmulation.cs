using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace GridSweep.Dashboards.Tests;

/// <summary>One series of an InfluxQL answer: its tags and rows of named columns.</summary>
public sealed record Series(string Name, IReadOnlyDictionary<string, string> Tags, IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyList<JsonElement>> Values);

/// <summary>
/// An InfluxQL answer, with the row view Grafana's "table" format gives: one row per value row of every
/// series, the series' tags as string columns beside the value columns (Time first).
/// </summary>
public sealed class QueryResult(string query, IReadOnlyList<Series> series)
{
    public string Query { get; } = query;

    public IReadOnlyList<Series> Series { get; } = series;

    public IReadOnlyList<Row> Rows { get; } = series.SelectMany(s => s.Values.Select(v => new Row(s, v))).ToList();

    /// <summary>Columns as Grafana's table shows them: Time, the tag keys, the value columns.</summary>
    public IReadOnlyList<string> Columns =>
        Series.Count == 0 ? [] : ["Time", .. Series[0].Tags.Keys.Order(StringComparer.Ordinal), .. Series[0].Columns.Skip(1)];

    public Row Single(params (string Column, string Value)[] match) =>
        Assert.Single(Rows, r => match.All(m => r.Text(m.Column) == m.Value));

    public override string ToString()
    {
        if (Rows.Count == 0)
            return "(no rows)";
        var lines = new List<string> { string.Join(" | ", Columns) };
        lines.AddRange(Rows.Select(r => string.Join(" | ", Columns.Select(c => c == "Time" ? r.TimeText : r.Display(c)))));
        return string.Join('\n', lines);
    }
}

public sealed class Row(Series series, IReadOnlyList<JsonElement> values)
{
    public Series Series { get; } = series;

    public long TimeMs => values[0].GetInt64();

    public string TimeText => DateTimeOffset.FromUnixTimeMilliseconds(TimeMs).ToString("yyyy-MM-ddTHH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>True for a tag, or a value column that is not null in this row.</summary>
    public bool Has(string column) =>
        Series.Tags.ContainsKey(column) || (Index(column) is var i && i >= 0 && values[i].ValueKind != JsonValueKind.Null);

    public double Number(string column)
    {
        var i = Index(column);
        Assert.True(i >= 0, $"no column {column} in {string.Join(", ", Series.Columns)}");
        Assert.True(values[i].ValueKind == JsonValueKind.Number, $"{column} is {values[i]}, not a number");
        return values[i].GetDouble();
    }

    public double? NullableNumber(string column) => Has(column) ? Number(column) : null;

    /// <summary>A tag, or a string column.</summary>
    public string? Text(string column) =>
        Series.Tags.TryGetValue(column, out var tag) ? tag
        : Index(column) is var i && i >= 0 && values[i].ValueKind == JsonValueKind.String ? values[i].GetString()
        : null;

    public string Display(string column)
    {
        if (Series.Tags.TryGetValue(column, out var tag))
            return tag;
        var i = Index(column);
        if (i < 0)
            return "";
        var value = values[i];
        return value.ValueKind switch
        {
            JsonValueKind.Null => "null",
            JsonValueKind.Number => value.GetDouble().ToString("0.####", CultureInfo.InvariantCulture),
            _ => value.ToString(),
        };
    }

    private int Index(string column)
    {
        for (var i = 0; i < Series.Columns.Count; i++)
        {
            if (Series.Columns[i] == column)
                return i;
        }
        return -1;
    }
}

/// <summary>A variable's current selection, as Grafana's template service holds it.</summary>
public sealed record Selection(IReadOnlyList<string> Values, bool All, string? AllValue);

/// <summary>
/// Plays Grafana's part for the tests, since no Grafana server runs here: reads the provisioned datasource
/// with Grafana's environment expansion, sends InfluxQL as its InfluxDB datasource does (POST /query with
/// db, q, epoch=ms and the configured Authorization header), resolves the dashboard's variables from their
/// own queries and interpolates them (regex-escaped, <c>(a|b)</c> for several values, the allValue for All)
/// together with <c>$timeFilter</c> and <c>$__interval</c>.
/// </summary>
public sealed partial class GrafanaEmulation : IDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly ITestOutputHelper? _log;
    private readonly string _url;
    private readonly string _database;

    public GrafanaEmulation(IReadOnlyDictionary<string, string> environment, ITestOutputHelper? log = null)
    {
        _log = log;
        var ds = Provisioning.Datasource();
        _url = Provisioning.Expand(Provisioning.Scalar(ds, "url"), environment).TrimEnd('/');
        _database = Provisioning.Expand(Provisioning.Scalar(ds, "jsonData", "dbName"), environment);
        var header = Provisioning.Scalar(ds, "jsonData", "httpHeaderName1");
        var value = Provisioning.Expand(Provisioning.Scalar(ds, "secureJsonData", "httpHeaderValue1"), environment);
        _http.DefaultRequestHeaders.TryAddWithoutValidation(header, value);
        HttpMethodName = Provisioning.Scalar(ds, "jsonData", "httpMode");
    }

    public string HttpMethodName { get; }

    /// <summary>The dashboard time range, for <c>$timeFilter</c>.</summary>
    public DateTimeOffset From { get; set; } = DateTimeOffset.UtcNow.AddHours(-1);

    public DateTimeOffset To { get; set; } = DateTimeOffset.UtcNow.AddMinutes(1);

    public string Interval { get; set; } = "10s";

    public Dictionary<string, Selection> Selections { get; } = new(StringComparer.Ordinal);

    /// <summary>Every option each query variable's own query returned, in the variable's sort order.</summary>
    public Dictionary<string, IReadOnlyList<string>> Options { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Runs the dashboard's variable queries in order, each with the variables before it filled in, and
    /// selects what Grafana selects for a fresh dashboard: the first value, or All where the variable has it.
    /// </summary>
    public async Task ResolveVariablesAsync(JsonObject dashboard)
    {
        foreach (var variable in DashboardFiles.Variables(dashboard).Where(v => (string?)v["type"] is "query" or "custom"))
        {
            var name = (string)variable["name"]!;
            if ((string?)variable["type"] == "custom")
            {
                // A fixed list of choices: its options as written, the saved current value selected.
                Options[name] = ((string)variable["query"]!).Split(',').Select(v => v.Trim()).ToList();
                Selections[name] = new Selection([(string)variable["current"]!["value"]!], false, null);
                continue;
            }
            var result = await RunAsync(Interpolate((string)variable["query"]!));
            var values = result.Rows.Select(r => r.Text("value")!).Distinct().ToList();
            values = (int?)variable["sort"] switch
            {
                7 or 3 => values.OrderBy(v => double.TryParse(v, CultureInfo.InvariantCulture, out var d) ? d : double.MaxValue).ThenBy(v => v, StringComparer.Ordinal).ToList(),
                1 => values.Order(StringComparer.Ordinal).ToList(),
                _ => values,
            };
            Options[name] = values;
            var all = (bool?)variable["includeAll"] == true;
            Selections[name] = all
                ? new Selection(values, true, (string?)variable["allValue"])
                : new Selection(values.Take(1).ToList(), false, null);
        }
    }

    public void Select(string name, params string[] values) => Selections[name] = new Selection(values, false, null);

    /// <summary>Grafana's interpolation of one InfluxQL text; <paramref name="scoped"/> are a repeated panel's own values.</summary>
    public string Interpolate(string query, IReadOnlyDictionary<string, string>? scoped = null)
    {
        var text = query
            .Replace("$timeFilter", $"time >= {From.ToUnixTimeMilliseconds()}ms and time <= {To.ToUnixTimeMilliseconds()}ms", StringComparison.Ordinal)
            .Replace("$__interval_ms", ((long)ParseInterval(Interval).TotalMilliseconds).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("$__interval", Interval, StringComparison.Ordinal);
        text = Reference().Replace(text, m =>
        {
            var name = m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Success ? m.Groups[2].Value : m.Groups[3].Value;
            if (scoped is not null && scoped.TryGetValue(name, out var single))
                return EscapeRegex(single);
            if (!Selections.TryGetValue(name, out var selection))
                return m.Value;
            if (selection.All && selection.AllValue is not null)
                return selection.AllValue;
            var escaped = selection.Values.Select(EscapeRegex).ToList();
            return escaped.Count == 1 ? escaped[0] : $"({string.Join('|', escaped)})";
        });
        var left = Reference().Match(text);
        Assert.False(left.Success, $"'{left.Value}' is left in the query after interpolation: {text}");
        return text;
    }

    /// <summary>Interpolates and runs a panel target; logs the query and what came back.</summary>
    public async Task<QueryResult> RunTargetAsync(JsonObject panel, JsonObject target, IReadOnlyDictionary<string, string>? scoped = null)
    {
        var query = Interpolate((string)target["query"]!, scoped);
        var result = await RunAsync(query);
        _log?.WriteLine($"-- {DashboardFiles.Describe(panel)} target {target["refId"]}{(scoped is null ? "" : " " + string.Join(", ", scoped.Select(s => $"{s.Key}={s.Value}")))}\n{query}\n{result}\n");
        return result;
    }

    /// <summary>
    /// Runs a repeated cell panel as Grafana shows it: the row once per value of <c>$row</c> (the values of the axis
    /// chosen as Grid rows) and, inside it, the panel once per value of <c>$col</c>, each instance with its own pair.
    /// </summary>
    public async Task<IReadOnlyList<(string Row, string Column, QueryResult Result)>> RunPerCellAsync(JsonObject panel, JsonObject target)
    {
        var cells = new List<(string, string, QueryResult)>();
        foreach (var row in Options["row"])
        {
            foreach (var column in Options["col"])
            {
                var scoped = new Dictionary<string, string> { ["row"] = row, ["col"] = column };
                cells.Add((row, column, await RunTargetAsync(panel, target, scoped)));
            }
        }
        return cells;
    }

    /// <summary>Chooses the two axes of the cell grid, as a user does in the Grid rows and Grid columns pickers, and refreshes what depends on them.</summary>
    public async Task ChooseGridAsync(JsonObject dashboard, string rowAxis, string columnAxis)
    {
        Selections["row_axis"] = new Selection([rowAxis], false, null);
        Selections["col_axis"] = new Selection([columnAxis], false, null);
        foreach (var name in new[] { "row", "col" })
        {
            var variable = DashboardFiles.Variables(dashboard).Single(v => (string?)v["name"] == name);
            var values = (await RunAsync(Interpolate((string)variable["query"]!))).Rows.Select(r => r.Text("value")!).Distinct()
                .OrderBy(v => double.TryParse(v, CultureInfo.InvariantCulture, out var d) ? d : double.MaxValue).ThenBy(v => v, StringComparer.Ordinal).ToList();
            Options[name] = values;
            Selections[name] = new Selection(values, true, (string?)variable["allValue"]);
        }
    }

    public async Task<QueryResult> RunAsync(string query)
    {
        var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["q"] = query, ["db"] = _database, ["epoch"] = "ms" });
        using var request = HttpMethodName == "POST"
            ? new HttpRequestMessage(HttpMethod.Post, $"{_url}/query") { Content = form }
            : new HttpRequestMessage(HttpMethod.Get, $"{_url}/query?{await form.ReadAsStringAsync()}");
        using var response = await _http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"InfluxDB answered {(int)response.StatusCode} to {query}: {body}");
        var result = JsonDocument.Parse(body).RootElement.GetProperty("results")[0];
        Assert.False(result.TryGetProperty("error", out var error), $"InfluxDB refused {query}: {error}");
        var series = new List<Series>();
        if (result.TryGetProperty("series", out var list))
        {
            foreach (var one in list.EnumerateArray())
            {
                var tags = one.TryGetProperty("tags", out var t)
                    ? t.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "")
                    : new Dictionary<string, string>();
                var columns = one.GetProperty("columns").EnumerateArray().Select(c => c.GetString()!).ToList();
                var values = one.GetProperty("values").EnumerateArray()
                    .Select(v => (IReadOnlyList<JsonElement>)v.EnumerateArray().Select(e => e.Clone()).ToList()).ToList();
                series.Add(new Series(one.GetProperty("name").GetString()!, tags, columns, values));
            }
        }
        return new QueryResult(query, series);
    }

    public void Dispose() => _http.Dispose();

    /// <summary>Grafana's InfluxDB escaping of a value used inside a regex.</summary>
    public static string EscapeRegex(string value) => RegexSpecial().Replace(value, @"\$0");

    private static TimeSpan ParseInterval(string interval) => interval[^1] switch
    {
        's' => TimeSpan.FromSeconds(double.Parse(interval[..^1], CultureInfo.InvariantCulture)),
        'm' => TimeSpan.FromMinutes(double.Parse(interval[..^1], CultureInfo.InvariantCulture)),
        _ => throw new ArgumentException(interval),
    };

    [GeneratedRegex(@"\$(?!__)([A-Za-z_][A-Za-z0-9_]*)|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\[\[([A-Za-z_][A-Za-z0-9_]*)\]\]")]
    private static partial Regex Reference();

    [GeneratedRegex(@"[\\^$*+?.()|{}\[\]/]")]
    private static partial Regex RegexSpecial();
}
