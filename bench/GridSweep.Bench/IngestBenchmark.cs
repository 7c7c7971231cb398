using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;
using GridSweep.Runtime.Metrics;
using GridSweep.TestKit;

namespace GridSweep.Bench;

/// <summary>
/// End-to-end ingest through <see cref="MetricsWriter"/> into a real InfluxDB (Debian's influxd 1.6, started
/// here on a free port with throw-away data, v1 API): how many epoch results per second reach the server,
/// timed from the first call until the writer has them all acknowledged and until a query counts them all,
/// and what one <see cref="MetricsWriter.EpochCompleted"/> call costs the training thread.
/// </summary>
internal static class IngestBenchmark
{
    private sealed record Options(int Results, int Trials, int Batch, int Runs, string? Out)
    {
        public static Options Parse(string[] args)
        {
            var options = new Options(200_000, 2_000, 5_000, 3, null);
            for (var i = 0; i + 1 < args.Length; i += 2)
            {
                options = args[i] switch
                {
                    "--results" => options with { Results = int.Parse(args[i + 1], CultureInfo.InvariantCulture) },
                    "--trials" => options with { Trials = int.Parse(args[i + 1], CultureInfo.InvariantCulture) },
                    "--batch" => options with { Batch = int.Parse(args[i + 1], CultureInfo.InvariantCulture) },
                    "--runs" => options with { Runs = int.Parse(args[i + 1], CultureInfo.InvariantCulture) },
                    "--out" => options with { Out = args[i + 1] },
                    _ => throw new ArgumentException($"unknown option {args[i]}"),
                };
            }
            return options;
        }
    }

    private sealed record Run(double CallMeanNs, double CallP50Ns, double CallP99Ns, double CallMaxUs, double BytesPerCall, double FlushedSeconds, double QueryableSeconds);

    public static async Task<int> RunAsync(string[] args)
    {
        var options = Options.Parse(args);
        using var server = new InfluxServer(authEnabled: false); // The test fixture's server: throw-away config and data, killed by pid.
        server.Start();
        var version = await VersionAsync(server);
        Console.Error.WriteLine($"bench: influxd {version} at {server.Url} (pid {server.ProcessId})");

        await PushAsync(server, options with { Results = 20_000 }); // warm-up: JIT, connection, influxd shard creation
        var runs = new List<Run>();
        for (var run = 1; run <= options.Runs; run++)
        {
            runs.Add(await PushAsync(server, options));
            Console.Error.WriteLine($"bench: run {run}: {options.Results / runs[^1].FlushedSeconds:N0} results/s");
        }

        var lines = new List<string>
        {
            $"Ingest through MetricsWriter into InfluxDB {version} (v1 API, same machine), {options.Results:N0} epoch results " +
            $"of {options.Trials:N0} trials per run, batches of {options.Batch:N0}, {Environment.ProcessorCount} cores shared with influxd",
            "",
            "| run | results/s until acknowledged | results/s until queryable | caller ns/call mean | p50 | p99 | max µs | bytes allocated/call |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|",
        };
        for (var i = 0; i < runs.Count; i++)
        {
            var r = runs[i];
            lines.Add($"| {i + 1} | {options.Results / r.FlushedSeconds:N0} | {options.Results / r.QueryableSeconds:N0} | {r.CallMeanNs:N0} | " +
                $"{r.CallP50Ns:N0} | {r.CallP99Ns:N0} | {r.CallMaxUs:N0} | {r.BytesPerCall:N0} |");
        }
        var table = string.Join('\n', lines);
        Console.WriteLine(table);
        if (options.Out is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(options.Out))!);
            await File.WriteAllTextAsync(options.Out, table + "\n");
        }
        return 0;
    }

    private static async Task<Run> PushAsync(InfluxServer server, Options options)
    {
        var database = $"bench_{Guid.NewGuid():N}"[..16];
        await server.QueryAsync($"CREATE DATABASE {database}");
        using var spool = new TempDirectory("gridsweep-bench-spool");
        var epochsPerTrial = Math.Max(1, options.Results / options.Trials);
        var trials = Enumerable.Range(0, options.Trials).Select(Trial).ToArray();
        // Built beforehand: the trainer has its EpochMetrics anyway; what is timed is the writer's cost.
        var metrics = Enumerable.Range(1, epochsPerTrial)
            .Select(e => new EpochMetrics(e, 0.7 / e, 0.001 * e, 0.3 + 0.01 * (e - 4) * (e - 4), 0.5 + e / 1000.0, 0.6 + e / 2000.0, 1.25))
            .ToArray();
        var settings = new InfluxSettings(server.Url, InfluxSettings.V1, database, null, null, null, null, null, null, spool.Path, 1L << 30);
        // The queue holds the whole run: the benchmark pushes far faster than any training would.
        var writerOptions = new MetricsWriterOptions
        {
            MaxBatchPoints = options.Batch,
            QueueCapacity = options.Results,
            Warning = message => Console.Error.WriteLine($"bench: warning: {message}"),
        };

        var callTicks = new long[options.Results];
        double flushed;
        long allocated;
        var started = Stopwatch.GetTimestamp();
        await using (var writer = new MetricsWriter(settings, writerOptions))
        {
            var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            var n = 0;
            for (var e = 0; e < epochsPerTrial && n < options.Results; e++)
            {
                for (var t = 0; t < trials.Length && n < options.Results; t++)
                {
                    var before = Stopwatch.GetTimestamp();
                    writer.EpochCompleted(trials[t], metrics[e], "bench-node", 25_000);
                    callTicks[n++] = Stopwatch.GetTimestamp() - before;
                }
            }
            allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            if (!await writer.FlushAsync(TimeSpan.FromMinutes(5)))
                throw new InvalidOperationException($"not flushed: {writer.LastError}");
            flushed = Stopwatch.GetElapsedTime(started).TotalSeconds;
            if (writer.WrittenPoints != options.Results || writer.DroppedPoints != 0)
                throw new InvalidOperationException($"written {writer.WrittenPoints}, dropped {writer.DroppedPoints} of {options.Results}");
        }
        var counted = (await server.SelectAsync(database, "SELECT count(val_loss) FROM gridsweep_epoch")).Sum(row => row.Long("count"));
        var queryable = Stopwatch.GetElapsedTime(started).TotalSeconds;
        if (counted != options.Results)
            throw new InvalidOperationException($"InfluxDB counts {counted} results, not {options.Results}");
        await server.QueryAsync($"DROP DATABASE {database}");

        Array.Sort(callTicks);
        double Ns(long ticks) => ticks * 1e9 / Stopwatch.Frequency;
        return new Run(
            callTicks.Average(t => Ns(t)),
            Ns(callTicks[callTicks.Length / 2]),
            Ns(callTicks[(int)(callTicks.Length * 0.99)]),
            Ns(callTicks[^1]) / 1000,
            (double)allocated / options.Results,
            flushed,
            queryable);
    }

    private static readonly string[] Models = ["baseline", "smaller", "bigger"];
    private static readonly string[] Regularizers = ["none", "l2", "dropout"];

    private static TrialSpec Trial(int index) => new(
        index.ToString("x12", CultureInfo.InvariantCulture), "bench-sweep", Models[index % 3], Regularizers[index / 3 % 3], "adam", index,
        new ModelSpec([16, 16]), RegularizerSpec.None, new OptimizerSpec("adam", 0.001), 20, 512, InputLayer.Sparse, new DatasetSpec("imdb", 10000));

    /// <summary>The server's version, from the header of its <c>/ping</c> answer.</summary>
    private static async Task<string> VersionAsync(InfluxServer server)
    {
        using var http = new HttpClient();
        using var ping = await http.GetAsync($"{server.Url}/ping");
        return ping.Headers.TryGetValues("X-Influxdb-Version", out var version) ? version.First() : "?";
    }
}
