using GridSweep.Runtime.CommandLine;
using GridSweep.TestKit;

namespace GridSweep.Coordinator.Tests.CommandLine;

/// <summary>
/// Passwords given in the InfluxDB URL and in the ledger's PostgreSQL URL, against real servers, appear in no channel a
/// run writes to: standard output and error, the run folder (ledger, exports, report), the metrics spool, the answer of
/// <c>gridsweep status</c>; neither when
/// the servers take them, nor when they refuse them or cannot be reached.
/// </summary>
public sealed class SecretsSpecs(AuthInfluxServerFixture influx, PostgresServerFixture postgres)
    : IClassFixture<AuthInfluxServerFixture>, IClassFixture<PostgresServerFixture>, IDisposable
{
    private readonly TempDirectory directory = new("gridsweep-secrets");

    public void Dispose() => directory.Dispose();

    private string InfluxUrl(string password, int? port = null) =>
        $"http://{InfluxServer.AdminUser}:{password}@127.0.0.1:{port ?? influx.Server.Port}";

    private string Sweep(string name)
    {
        File.Copy(TestData.BostonHousing, directory.Combine("houses.csv"), overwrite: true);
        var path = directory.Combine(name + ".yaml");
        File.WriteAllText(path, $$$"""
            name: {{{name}}}
            dataset: {name: csv, path: houses.csv, target: MEDV, task: regression}
            training: {epochs: 2, batch_size: 32, optimizer: {name: adam, learning_rate: 0.001}, seeds: [1]}
            grid:
              model: {tiny: {hidden: [8]}}
              regularizer: {none: {}, l2: {l2: 0.001}}
            """);
        return path;
    }

    private ProcessResult Run(string name, string influxUrl, string ledgerUrl) =>
        GridSweepCli.RunProgram(GridSweepCli.Full, directory.Path, new Dictionary<string, string> { ["XDG_STATE_HOME"] = directory.Combine("state") },
            "run", Sweep(name), "--out", directory.Combine("runs"), "--plain", "--cache", directory.Combine("cache"),
            "--influx-url", influxUrl, "--influx-api", "v1", "--influx-bucket", "secrets", "--ledger", ledgerUrl);

    /// <summary>Every file under the test's folder (run folders, spool, cache) and the program's output, searched for each secret.</summary>
    private void AssertNowhere(ProcessResult result, params string[] secrets)
    {
        var files = Directory.EnumerateFiles(directory.Path, "*", SearchOption.AllDirectories)
            .Where(file => !file.EndsWith(".csv", StringComparison.Ordinal) || file.Contains("runs", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(files);
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(secret, result.Output);
            Assert.DoesNotContain(secret, result.Error);
            foreach (var file in files)
                Assert.False(File.ReadAllText(file).Contains(secret, StringComparison.Ordinal), $"{file} holds a password");
        }
    }

    private string NewLedger()
    {
        var name = "secrets_" + Guid.NewGuid().ToString("N")[..12];
        postgres.Server.CreateDatabase(name);
        return postgres.Server.UrlOf(name);
    }

    [Fact]
    public async Task A_sweep_with_passwords_in_both_urls_uses_them_and_shows_them_nowhere()
    {
        await influx.Server.CreateDatabaseAsync("secrets");
        var ledger = NewLedger();

        var result = Run("kept-secret", InfluxUrl(InfluxServer.AdminPassword), ledger);

        Assert.True(result.ExitCode == 0, result.Report);
        Assert.Contains($"Url = http://127.0.0.1:{influx.Server.Port}", result.Output); // Printed without its credentials.
        Assert.NotEmpty(await influx.Server.SelectAsync("secrets", "SELECT * FROM gridsweep_trial")); // The URL's credentials were used.
        AssertNowhere(result, InfluxServer.AdminPassword, postgres.Server.Password);
    }

    [Fact]
    public async Task A_standing_coordinator_and_its_status_answer_show_neither_password()
    {
        await influx.Server.CreateDatabaseAsync("secrets");
        var port = Loopback.FreePort();
        using var coordinator = GridSweepCli.Start("coordinator", GridSweepCli.Full,
            new Dictionary<string, string> { ["XDG_STATE_HOME"] = directory.Combine("state") },
            ["coordinator", Sweep("standing"), "--host", "127.0.0.1", "--port", $"{port}", "--out", directory.Combine("runs"), "--plain",
             "--slots", "1", "--stay", "--cache", directory.Combine("cache"), "--influx-url", InfluxUrl(InfluxServer.AdminPassword), "--influx-api", "v1",
             "--influx-bucket", "secrets", "--ledger", NewLedger()]);
        coordinator.WaitFor("still answering", TimeSpan.FromMinutes(5));

        var status = GridSweepCli.Run("status", "--host", "127.0.0.1", "--port", $"{port}");

        coordinator.Terminate();
        Assert.True(coordinator.WaitForExit(TimeSpan.FromMinutes(2)) == 0, coordinator.Output);
        Assert.True(status.ExitCode == 0, status.Report);
        Assert.Contains("2 trials", status.Output);
        AssertNowhere(new ProcessResult(0, coordinator.Output, ""), InfluxServer.AdminPassword, postgres.Server.Password);
        AssertNowhere(status, InfluxServer.AdminPassword, postgres.Server.Password);
    }

    [Fact]
    public async Task Wrong_passwords_are_refused_without_echoing_them()
    {
        await influx.Server.CreateDatabaseAsync("secrets");
        const string WrongInflux = "wrong-influx-5ecret";

        var influxRefused = Run("wrong-influx", InfluxUrl(WrongInflux), NewLedger());
        var ledgerRefused = Run("wrong-ledger", InfluxUrl(InfluxServer.AdminPassword),
            NewLedger().Replace(postgres.Server.Password, "wrong-ledger-5ecret", StringComparison.Ordinal));

        Assert.True(influxRefused.ExitCode == ExitCodes.BadInput, influxRefused.Report);
        Assert.Contains("401", influxRefused.Error);
        Assert.True(ledgerRefused.ExitCode == ExitCodes.BadInput, ledgerRefused.Report);
        Assert.Contains("password authentication failed", ledgerRefused.Error);
        AssertNowhere(influxRefused, WrongInflux, InfluxServer.AdminPassword, postgres.Server.Password);
        AssertNowhere(ledgerRefused, "wrong-ledger-5ecret", InfluxServer.AdminPassword, postgres.Server.Password);
    }

    [Fact]
    public void Unreachable_servers_are_reported_without_the_passwords()
    {
        const string InfluxSecret = "unreachable-influx-5ecret";
        const string LedgerSecret = "unreachable-ledger-5ecret";
        var nobody = Loopback.FreePort();

        var spooled = Run("spooled", InfluxUrl(InfluxSecret, nobody), NewLedger());
        var noLedger = Run("no-ledger", InfluxUrl(InfluxSecret, nobody), $"postgres://gridsweep:{LedgerSecret}@127.0.0.1:{nobody}/nothing");

        Assert.True(spooled.ExitCode == 0, spooled.Report);
        Assert.Contains("unreachable", spooled.Error);
        Assert.NotEmpty(Directory.EnumerateFiles(directory.Combine("state", "gridsweep", "influx-spool"), "*.lp"));
        Assert.True(noLedger.ExitCode == ExitCodes.BadInput, noLedger.Report);
        Assert.Contains($"127.0.0.1:{nobody}", noLedger.Error);
        AssertNowhere(spooled, InfluxSecret, postgres.Server.Password);
        AssertNowhere(noLedger, InfluxSecret, LedgerSecret);
    }
}
