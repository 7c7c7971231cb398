using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace GridSweep.TestKit;

/// <summary>One real <c>influxd</c> (Debian's InfluxDB 1.6) per test class, on free loopback ports.</summary>
public class InfluxServerFixture : IDisposable
{
    public InfluxServerFixture() : this(authEnabled: false)
    {
    }

    protected InfluxServerFixture(bool authEnabled)
    {
        Server = new InfluxServer(authEnabled);
        Server.Start();
    }

    public InfluxServer Server { get; }

    public void Dispose()
    {
        Server.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>An <c>influxd</c> with authentication on and one admin, <see cref="InfluxServer.AdminUser"/>.</summary>
public sealed class AuthInfluxServerFixture() : InfluxServerFixture(authEnabled: true);

/// <summary>
/// Runs <c>influxd</c> itself (never the system service) with a throw-away config and data, meta and WAL
/// folders; <see cref="Stop"/> kills it by process id and <see cref="Start"/> brings it back on the same
/// port and data, as a crashed and restarted server would be. Queries go over HTTP with InfluxQL.
/// </summary>
public sealed class InfluxServer : IDisposable
{
    public const string InfluxdVariable = "GRIDSWEEP_INFLUXD";
    public const string AdminUser = "admin";
    public const string AdminPassword = "admin-secret";

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly string _influxd;
    private readonly string _config;
    private readonly string _log;
    private readonly TempDirectory _root;
    private ChildProcess? _process;
    private bool _adminCreated;

    public InfluxServer(bool authEnabled)
    {
        _influxd = FindInfluxd();
        AuthEnabled = authEnabled;
        _root = new TempDirectory("gridsweep-influxd");
        Port = Loopback.FreePort();
        _config = Path.Combine(Root, "influxd.conf");
        _log = Path.Combine(Root, "influxd.log");
        File.WriteAllText(_config, $"""
            reporting-disabled = true
            bind-address = "127.0.0.1:{Loopback.FreePort()}"

            [meta]
              dir = "{Root}/meta"
              logging-enabled = false

            [data]
              dir = "{Root}/data"
              wal-dir = "{Root}/wal"
              query-log-enabled = false

            [http]
              enabled = true
              bind-address = "127.0.0.1:{Port}"
              auth-enabled = {(authEnabled ? "true" : "false")}
              log-enabled = false

            [monitor]
              store-enabled = false

            [continuous_queries]
              enabled = false

            [subscriber]
              enabled = false
            """);
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
        if (authEnabled)
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
                "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{AdminUser}:{AdminPassword}")));
    }

    public bool AuthEnabled { get; }

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}";

    /// <summary>Config, data and log of this server.</summary>
    public string Root => _root.Path;

    public bool IsRunning => _process is { HasExited: false };

    public int? ProcessId => IsRunning ? _process!.Id : null;

    private const string InstallHint =
        "the InfluxDB tests need a real server: install it with `apt-get install influxdb` (Debian/Ubuntu; ./scripts/test.sh does it) " +
        "or set " + InfluxdVariable + " to an influxd binary. The tests run the binary themselves; the system service is not needed.";

    /// <summary><c>$GRIDSWEEP_INFLUXD</c>, else <c>influxd</c> on the PATH; fails saying how to install it.</summary>
    public static string FindInfluxd()
    {
        var configured = Environment.GetEnvironmentVariable(InfluxdVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return File.Exists(configured)
                ? configured
                : throw new InvalidOperationException($"{InfluxdVariable} is '{configured}', which does not exist; {InstallHint}");
        }
        return ChildProcess.FindExecutable("influxd") ?? throw new InvalidOperationException($"influxd (InfluxDB 1.x) is not installed; {InstallHint}");
    }

    /// <summary>Starts influxd (again, after <see cref="Stop"/>) and waits until <c>/ping</c> answers.</summary>
    public void Start()
    {
        if (IsRunning)
            return;
        // exec: the shell becomes influxd, so the process id we hold is the server's.
        _process = ChildProcess.Start("influxd", "/bin/sh", ["-c", "exec \"$0\" run -config \"$1\" >>\"$2\" 2>&1", _influxd, _config, _log]);

        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"influxd exited with {_process.ExitCode} on start; its log ({_log}):\n{LogTail()}");
            try
            {
                using var ping = _http.GetAsync($"{Url}/ping").GetAwaiter().GetResult();
                if (ping.StatusCode == HttpStatusCode.NoContent)
                    break;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            if (deadline.Elapsed > TimeSpan.FromSeconds(30))
                throw new TimeoutException($"influxd did not answer {Url}/ping within 30 s; its log:\n{LogTail()}");
            Thread.Sleep(50);
        }
        if (AuthEnabled && !_adminCreated)
        {
            // With no user yet, 1.x lets anyone create the first admin.
            QueryAsync($"CREATE USER {AdminUser} WITH PASSWORD '{AdminPassword}' WITH ALL PRIVILEGES").GetAwaiter().GetResult();
            _adminCreated = true;
        }
    }

    /// <summary>Kills influxd by its process id, as a crash would; its data stays for <see cref="Start"/>.</summary>
    public void Stop()
    {
        if (_process is null)
            return;
        if (!_process.HasExited)
        {
            _process.KillHard();
            _process.WaitForExit(Timeout.InfiniteTimeSpan);
        }
        _process.Dispose();
        _process = null;
    }

    public async Task CreateDatabaseAsync(string name, string? retentionDuration = null)
    {
        await QueryAsync($"CREATE DATABASE \"{name}\"");
        if (retentionDuration is not null)
            await QueryAsync($"CREATE RETENTION POLICY \"short\" ON \"{name}\" DURATION {retentionDuration} REPLICATION 1 DEFAULT");
    }

    /// <summary>Runs InfluxQL (as the admin when auth is on); throws on an error in the answer.</summary>
    public async Task<JsonElement> QueryAsync(string statement, string? database = null)
    {
        var form = new List<KeyValuePair<string, string>> { new("q", statement), new("epoch", "ns") };
        if (database is not null)
            form.Add(new("db", database));
        using var response = await _http.PostAsync($"{Url}/query", new FormUrlEncodedContent(form));
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"influxd answered {(int)response.StatusCode} to {statement}: {body}");
        var result = JsonDocument.Parse(body).RootElement.GetProperty("results")[0];
        if (result.TryGetProperty("error", out var error))
            throw new InvalidOperationException($"influxd refused {statement}: {error.GetString()}");
        return result;
    }

    /// <summary>Every row of a SELECT, each with its series' tags (use <c>GROUP BY *</c> to get them) and its columns.</summary>
    public async Task<List<InfluxRow>> SelectAsync(string database, string statement)
    {
        var result = await QueryAsync(statement, database);
        var rows = new List<InfluxRow>();
        if (!result.TryGetProperty("series", out var series))
            return rows;
        foreach (var one in series.EnumerateArray())
        {
            var columns = one.GetProperty("columns").EnumerateArray().Select(c => c.GetString()!).ToArray();
            var tags = one.TryGetProperty("tags", out var t)
                ? t.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "")
                : [];
            foreach (var values in one.GetProperty("values").EnumerateArray())
            {
                var row = new Dictionary<string, JsonElement>();
                var i = 0;
                foreach (var value in values.EnumerateArray())
                    row[columns[i++]] = value.Clone();
                rows.Add(new InfluxRow(one.GetProperty("name").GetString()!, tags, row));
            }
        }
        return rows;
    }

    public void Dispose()
    {
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        Stop();
        _http.Dispose();
        _root.Dispose();
    }

    private void OnProcessExit(object? sender, EventArgs e) => Stop();

    private string LogTail()
    {
        try
        {
            var lines = File.ReadAllLines(_log);
            return string.Join('\n', lines.TakeLast(30));
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }
}

/// <summary>One row of a query answer: the series' measurement and tags, and the row's columns.</summary>
public sealed record InfluxRow(string Measurement, IReadOnlyDictionary<string, string> Tags, IReadOnlyDictionary<string, JsonElement> Columns)
{
    public long Time => Columns["time"].GetInt64();

    public bool Has(string column) => Columns.TryGetValue(column, out var value) && value.ValueKind != JsonValueKind.Null;

    public double Double(string column) => Columns[column].GetDouble();

    public long Long(string column) => Columns[column].GetInt64();

    public string? String(string column) => Columns[column].GetString();

    public string Tag(string key) => Tags.TryGetValue(key, out var value) ? value : Columns[key].GetString()!;
}
