using System.Collections.Concurrent;
using GridSweep.Runtime.Metrics;
using GridSweep.TestKit;

namespace GridSweep.Runtime.Tests.Metrics;

/// <summary>An InfluxDB 1.6 with authentication on: refused credentials are reported, not retried, and nothing is lost.</summary>
public class CredentialSpecs(AuthInfluxServerFixture fixture) : IClassFixture<AuthInfluxServerFixture>
{
    private readonly InfluxServer _server = fixture.Server;

    [Fact]
    public async Task A_wrong_password_is_reported_once_and_the_points_wait_for_the_right_one()
    {
        var database = await MetricsKit.NewDatabaseAsync(_server);
        using var spool = new TempDirectory("gridsweep-metrics");
        var warnings = new ConcurrentQueue<string>();
        var trial = MetricsKit.Trial("auth00000001");
        var wrong = MetricsKit.V1(_server.Url, database, spool.Path, user: InfluxServer.AdminUser, password: "not-the-password");
        var writer = new MetricsWriter(wrong, MetricsKit.Fast(warnings));
        await using (writer)
        {
            for (var epoch = 1; epoch <= 5; epoch++)
                writer.EpochCompleted(trial, MetricsKit.Epoch(epoch), "n", 1);
            Assert.False(await writer.FlushAsync(TimeSpan.FromSeconds(10)));
            for (var epoch = 6; epoch <= 8; epoch++)
                writer.EpochCompleted(trial, MetricsKit.Epoch(epoch), "n", 1);
            Assert.True(await MetricsKit.EventuallyAsync(() => writer.SpooledPoints == 8, TimeSpan.FromSeconds(10)));
        }

        Assert.True(writer.IsRejected);
        Assert.StartsWith(
            $"InfluxDB at {_server.Url} rejected the write: 401 unauthorized (authorization failed) — " +
            $"check --influx-user 'admin' and its password (--influx-password-file or {InfluxSettings.PasswordVariable})",
            writer.LastError);
        Assert.Single(warnings, w => w.Contains("401"));
        Assert.DoesNotContain(warnings, w => w.Contains("not-the-password"));

        await using (var writerCheck = new MetricsWriter(wrong with { SpoolDirectory = Path.Combine(spool.Path, "check") }, MetricsKit.Fast()))
        {
            var error = await Assert.ThrowsAsync<InfluxSetupException>(() => writerCheck.CheckAsync());
            Assert.StartsWith($"InfluxDB at {_server.Url} (database '{database}'): InfluxDB at {_server.Url} rejected the write: 401 unauthorized", error.Message);
        }

        await using (var right = new MetricsWriter(MetricsKit.V1(_server, database, spool.Path), MetricsKit.Fast()))
        {
            await right.CheckAsync();
            Assert.True(await right.FlushAsync(TimeSpan.FromSeconds(20)), right.LastError);
        }
        var rows = await _server.SelectAsync(database, "SELECT epoch FROM gridsweep_epoch");
        Assert.Equal(Enumerable.Range(1, 8).Select(e => (long)e), rows.Select(r => r.Long("epoch")));
    }

    [Fact]
    public async Task No_credentials_for_a_server_that_wants_them_says_which_options_to_give()
    {
        var database = await MetricsKit.NewDatabaseAsync(_server);
        using var spool = new TempDirectory("gridsweep-metrics");
        await using var writer = new MetricsWriter(MetricsKit.V1(_server.Url, database, spool.Path), MetricsKit.Fast());

        writer.EpochCompleted(MetricsKit.Trial("auth00000002"), MetricsKit.Epoch(1), "n", 1);

        Assert.False(await writer.FlushAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("401 unauthorized", writer.LastError);
        Assert.Contains("the server wants credentials: give --influx-user and --influx-password-file", writer.LastError);
    }
}
