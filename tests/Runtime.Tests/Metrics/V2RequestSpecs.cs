using System.Collections.Concurrent;
using System.Net;
using System.Text;
using GridSweep.Runtime.Metrics;

namespace GridSweep.Runtime.Tests.Metrics;

/// <summary>
/// The v2 API (InfluxDB 2.x, or 1.8+) cannot be run here, since Debian ships InfluxDB 1.6: these tests check
/// the requests the official client makes against a loopback listener that records them.
/// </summary>
public class V2RequestSpecs
{
    [Fact]
    public async Task Writes_go_to_api_v2_write_with_org_bucket_precision_and_token()
    {
        using var server = new LoopbackHttpServer(_ => (204, ""));
        using var spool = new TempDirectory("gridsweep-metrics");
        var trial = MetricsKit.Trial("v2shape00001");
        await using (var writer = new MetricsWriter(MetricsKit.V2(server.Url, spool.Path), MetricsKit.Fast()))
        {
            writer.EpochCompleted(trial, MetricsKit.Epoch(1), "trainer-0", 100);
            writer.EpochCompleted(trial, MetricsKit.Epoch(2), "trainer-0", 100);
            Assert.True(await writer.FlushAsync(TimeSpan.FromSeconds(20)), writer.LastError);
        }

        var request = Assert.Single(server.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/api/v2/write", request.Path);
        Assert.Equal("acme", request.Query["org"]);
        Assert.Equal("gridsweep", request.Query["bucket"]);
        Assert.Equal("ns", request.Query["precision"]);
        Assert.Equal("Token s3cret-token", request.Headers["Authorization"]);
        Assert.StartsWith("text/plain", request.Headers["Content-Type"]);
        var lines = request.Body.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("gridsweep_epoch,activation=relu,batch_size=512,epochs=20,learning_rate=0.001,model=baseline,optimizer=adam,regularizer=none,seed=1,sweep=imdb-overfitting,task=binary trial_id=\"v2shape00001\",epoch=1i,", lines[0]);
        Assert.EndsWith($" {Schema.EpochTime(2)}", lines[1]);
    }

    [Fact]
    public async Task A_refused_token_stops_the_writes_and_says_which_option_to_fix()
    {
        using var server = new LoopbackHttpServer(_ => (401, """{"code":"unauthorized","message":"unauthorized access"}"""));
        using var spool = new TempDirectory("gridsweep-metrics");
        var warnings = new ConcurrentQueue<string>();
        await using var writer = new MetricsWriter(MetricsKit.V2(server.Url, spool.Path, token: "wrong-SECRET"), MetricsKit.Fast(warnings));

        writer.EpochCompleted(MetricsKit.Trial("v2auth000001"), MetricsKit.Epoch(1), "n", 1);
        Assert.False(await writer.FlushAsync(TimeSpan.FromSeconds(10)));
        writer.EpochCompleted(MetricsKit.Trial("v2auth000001"), MetricsKit.Epoch(2), "n", 1);
        Assert.True(await MetricsKit.EventuallyAsync(() => writer.SpooledPoints == 2, TimeSpan.FromSeconds(10)));

        Assert.True(writer.IsRejected);
        Assert.StartsWith(
            $"InfluxDB at {server.Url} rejected the write: 401 unauthorized (unauthorized access) — check --influx-token-file (or {InfluxSettings.TokenVariable}). " +
            $"1 points stay spooled in {spool.Path}",
            writer.LastError);
        Assert.Single(server.Requests); // not retried
        Assert.DoesNotContain(warnings, w => w.Contains("SECRET"));
    }

    [Fact]
    public async Task A_bucket_that_does_not_exist_is_named_with_its_org()
    {
        using var server = new LoopbackHttpServer(_ => (404, """{"code":"not found","message":"bucket \"gridsweep\" not found"}"""));
        using var spool = new TempDirectory("gridsweep-metrics");
        await using var writer = new MetricsWriter(MetricsKit.V2(server.Url, spool.Path), MetricsKit.Fast());

        writer.EpochCompleted(MetricsKit.Trial("v2bucket0001"), MetricsKit.Epoch(1), "n", 1);

        Assert.False(await writer.FlushAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("404 not found (bucket \"gridsweep\" not found) — bucket 'gridsweep' of org 'acme' not found: check --influx-bucket and --influx-org", writer.LastError);
    }

    [Fact]
    public async Task Server_errors_are_retried_until_the_batch_is_taken_once_and_in_order()
    {
        var answers = 0;
        using var server = new LoopbackHttpServer(_ => Interlocked.Increment(ref answers) <= 3 ? (503, """{"message":"busy"}""") : (204, ""));
        using var spool = new TempDirectory("gridsweep-metrics");
        var trial = MetricsKit.Trial("v2retry00001");
        await using (var writer = new MetricsWriter(MetricsKit.V2(server.Url, spool.Path), MetricsKit.Fast()))
        {
            for (var epoch = 1; epoch <= 120; epoch++)
                writer.EpochCompleted(trial, MetricsKit.Epoch(epoch), "n", 1);
            Assert.True(await writer.FlushAsync(TimeSpan.FromSeconds(20)), writer.LastError);
            Assert.Equal(120, writer.WrittenPoints);
        }

        var taken = server.Requests.Where(r => r.Status == 204)
            .SelectMany(r => r.Body.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            .Select(line => int.Parse(line.Split("epoch=")[1].Split('i')[0]))
            .ToList();
        Assert.Equal(Enumerable.Range(1, 120), taken);
        Assert.Equal(3, server.Requests.Count(r => r.Status == 503));
    }

    [Fact]
    public async Task Check_names_url_and_bucket_when_the_bucket_is_missing_or_expires()
    {
        string buckets = """{"buckets":[]}""";
        using var server = new LoopbackHttpServer(request => request.Path switch
        {
            "/ping" => (204, ""),
            "/api/v2/buckets" => (200, buckets),
            _ => (404, ""),
        });
        using var spool = new TempDirectory("gridsweep-metrics");
        await using var writer = new MetricsWriter(MetricsKit.V2(server.Url, spool.Path), MetricsKit.Fast());

        var missing = await Assert.ThrowsAsync<InfluxSetupException>(() => writer.CheckAsync());
        Assert.Equal($"InfluxDB at {server.Url} (bucket 'gridsweep' of org 'acme'): bucket 'gridsweep' not found: create it or check --influx-bucket and --influx-org", missing.Message);
        Assert.Equal("gridsweep", server.Requests.Last(r => r.Path == "/api/v2/buckets").Query["name"]);

        buckets = """{"buckets":[{"id":"b1","name":"gridsweep","orgID":"o1","retentionRules":[{"type":"expire","everySeconds":604800}]}]}""";
        var expiring = await Assert.ThrowsAsync<InfluxSetupException>(() => writer.CheckAsync());
        Assert.Contains($"InfluxDB at {server.Url} (bucket 'gridsweep' of org 'acme'): bucket 'gridsweep' keeps data for 7.00:00:00", expiring.Message);

        buckets = """{"buckets":[{"id":"b1","name":"gridsweep","orgID":"o1","retentionRules":[]}]}""";
        await writer.CheckAsync();
    }
}
