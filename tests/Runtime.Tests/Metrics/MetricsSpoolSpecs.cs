using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using GridSweep.Runtime.Configuration;
using GridSweep.Runtime.Metrics;

namespace GridSweep.Runtime.Tests.Metrics;

public class MetricsSpoolSpecs
{
    private static byte[] Batch(string text) => Encoding.UTF8.GetBytes(text);

    [Fact]
    public void Batches_come_back_oldest_first_in_a_later_process()
    {
        using var folder = new TempDirectory("gridsweep-metrics");
        using (var spool = new MetricsSpool(folder.Path, 1 << 20))
        {
            spool.Append(Batch("m a=1i 1\n"), 1);
            spool.Append(Batch("m a=2i 2\nm a=3i 3\n"), 2);
        }

        using var again = new MetricsSpool(folder.Path, 1 << 20);
        again.Append(Batch("m a=4i 4\n"), 1);

        Assert.Equal((3, 4L), (again.Count, again.Points));
        var replayed = new List<string>();
        while (again.TryPeek(out var entry))
        {
            replayed.Add(Encoding.UTF8.GetString(again.Read(entry)!));
            again.Remove(entry);
        }
        Assert.Equal(["m a=1i 1\n", "m a=2i 2\nm a=3i 3\n", "m a=4i 4\n"], replayed);
        Assert.Empty(folder.SpoolFiles());
    }

    [Fact]
    public void A_batch_torn_by_a_crash_is_never_replayed()
    {
        using var folder = new TempDirectory("gridsweep-metrics");
        // What a crash between write and rename leaves, and a stray file.
        File.WriteAllText(Path.Combine(folder.Path, "0000000000000001-5.lp.tmp"), "m a=1i 1\nm a=");
        File.WriteAllText(Path.Combine(folder.Path, "notes.lp"), "not a batch");
        File.WriteAllText(Path.Combine(folder.Path, "0000000000000002-1.lp"), "m a=2i 2\n");

        using var spool = new MetricsSpool(folder.Path, 1 << 20);

        Assert.Equal((1, 1L), (spool.Count, spool.Points));
        Assert.True(spool.TryPeek(out var entry));
        Assert.Equal("m a=2i 2\n", Encoding.UTF8.GetString(spool.Read(entry)!));
        Assert.Empty(Directory.GetFiles(folder.Path, "*.tmp"));
    }

    [Fact]
    public void A_full_spool_drops_its_oldest_batches_and_stays_within_its_bound()
    {
        using var folder = new TempDirectory("gridsweep-metrics");
        using var spool = new MetricsSpool(folder.Path, 100);
        var batch = Batch(new string('x', 29) + "\n"); // 30 bytes

        var dropped = Enumerable.Range(0, 5).Select(_ => spool.Append(batch, 3)).ToList();

        Assert.Equal([0, 0, 0, 3, 3], dropped);
        Assert.Equal((3, 90L, 9L), (spool.Count, spool.Bytes, spool.Points));
        Assert.True(folder.SpoolBytes() <= 100);
        Assert.Equal(["0000000000000003-3.lp", "0000000000000004-3.lp", "0000000000000005-3.lp"], folder.SpoolFiles().Select(Path.GetFileName));
        Assert.Equal(7, spool.Append(Batch(new string('y', 200)), 7)); // larger than the whole bound: itself dropped
        Assert.Equal(3, spool.Count);
    }

    [Fact]
    public void A_second_process_cannot_use_the_same_spool()
    {
        using var folder = new TempDirectory("gridsweep-metrics");
        using var first = new MetricsSpool(folder.Path, 1 << 20);

        var error = Assert.Throws<InputException>(() => new MetricsSpool(folder.Path, 1 << 20));

        Assert.Contains($"the metrics spool {folder.Path} is in use by another process", error.Message);
        Assert.Contains("--influx-spool (setting GridSweep:Influx:Spool, environment GridSweep__Influx__Spool)", error.Message);
    }

    [Fact]
    public async Task A_writer_whose_spool_fills_up_says_so_loudly_and_keeps_the_newest_points()
    {
        using var folder = new TempDirectory("gridsweep-metrics");
        var warnings = new ConcurrentQueue<string>();
        // Nothing listens on this port: every write is refused at once.
        var settings = MetricsKit.V1($"http://127.0.0.1:{Loopback.FreePort()}", "gridsweep", folder.Path, spoolMaxBytes: 20_000);
        var trial = MetricsKit.Trial("a1b2c3d4e5f6");
        var writer = new MetricsWriter(settings, MetricsKit.Fast(warnings) with { MaxBatchPoints = 10 });
        await using (writer)
        {
            for (var epoch = 1; epoch <= 400; epoch++)
                writer.EpochCompleted(trial, MetricsKit.Epoch(epoch), "node-1", 1000);
            Assert.True(await MetricsKit.EventuallyAsync(() => writer.PendingPoints == writer.SpooledPoints, TimeSpan.FromSeconds(20)));
        }

        Assert.True(writer.DroppedPoints > 0);
        Assert.Equal(400, writer.DroppedPoints + writer.SpooledPoints);
        Assert.True(folder.SpoolBytes() <= 20_000, $"{folder.SpoolBytes()} bytes spooled");
        Assert.Contains(warnings, w => w.StartsWith("METRICS SPOOL FULL", StringComparison.Ordinal) && w.Contains("dropped the oldest"));
        var newest = File.ReadAllText(folder.SpoolFiles()[^1]);
        Assert.Contains("epoch=400i", newest);
        Assert.DoesNotContain(folder.SpoolFiles(), f => File.ReadAllText(f).Contains("epoch=1i,"));
    }

    [Fact]
    public async Task The_caller_never_waits_for_a_server_that_hangs()
    {
        using var folder = new TempDirectory("gridsweep-metrics");
        // Accepts connections and never answers: each write waits for its request timeout.
        using var hanging = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        hanging.Start();
        var port = ((System.Net.IPEndPoint)hanging.LocalEndpoint).Port;
        var settings = MetricsKit.V1($"http://127.0.0.1:{port}", "gridsweep", folder.Path);
        var trial = MetricsKit.Trial("hang00000001");
        var writer = new MetricsWriter(settings, MetricsKit.Fast() with { RequestTimeout = TimeSpan.FromSeconds(1), DisposeTimeout = TimeSpan.FromSeconds(2) });
        var slowest = TimeSpan.Zero;
        await using (writer)
        {
            for (var epoch = 1; epoch <= 300; epoch++)
            {
                var call = Stopwatch.StartNew();
                writer.EpochCompleted(trial, MetricsKit.Epoch(epoch), "node-1", 1000);
                slowest = call.Elapsed > slowest ? call.Elapsed : slowest;
                if (epoch % 30 == 0)
                    await Task.Delay(100); // let batches go out and hang
            }
        }

        Assert.True(slowest < TimeSpan.FromMilliseconds(250), $"slowest call took {slowest.TotalMilliseconds:F1} ms");
        Assert.Equal(300, writer.SpooledPoints);
        Assert.Contains($"InfluxDB at http://127.0.0.1:{port}", writer.LastError);
    }
}
