using System.Collections.Concurrent;
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

    /// <summary>A Boston-housing-like regression trial on axes a default grid leaves alone: tanh, SGD at 0.01, batch 32, 200 epochs.</summary>
    public static TrialSpec RegressionTrial(string id, string sweep = "boston-housing", string model = "baseline", string regularizer = "none", long seed = 1) =>
        new(id, sweep, model, regularizer, "sgd-lr0.01", seed,
            new ModelSpec([64, 64], Activations.Tanh), RegularizerSpec.None, new OptimizerSpec("sgd", 0.01),
            200, 32, InputLayer.Dense, new DatasetSpec("csv", 0, Path: "/data/boston.csv", Target: "MEDV", DeclaredTask: LearningTask.Regression));

    /// <summary>A regression epoch: NaN accuracies, as the trainer reports them, distinct MAE per (epoch, salt).</summary>
    public static EpochMetrics RegressionEpoch(int epoch, double salt = 0) => new(
        epoch,
        TrainLoss: 60.0 / epoch + salt,
        TrainPenalty: 0,
        ValLoss: 20 + (epoch - 5) * (epoch - 5) + salt,
        TrainAccuracy: double.NaN,
        ValAccuracy: double.NaN,
        Seconds: 0.25 * epoch,
        TrainMae: 6.0 / epoch + salt,
        ValMae: 3 + 0.1 * (epoch - 5) * (epoch - 5) + salt);

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

    /// <summary>A database name no other test uses.</summary>
    public static string NewDatabase() => $"t_{Guid.NewGuid():N}"[..14];

    /// <summary>A new database on the server, with a retention policy of that duration when given; returns its name.</summary>
    public static async Task<string> NewDatabaseAsync(InfluxServer server, string? retentionDuration = null)
    {
        var database = NewDatabase();
        await server.CreateDatabaseAsync(database, retentionDuration);
        return database;
    }

    /// <summary>The spool files in a folder, oldest first.</summary>
    public static string[] SpoolFiles(this TempDirectory folder) =>
        Directory.GetFiles(folder.Path, "*" + MetricsSpool.Extension).Order(StringComparer.Ordinal).ToArray();

    public static long SpoolBytes(this TempDirectory folder) => folder.SpoolFiles().Sum(f => new FileInfo(f).Length);

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
