using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Akka.Actor;
using GridSweep.Coordinator.Actors;
using GridSweep.Coordinator.Results;
using GridSweep.Messages.Protocol;
using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;
using GridSweep.Runtime.Metrics;
using GridSweep.TestKit;

namespace GridSweep.Bench;

/// <summary>
/// The dashboards at scale: the real coordinator actor (with its ledger and its aggregates) and simulated trainers
/// (instant epochs, curves that fall to a minimum and rise again) write a sweep of N trials through the real
/// <see cref="MetricsWriter"/> into a real, default-configured influxd; then every panel and variable query of the
/// overview and curves dashboards is sent as Grafana sends it (variables All, the sweep selected), each timed over
/// several runs: median and max seconds, rows and bytes returned. Also what the write cost: points written, dropped
/// and refused, series, and the process's peak memory.
/// </summary>
internal static partial class DashboardBenchmark
{
    private const string Sweep = "bench-grid";
    private const string Database = "gridsweep";
    private static readonly string[] Dashboards = ["gridsweep-overview.json", "gridsweep-curves.json"];

    /// <param name="Key">The panel's id and target, or the variable's name: the same in the baseline's dashboards.</param>
    private sealed record QueryTiming(string Dashboard, string Key, string Panel, double MedianSeconds, double MaxSeconds, long Rows, long Bytes);

    /// <param name="Baseline">The same queries of the dashboards before the aggregates (Baseline/dashboards), on the same data; empty past --baseline-max.</param>
    private sealed record SizeResult(int Trials, int Epochs, int Cells, double WriteSeconds, long Written, long Dropped, long SetAside, long Series,
        double PeakWorkingSetMegabytes, IReadOnlyList<QueryTiming> Queries, IReadOnlyList<QueryTiming> Baseline);

    public static async Task<int> RunAsync(string[] args)
    {
        var sizes = Option(args, "--trials", "1000,10000,100000").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToList();
        var epochs = int.Parse(Option(args, "--epochs", "20"), CultureInfo.InvariantCulture);
        var seeds = int.Parse(Option(args, "--seeds", "5"), CultureInfo.InvariantCulture);
        var runs = int.Parse(Option(args, "--runs", "5"), CultureInfo.InvariantCulture);
        var output = Option(args, "--out", Path.Combine(TrainingBenchmark.RepoRoot(), "bench", "results", "dashboards.md"));
        // The old dashboards took 12 to 188 s per panel at 100,000 trials: by default they are timed up to 10,000.
        var baselineMax = int.Parse(Option(args, "--baseline-max", "10000"), CultureInfo.InvariantCulture);

        var results = new List<SizeResult>();
        foreach (var size in sizes)
            results.Add(await MeasureAsync(size, epochs, seeds, runs, size <= baselineMax));

        var table = Table(results, runs);
        Console.WriteLine(table);
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        await File.WriteAllTextAsync(output, table + "\n");
        Console.Error.WriteLine($"bench: table written to {output}");
        return results.All(r => r.Dropped == 0 && r.SetAside == 0) ? 0 : 1;
    }

    private static async Task<SizeResult> MeasureAsync(int trials, int epochs, int seeds, int runs, bool withBaseline)
    {
        Console.Error.WriteLine($"bench: {trials:N0} trials x {epochs} epochs into a fresh influxd ...");
        using var server = new InfluxServer(authEnabled: false);
        server.Start();
        await server.CreateDatabaseAsync(Database);
        using var folder = new TempDirectory("gridsweep-bench-dashboards");
        var grid = Grid(trials, epochs, seeds);
        var warnings = new List<string>();
        var options = new MetricsWriterOptions { Warning = w => { lock (warnings) warnings.Add(w); } };
        InfluxSettings Settings(string spool) =>
            new(server.Url, InfluxSettings.V1, Database, null, null, null, null, null, null, Path.Combine(folder.Path, spool), 4L << 30);

        var peak = new PeakMemory();
        var clock = Stopwatch.StartNew();
        long written, dropped, setAside;
        var coordinatorMetrics = new MetricsWriter(Settings("coordinator-spool"), options);
        var trainerMetrics = new MetricsWriter(Settings("trainer-spool"), options);
        await using (coordinatorMetrics)
        await using (trainerMetrics)
        {
            var system = ActorSystem.Create("gridsweep", "akka.loglevel = WARNING");
            var finished = new TaskCompletionSource<SweepFinished>();
            system.EventStream.Subscribe(system.ActorOf(Props.Create(() => new FinishListener(finished))), typeof(SweepFinished));
            using (var results = RunFolder.Open(Path.Combine(folder.Path, "run"), grid))
            {
                var coordinator = system.ActorOf(SweepCoordinatorActor.Props(Sweep, grid, RunFolderSource.Opened(results),
                    new SweepCoordinatorActor.Options(0, coordinatorMetrics)), ClusterNames.Coordinator);
                system.ActorOf(Props.Create(() => new SimulatedTrainers(coordinator, trainerMetrics, 64)), "trainers");
                var outcome = await finished.Task.WaitAsync(TimeSpan.FromHours(1));
                if (outcome.Completed != trials)
                    throw new InvalidOperationException($"only {outcome.Completed} of {trials} trials completed");
            }
            await system.Terminate();
            foreach (var writer in new[] { coordinatorMetrics, trainerMetrics })
            {
                if (!await writer.FlushAsync(TimeSpan.FromMinutes(10)))
                    throw new InvalidOperationException($"metrics not written: {writer.LastError}");
            }
            written = coordinatorMetrics.WrittenPoints + trainerMetrics.WrittenPoints;
            dropped = coordinatorMetrics.DroppedPoints + trainerMetrics.DroppedPoints;
            setAside = coordinatorMetrics.SetAsidePoints + trainerMetrics.SetAsidePoints;
        }
        var writeSeconds = clock.Elapsed.TotalSeconds;
        peak.Stop();
        foreach (var warning in warnings.Distinct().Take(10))
            Console.Error.WriteLine($"bench: metrics warning: {warning}");
        var series = await SeriesAsync(server);
        Console.Error.WriteLine($"bench: {trials:N0} trials written in {writeSeconds:F0} s: {written:N0} points, {dropped:N0} dropped, {setAside:N0} refused, {series:N0} series");

        using var grafana = new GrafanaQueries(server.Url, Database);
        var timings = new List<QueryTiming>();
        var baseline = new List<QueryTiming>();
        foreach (var file in Dashboards)
        {
            timings.AddRange(await grafana.TimeDashboardAsync(file, Load(Path.Combine(TrainingBenchmark.RepoRoot(), "dashboards", "json", file)), runs));
            if (withBaseline)
            {
                Console.Error.WriteLine($"bench: the same panels before the aggregates ({file}) ...");
                baseline.AddRange(await grafana.TimeDashboardAsync(file,
                    Load(Path.Combine(TrainingBenchmark.RepoRoot(), "bench", "GridSweep.Bench", "Baseline", "dashboards", file)), runs));
            }
        }
        var cells = grid.Select(t => (t.Model, t.Regularizer, t.OptimizerConfig.LearningRate)).Distinct().Count();
        if (Environment.GetEnvironmentVariable("GRIDSWEEP_BENCH_HOLD") is { } hold)
        {
            // For trying queries by hand against the data: influxd stays up this many seconds.
            Console.Error.WriteLine($"bench: influxd at {server.Url}, database {Database}, held for {hold} s");
            await Task.Delay(TimeSpan.FromSeconds(int.Parse(hold, CultureInfo.InvariantCulture)));
        }
        return new SizeResult(trials, epochs, cells, writeSeconds, written, dropped, setAside, series, peak.Megabytes, timings, baseline);
    }

    private static JsonObject Load(string path) => JsonNode.Parse(File.ReadAllText(path))!.AsObject();

    /// <summary>N trials over model x regularizer x learning rate x seed, as a user's large grid is: the learning-rate axis grows with N.</summary>
    private static List<TrialSpec> Grid(int trials, int epochs, int seeds)
    {
        string[] models = ["baseline", "smaller", "bigger"];
        string[] regularizers = ["none", "l2", "dropout", "l2-dropout"];
        var rates = (int)Math.Ceiling(trials / (double)(models.Length * regularizers.Length * seeds));
        var dataset = new DatasetSpec("imdb", 10000);
        var grid = new List<TrialSpec>(trials);
        for (var r = 0; r < rates && grid.Count < trials; r++)
        {
            var rate = Math.Round(1e-4 * Math.Pow(1e3, r / (double)Math.Max(1, rates - 1)), 10);
            foreach (var model in models)
            foreach (var regularizer in regularizers)
            for (var seed = 1; seed <= seeds && grid.Count < trials; seed++)
            {
                grid.Add(new TrialSpec(grid.Count.ToString("x12", CultureInfo.InvariantCulture), Sweep, model, regularizer, "adam", seed,
                    new ModelSpec(model == "bigger" ? [512, 512] : model == "smaller" ? [4, 4] : [16, 16]),
                    regularizer == "none" ? RegularizerSpec.None : new RegularizerSpec(L2: regularizer.StartsWith("l2") ? 0.001 : 0, Dropout: regularizer.EndsWith("dropout") ? 0.6 : 0),
                    new OptimizerSpec("adam", rate), epochs, 512, InputLayer.Sparse, dataset));
            }
        }
        return grid;
    }

    /// <summary>A curve shaped like a real one: training loss falls, validation loss falls to a minimum and rises again.</summary>
    private static EpochMetrics[] Curve(TrialSpec trial)
    {
        var hash = (uint)trial.Id.GetHashCode(StringComparison.Ordinal);
        var best = 2 + (int)(hash % (uint)Math.Max(1, trial.Epochs - 3));
        var floor = 0.25 + (hash >> 8) % 1000 / 10_000.0;
        return Enumerable.Range(1, trial.Epochs).Select(e => new EpochMetrics(e,
            TrainLoss: 0.7 / Math.Sqrt(e),
            TrainPenalty: 0,
            ValLoss: floor + 0.01 * (e - best) * (e - best),
            TrainAccuracy: 0.7 + 0.3 * (1 - 1.0 / e),
            ValAccuracy: 0.88 - 0.002 * (e - best) * (e - best),
            Seconds: 0.001)).ToArray();
    }

    private static async Task<long> SeriesAsync(InfluxServer server)
    {
        var result = await server.QueryAsync("SHOW SERIES CARDINALITY", Database);
        return result.TryGetProperty("series", out var series) ? series.EnumerateArray().Sum(s => s.GetProperty("values")[0][0].GetInt64()) : 0;
    }

    private static string Table(IReadOnlyList<SizeResult> results, int runs)
    {
        var lines = new List<string>
        {
            $"Dashboards against a real influxd (1.x, default limits) holding one sweep written by the real coordinator and MetricsWriter; " +
            $"every query sent as Grafana sends it (variables All), {runs} runs each: median / max seconds, rows; {Environment.ProcessorCount} cores",
            "",
            $"| dashboard | panel or variable | {string.Join(" | ", results.Select(r => $"{r.Trials:N0} trials: median / max s, rows, KB"))} |",
            $"|---|---|{string.Concat(results.Select(_ => "---:|"))}",
        };
        foreach (var (dashboard, key, panel) in results[0].Queries.Select(q => (q.Dashboard, q.Key, q.Panel)))
        {
            var cells = results.Select(r => r.Queries.FirstOrDefault(q => q.Dashboard == dashboard && q.Key == key) is { } q
                ? $"{q.MedianSeconds:F3} / {q.MaxSeconds:F3}, {q.Rows:N0}, {q.Bytes / 1024.0:N0}"
                : "");
            lines.Add($"| {dashboard.Replace("gridsweep-", "").Replace(".json", "")} | {panel} | {string.Join(" | ", cells)} |");
        }
        var compared = results.Where(r => r.Baseline.Count > 0).ToList();
        if (compared.Count > 0)
        {
            lines.Add("");
            lines.Add("Before the aggregates (Baseline/dashboards: the panels of commit da6b939 reading raw epochs), the same queries on the same data, median seconds:");
            lines.Add("");
            lines.Add($"| dashboard | panel | {string.Join(" | ", compared.Select(r => $"{r.Trials:N0}: before / now / before÷now"))} |");
            lines.Add($"|---|---|{string.Concat(compared.Select(_ => "---:|"))}");
            foreach (var (dashboard, key, panel) in compared[0].Baseline.Where(b => !b.Key.StartsWith('$')).Select(q => (q.Dashboard, q.Key, q.Panel)))
            {
                var cells = compared.Select(r =>
                    r.Baseline.FirstOrDefault(q => q.Dashboard == dashboard && q.Key == key) is { } before && r.Queries.FirstOrDefault(q => q.Dashboard == dashboard && q.Key == key) is { } now
                        ? $"{before.MedianSeconds:F3} / {now.MedianSeconds:F3} / {before.MedianSeconds / Math.Max(now.MedianSeconds, 1e-4):F0}x"
                        : "");
                lines.Add($"| {dashboard.Replace("gridsweep-", "").Replace(".json", "")} | {panel} | {string.Join(" | ", cells)} |");
            }
            foreach (var r in compared)
            {
                double Slowest(IEnumerable<QueryTiming> q) => q.Where(t => !t.Key.StartsWith('$')).Max(t => t.MedianSeconds);
                lines.Add("");
                lines.Add($"{r.Trials:N0} trials: slowest panel {Slowest(r.Baseline):F2} s before, {Slowest(r.Queries):F2} s now ({Slowest(r.Baseline) / Math.Max(Slowest(r.Queries), 1e-4):F1}x); " +
                    $"all panels' medians added up {r.Baseline.Where(t => !t.Key.StartsWith('$')).Sum(t => t.MedianSeconds):F2} s before, {r.Queries.Where(t => !t.Key.StartsWith('$')).Sum(t => t.MedianSeconds):F2} s now.");
            }
        }
        lines.Add("");
        lines.Add("| trials | epochs | cells | write s | points written | dropped | refused | series | bench process peak MB |");
        lines.Add("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        lines.AddRange(results.Select(r =>
            $"| {r.Trials:N0} | {r.Epochs} | {r.Cells:N0} | {r.WriteSeconds:F0} | {r.Written:N0} | {r.Dropped:N0} | {r.SetAside:N0} | {r.Series:N0} | {r.PeakWorkingSetMegabytes:F0} |"));
        return string.Join('\n', lines);
    }

    private static string Option(string[] args, string name, string fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
    }

    private sealed class FinishListener : ReceiveActor
    {
        public FinishListener(TaskCompletionSource<SweepFinished> finished) => Receive<SweepFinished>(e => finished.TrySetResult(e));
    }

    /// <summary>
    /// Trainer slots that finish each trial at once and write what a trainer writes (running, every epoch, completed).
    /// A slot asks for more only while the trainers' metrics queue has room, as real training is slow enough to keep it.
    /// </summary>
    private sealed class SimulatedTrainers : ReceiveActor, IWithTimers
    {
        private const string Node = "simulated";
        private sealed record Again(int Slot);

        public SimulatedTrainers(IActorRef coordinator, MetricsWriter metrics, int slots)
        {
            var registered = false;
            void Ask(int slot)
            {
                if (metrics.QueueRoom < 20_000)
                    Timers.StartSingleTimer(("again", slot), new Again(slot), TimeSpan.FromMilliseconds(20));
                else
                    coordinator.Tell(new RequestWork(Node, slot));
            }
            Receive<TrainerRegistered>(_ =>
            {
                if (registered) return;
                registered = true;
                for (var slot = 0; slot < slots; slot++)
                    Ask(slot);
            });
            Receive<Again>(again => Ask(again.Slot));
            Receive<AssignTrial>(assignment =>
            {
                var trial = assignment.Trial;
                var curve = Curve(trial);
                metrics.TrialStateChanged(trial, TrialStatus.Running, null, assignment.Attempt, Node);
                foreach (var epoch in curve)
                {
                    metrics.EpochCompleted(trial, epoch, Node, 25_000);
                    coordinator.Tell(new EpochCompleted(trial.Id, assignment.Attempt, Node, epoch));
                }
                var summary = TrialSummary.From(TrialStatus.Completed, curve, 0.02);
                metrics.TrialStateChanged(trial, TrialStatus.Completed, summary, assignment.Attempt, Node);
                coordinator.Tell(new TrialCompleted(trial.Id, assignment.Attempt, Node, summary));
                Ask(assignment.Slot);
            });
            Receive<TrialCompletedReceived>(_ => { });
            coordinator.Tell(new RegisterTrainer(Node, slots, "simulated"));
        }

        public ITimerScheduler Timers { get; set; } = null!;
    }

    /// <summary>The process's peak working set, sampled every 100 ms.</summary>
    private sealed class PeakMemory
    {
        private readonly Timer timer;
        private long peak;

        public PeakMemory() => timer = new Timer(_ => Sample(), null, 0, 100);

        public double Megabytes => Interlocked.Read(ref peak) / (1024.0 * 1024.0);

        public void Stop()
        {
            timer.Dispose();
            Sample();
        }

        private void Sample()
        {
            using var process = Process.GetCurrentProcess();
            var now = process.WorkingSet64;
            long before;
            do before = Interlocked.Read(ref peak);
            while (now > before && Interlocked.CompareExchange(ref peak, now, before) != before);
        }
    }

    /// <summary>
    /// What Grafana's InfluxDB datasource sends for a dashboard opened fresh: each variable resolved by its own query in order
    /// (All where it can be, its allValue sent), <c>$timeFilter</c> as the last hour, then every panel target; repeated panels
    /// once, for the first value of what they repeat over.
    /// </summary>
    private sealed partial class GrafanaQueries(string url, string database) : IDisposable
    {
        private readonly HttpClient http = new() { Timeout = TimeSpan.FromMinutes(5) };
        private readonly Dictionary<string, string> values = [];

        public async Task<List<QueryTiming>> TimeDashboardAsync(string file, JsonObject dashboard, int runs)
        {
            var timings = new List<QueryTiming>();
            values.Clear();
            // A repeated panel (or row) is one instance per value of what it repeats over: each instance has one value.
            var repeated = Panels(dashboard).Concat((dashboard["panels"]?.AsArray() ?? []).Select(p => p!.AsObject()))
                .Select(p => (string?)p["repeat"]).OfType<string>().ToHashSet();
            foreach (var variable in (dashboard["templating"]?["list"]?.AsArray() ?? []).Select(v => v!.AsObject()))
            {
                var name = (string)variable["name"]!;
                if ((string?)variable["type"] == "custom")
                {
                    values[name] = (string)variable["current"]!["value"]!;
                    continue;
                }
                if ((string?)variable["type"] != "query")
                    continue;
                var query = Interpolate((string)variable["query"]!);
                var (timing, body) = await TimeAsync(file, "$" + name, $"variable ${name}", query, runs);
                timings.Add(timing);
                var options = Values(body);
                values[name] = name == "sweep" ? Sweep
                    : repeated.Contains(name) ? Escape(options.FirstOrDefault() ?? "")
                    : (bool?)variable["includeAll"] == true && (string?)variable["allValue"] is { } all ? all
                    : Escape(options.FirstOrDefault() ?? "");
            }
            foreach (var panel in Panels(dashboard))
            {
                foreach (var target in (panel["targets"]?.AsArray() ?? []).Select(t => t!.AsObject()))
                {
                    var refId = (string?)target["refId"];
                    var title = (string)panel["title"]!;
                    var (timing, _) = await TimeAsync(file, $"{panel["id"]}/{refId}", panel["targets"]!.AsArray().Count > 1 ? $"{title} ({refId})" : title,
                        Interpolate((string)target["query"]!), runs);
                    timings.Add(timing);
                }
            }
            return timings;
        }

        public void Dispose() => http.Dispose();

        private static IEnumerable<JsonObject> Panels(JsonObject dashboard)
        {
            foreach (var node in dashboard["panels"]?.AsArray() ?? [])
            {
                var panel = node!.AsObject();
                if ((string?)panel["type"] != "row")
                    yield return panel;
                foreach (var inner in panel["panels"]?.AsArray() ?? [])
                    yield return inner!.AsObject();
            }
        }

        private string Interpolate(string query)
        {
            var now = DateTimeOffset.UtcNow;
            var text = query
                .Replace("$timeFilter", $"time >= {now.AddHours(-1).ToUnixTimeMilliseconds()}ms and time <= {now.ToUnixTimeMilliseconds()}ms", StringComparison.Ordinal)
                .Replace("$__interval", "10s", StringComparison.Ordinal);
            return Reference().Replace(text, m => values.TryGetValue(m.Groups[1].Value, out var value) ? value : m.Value);
        }

        private async Task<(QueryTiming, string)> TimeAsync(string file, string key, string what, string query, int runs)
        {
            var seconds = new List<double>();
            var body = "";
            for (var run = 0; run < runs; run++)
            {
                var clock = Stopwatch.StartNew();
                using var response = await http.PostAsync($"{url}/query", new FormUrlEncodedContent(new Dictionary<string, string>
                {
                    ["q"] = query, ["db"] = database, ["epoch"] = "ms",
                }));
                body = await response.Content.ReadAsStringAsync();
                seconds.Add(clock.Elapsed.TotalSeconds);
                if (!response.IsSuccessStatusCode || body.Contains("\"error\"", StringComparison.Ordinal))
                    throw new InvalidOperationException($"InfluxDB refused {query}: {body[..Math.Min(500, body.Length)]}");
            }
            seconds.Sort();
            var rows = 0L;
            foreach (var series in JsonDocument.Parse(body).RootElement.GetProperty("results")[0].TryGetProperty("series", out var list) ? list.EnumerateArray() : default)
                rows += series.GetProperty("values").GetArrayLength();
            Console.Error.WriteLine($"bench:   {what}: {seconds[seconds.Count / 2]:F3} s, {rows:N0} rows");
            return (new QueryTiming(file, key, what, seconds[seconds.Count / 2], seconds[^1], rows, body.Length), body);
        }

        private static List<string> Values(string body)
        {
            var result = JsonDocument.Parse(body).RootElement.GetProperty("results")[0];
            if (!result.TryGetProperty("series", out var list))
                return [];
            return list.EnumerateArray().SelectMany(s => s.GetProperty("values").EnumerateArray()).Select(v => v[v.GetArrayLength() - 1].ToString()).Distinct().ToList();
        }

        private static string Escape(string value) => RegexSpecial().Replace(value, @"\$0");

        [GeneratedRegex(@"\$([A-Za-z_][A-Za-z0-9_]*)")]
        private static partial Regex Reference();

        [GeneratedRegex(@"[\\^$*+?.()|{}\[\]/]")]
        private static partial Regex RegexSpecial();
    }
}
