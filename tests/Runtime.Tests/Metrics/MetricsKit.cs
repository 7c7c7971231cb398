using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;
using GridSweep.Runtime.Metrics;
using GridSweep.TestKit;

namespace GridSweep.Runtime.Tests.Metrics;

/// <summary>Trials, epochs, settings and folders for the metrics tests.</summary>
internal static class MetricsKit
{
    public static TrialSpec Trial(string id, string sweep = "imdb-overfitting", string model = "baseline", string regularizer = "none", long seed = 1) =>
        new(id, sweep, model, regularizer, "adam", seed,
            new ModelSpec([16, 16]), RegularizerSpec.None, new OptimizerSpec("adam", 0.001),
            20, 512, InputLayer.Sparse, new DatasetSpec("imdb", 10000));

    /// <summary>Distinct numbers per (epoch, salt); validation loss lowest at epoch 4, as an overfitting curve.</summary>
    public static EpochMetrics Epoch(int epoch, double salt = 0) => new(
        epoch,
        TrainLoss: 0.7 / epoch + salt,
        TrainPenalty: 0.001 * epoch + salt,
        ValLoss: 0.3 + 0.01 * (epoch - 4) * (epoch - 4) + salt,
        TrainAccuracy: 0.5 + epoch / 100.0,
        ValAccuracy: 0.6 + epoch / 200.0 - salt,
        Seconds: 1.25 + epoch);

    public static InfluxSettings V1(string url, string database, string spool, long spoolMaxBytes = 64 << 20, string? user = null, string? password = null, string? retentionPolicy = null) =>
        new(url, InfluxSettings.V1, database, null, null, null, retentionPolicy, user, password, spool, spoolMaxBytes);

    public static InfluxSettings V1(InfluxServer server, string database, string spool, long spoolMaxBytes = 64 << 20) =>
        server.AuthEnabled
            ? V1(server.Url, database, spool, spoolMaxBytes, InfluxServer.AdminUser, InfluxServer.AdminPassword)
            : V1(server.Url, database, spool, spoolMaxBytes);

    public static InfluxSettings V2(string url, string spool, string token = "s3cret-token", string org = "acme", string bucket = "gridsweep") =>
        new(url, InfluxSettings.V2, bucket, org, token, null, null, null, null, spool, 64 << 20);

    /// <summary>Short batches and retries, so the tests see outages and recoveries within seconds.</summary>
    public static MetricsWriterOptions Fast(ConcurrentQueue<string>? warnings = null) => new()
    {
        MaxBatchPoints = 50,
        FlushInterval = TimeSpan.FromMilliseconds(50),
        RetryMin = TimeSpan.FromMilliseconds(50),
        RetryMax = TimeSpan.FromMilliseconds(400),
        RequestTimeout = TimeSpan.FromSeconds(5),
        WarningInterval = TimeSpan.FromSeconds(1),
        DisposeTimeout = TimeSpan.FromSeconds(5),
        Warning = warnings is null ? null : warnings.Enqueue,
    };

    public static string NewDatabase() => $"t_{Guid.NewGuid():N}"[..14];

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static async Task<bool> EventuallyAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                return false;
            await Task.Delay(20);
        }
        return true;
    }
}

/// <summary>A fresh temporary folder, deleted on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"gridsweep-metrics-{Guid.NewGuid():N}");

    public long SpoolBytes() => Directory.EnumerateFiles(Path, "*" + MetricsSpool.Extension).Sum(f => new FileInfo(f).Length);

    public string[] SpoolFiles() => Directory.GetFiles(Path, "*" + MetricsSpool.Extension).Order(StringComparer.Ordinal).ToArray();

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Left in /tmp: harmless.
        }
    }
}
