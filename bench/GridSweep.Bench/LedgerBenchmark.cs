using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using GridSweep.Bench.Baseline;
using GridSweep.Coordinator.Results;
using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;
using GridSweep.TestKit;

namespace GridSweep.Bench;

/// <summary>
/// The coordinator's memory of a sweep, today's CSV ledger (<see cref="CsvRunFolder"/>, frozen at commit 6d71c7d) beside
/// the current <see cref="RunFolder"/>, both through RunFolder's public API, at sizes of finished trials of 20 epochs:
/// writing them, resuming the folder (each Open in a process of its own, so its peak memory is its own), abandoning an
/// attempt, how long recording an epoch holds up the caller (the coordinator actor's mailbox), and the heap per trial.
/// </summary>
internal static class LedgerBenchmark
{
    public const string ChildCommand = "ledger-child";

    private const int EpochsPerTrial = 20;
    private const int DroppedEpochs = 10;
    private const int DropRuns = 5;
    private static readonly TimeSpan DropBudget = TimeSpan.FromSeconds(30);
    private const int TimedAppendTrials = 500; // x 20 epochs: 10,000 timed AppendEpoch calls.

    /// <summary>Trials of the sweep beyond the finished ones: the attempts abandoned, then the trials whose epochs are timed.</summary>
    private const int UnfinishedTrials = DropRuns + TimedAppendTrials;

    private const string BaselineKey = "baseline";
    private const string CurrentKey = "current";

    /// <summary>What one resume process measured; times in seconds or milliseconds as named, memory in bytes.</summary>
    private sealed record ChildResult(
        double OpenSeconds, long RssBeforeOpen, long PeakAfterOpen, long HeapBeforeOpen, long HeapAfterOpen, long SweepHeap, int SweepTrials,
        int Finished, List<double> DropMilliseconds, List<double> DropAndFlushMilliseconds,
        double AppendP50Microseconds, double AppendP99Microseconds, double AppendMaxMicroseconds, double AppendFlushMilliseconds)
    {
        public long LedgerHeap => HeapAfterOpen - HeapBeforeOpen;
    }

    private sealed record Measured(int Trials, string Key, double PopulateSeconds, long DiskBytes, List<ChildResult> Resumes)
    {
        public ChildResult Last => Resumes[^1];
        public double OpenSeconds => Median(Resumes.Select(r => r.OpenSeconds));
        public double PeakMegabytes => Median(Resumes.Select(r => (double)r.PeakAfterOpen)) / Megabyte;
        public double RssBeforeMegabytes => Median(Resumes.Select(r => (double)r.RssBeforeOpen)) / Megabyte;
        public double HeapMegabytes => Median(Resumes.Select(r => (double)r.LedgerHeap)) / Megabyte;
        public double HeapBytesPerTrial => Median(Resumes.Select(r => (double)r.LedgerHeap)) / Trials;
        public double SweepBytesPerTrial => Median(Resumes.Select(r => (double)r.SweepHeap / r.SweepTrials));
    }

    private const double Megabyte = 1024.0 * 1024.0;

    /// <summary>A child that only opens has no DropTrial or AppendEpoch figures: NaN, which plain JSON has no number for.</summary>
    private static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public static async Task<int> RunAsync(string[] args)
    {
        var options = Options.Parse(args);
        var rows = new List<Measured>();
        // Warm-up, not counted: the first populate of a process would pay for the JIT of the code both share.
        foreach (var key in Keys)
        {
            using var warmUp = new TempDirectory("gridsweep-bench-ledger-warmup");
            Populate(key, warmUp.Path, Sweep(0).Take(200).ToList());
        }
        foreach (var size in options.Sizes)
        {
            var sweep = Sweep(size);
            var rounds = options.Rounds ?? (size > 10_000 ? 1 : 3);
            using var baselineFolder = new TempDirectory("gridsweep-bench-ledger-baseline");
            using var currentFolder = new TempDirectory("gridsweep-bench-ledger-current");
            var folders = new Dictionary<string, string> { [BaselineKey] = baselineFolder.Path, [CurrentKey] = currentFolder.Path };
            var populated = new Dictionary<string, (double Seconds, long Bytes)>();
            foreach (var key in Keys)
            {
                Console.Error.WriteLine($"bench ledger: {size:N0} trials, {Title(key)}: populating ...");
                populated[key] = Populate(key, folders[key], sweep.Take(size).ToList());
                Console.Error.WriteLine($"bench ledger: {size:N0} trials, {Title(key)}: populated in {populated[key].Seconds:F1} s, {populated[key].Bytes / Megabyte:F0} MB on disk");
            }
            var resumes = Keys.ToDictionary(key => key, _ => new List<ChildResult>());
            // Alternating, so a machine busy with other work for a while weighs on both; the last round also abandons
            // attempts and times epochs, which changes the folder, so it comes after the rounds that only open it.
            for (var round = 1; round <= rounds; round++)
            {
                foreach (var key in Keys)
                {
                    var everything = round == rounds;
                    Console.Error.WriteLine($"bench ledger: {size:N0} trials, {Title(key)}: resume {round} of {rounds}{(everything ? ", then DropTrial and AppendEpoch" : "")} in a child process ...");
                    var result = await ResumeInChildAsync(key, folders[key], size, everything);
                    if (result.Finished != size)
                        throw new InvalidOperationException($"{Title(key)} resumed {result.Finished:N0} finished trials of {size:N0}");
                    resumes[key].Add(result);
                    Console.Error.WriteLine($"bench ledger: {size:N0} trials, {Title(key)}: Open {result.OpenSeconds:F2} s, peak {result.PeakAfterOpen / Megabyte:F0} MB" +
                        (everything ? $", DropTrial {string.Join(" / ", result.DropMilliseconds.Select(ms => ms.ToString("F1", CultureInfo.InvariantCulture)))} ms, AppendEpoch p99 {result.AppendP99Microseconds:F1} µs" : ""));
                }
            }
            rows.AddRange(Keys.Select(key => new Measured(size, key, populated[key].Seconds, populated[key].Bytes, resumes[key])));
        }
        await TrainingBenchmark.WriteTableAsync(Tables(rows, options), options.Out, "ledger");
        return 0;
    }

    private static readonly string[] Keys = [BaselineKey, CurrentKey];

    private static string Title(string key) => key == BaselineKey ? "CSV baseline (6d71c7d)" : "current RunFolder";

    private static List<string> Tables(List<Measured> rows, Options options)
    {
        var sizes = rows.Select(r => r.Trials).Distinct().ToList();
        Measured Of(int size, string key) => rows.Single(r => r.Trials == size && r.Key == key);
        var lines = new List<string>
        {
            $"Run-folder ledger: today's CSV ledger (RunFolder of 6d71c7d, bench/GridSweep.Bench/Baseline) as baseline, the current RunFolder " +
            $"beside it, through RunFolder's API; {EpochsPerTrial} epochs per trial, {Environment.ProcessorCount} cores (shared), " +
            $"{System.Runtime.InteropServices.RuntimeInformation.OSDescription}, folders under {Path.TrimEndingDirectorySeparator(Path.GetTempPath())}. Ratio: current / baseline.",
        };

        void Table(string title, string[] columns, Func<int, IEnumerable<string>> cells)
        {
            lines.AddRange(["", title, "", $"| trials | {string.Join(" | ", columns)} |", $"|---:|{string.Concat(columns.Select(_ => "---:|"))}"]);
            lines.AddRange(sizes.Select(size => $"| {size:N0} | {string.Join(" | ", cells(size))} |"));
        }

        IEnumerable<string> Side(int size, Func<Measured, double> value, string format) =>
            [Format(value(Of(size, BaselineKey)), format), Format(value(Of(size, CurrentKey)), format), Ratio(value(Of(size, CurrentKey)), value(Of(size, BaselineKey)))];

        Table($"Populate: open an empty folder, AppendEpoch x{EpochsPerTrial} then AppendTrial per trial, Dispose",
            ["baseline s", "current s", "ratio", "baseline µs per epoch", "current µs per epoch", "ratio", "baseline MB on disk", "current MB on disk", "ratio"],
            size => [
                .. Side(size, m => m.PopulateSeconds, "F2"),
                .. Side(size, m => m.PopulateSeconds * 1e6 / (size * EpochsPerTrial), "F2"),
                .. Side(size, m => m.DiskBytes / Megabyte, "F1"),
            ]);
        var roundsNote = options.Rounds is { } r ? $"median of {r} processes" : "median of 3 processes up to 10,000 trials, 1 above";
        Table($"Resume: RunFolder.Open(path, sweep) on the populated folder, in a fresh process each ({roundsNote})",
            ["baseline s", "current s", "ratio"],
            size => Side(size, m => m.OpenSeconds, "F2"));
        Table("Resume, peak memory: the process's VmHWM after Open (its resident memory before Open, sweep built, in brackets)",
            ["baseline MB", "current MB", "ratio", "baseline before", "current before"],
            size => [
                .. Side(size, m => m.PeakMegabytes, "F0"),
                $"({Of(size, BaselineKey).RssBeforeMegabytes:F0})", $"({Of(size, CurrentKey).RssBeforeMegabytes:F0})",
            ]);
        Table("Resume, managed heap: GC.GetTotalMemory(true) after Open minus before (the sweep's TrialSpecs already held)",
            ["baseline MB", "current MB", "ratio"],
            size => Side(size, m => m.HeapMegabytes, "F1"));
        string Drop(Measured m) => $"{Format(Median(m.Last.DropMilliseconds), "F1")} ({m.Last.DropMilliseconds.Count})";
        Table($"Abandon an attempt: DropTrial of a trial with {DroppedEpochs} recorded epochs among the finished trials, median of up to {DropRuns} " +
            $"runs (runs in brackets: no more than fit in {DropBudget.TotalSeconds:F0} s in all, so a DropTrial of over {DropBudget.TotalSeconds / 2:F0} s, as the " +
            "CSV baseline's at 100,000 trials, is measured once); with the Flush after it, the work DropTrial leaves behind",
            ["baseline ms", "current ms", "ratio", "baseline + Flush ms", "current + Flush ms", "ratio"],
            size => [
                Drop(Of(size, BaselineKey)), Drop(Of(size, CurrentKey)),
                Ratio(Median(Of(size, CurrentKey).Last.DropMilliseconds), Median(Of(size, BaselineKey).Last.DropMilliseconds)),
                .. Side(size, m => Median(m.Last.DropAndFlushMilliseconds), "F1"),
            ]);
        Table($"Record an epoch: time of an AppendEpoch call on the caller's thread, {TimedAppendTrials * EpochsPerTrial:N0} calls after resume " +
            $"(AppendTrial after every {EpochsPerTrial}, not timed); Flush after the last, the backlog left",
            ["baseline p50 µs", "current p50 µs", "ratio", "baseline p99 µs", "current p99 µs", "ratio", "baseline max µs", "current max µs", "ratio", "baseline Flush ms", "current Flush ms", "ratio"],
            size => [
                .. Side(size, m => m.Last.AppendP50Microseconds, "F2"),
                .. Side(size, m => m.Last.AppendP99Microseconds, "F2"),
                .. Side(size, m => m.Last.AppendMaxMicroseconds, "F0"),
                .. Side(size, m => m.Last.AppendFlushMilliseconds, "F3"),
            ]);
        Table("Heap per trial: the ledger's managed heap after Open divided by the finished trials; the sweep's TrialSpecs per trial, " +
            "which the coordinator holds anyway, for scale",
            ["baseline bytes", "current bytes", "ratio", "TrialSpec bytes"],
            size => [.. Side(size, m => m.HeapBytesPerTrial, "F0"), Format(Of(size, CurrentKey).SweepBytesPerTrial, "F0")]);
        return lines;
    }

    private static string Format(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    private static string Ratio(double current, double baseline) =>
        baseline > 0 && double.IsFinite(current) ? $"{(current / baseline).ToString("F2", CultureInfo.InvariantCulture)}x" : "n/a";

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        if (sorted.Count == 0)
            return double.NaN;
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    /// <summary>
    /// A sweep as a sweep file gives it: 10 models x 10 regularizers x 5 optimizers x 2 activations, as many seeds as it
    /// takes for <paramref name="finished"/> trials and the unfinished ones after them, expanded by <see cref="SweepGrid"/>.
    /// The same in every process, ids included.
    /// </summary>
    private static IReadOnlyList<TrialSpec> Sweep(int finished)
    {
        const int cellsPerSeed = 10 * 10 * 5 * 2;
        var total = finished + UnfinishedTrials;
        var models = Enumerable.Range(0, 10).Select(i => new GridEntry<ModelSpec>($"mlp-{16 << (i % 5)}x{1 + i / 5}",
            new ModelSpec([.. Enumerable.Repeat(16 << (i % 5), 1 + i / 5)]))).ToList();
        List<GridEntry<RegularizerSpec>> regularizers =
        [
            new("none", RegularizerSpec.None),
            .. new[] { 1e-4, 1e-3, 1e-2 }.Select(l2 => new GridEntry<RegularizerSpec>($"l2-{l2.ToString("R", CultureInfo.InvariantCulture)}", new RegularizerSpec(L2: l2))),
            .. new[] { 1e-5, 1e-4 }.Select(l1 => new GridEntry<RegularizerSpec>($"l1-{l1.ToString("R", CultureInfo.InvariantCulture)}", new RegularizerSpec(L1: l1))),
            .. new[] { 0.2, 0.5 }.Select(p => new GridEntry<RegularizerSpec>($"dropout-{p.ToString("R", CultureInfo.InvariantCulture)}", new RegularizerSpec(Dropout: p))),
            new("batchnorm", new RegularizerSpec(BatchNorm: true)),
            new("dropout-0.2-batchnorm", new RegularizerSpec(Dropout: 0.2, BatchNorm: true)),
        ];
        List<GridEntry<OptimizerSpec>> optimizers =
        [
            .. new[] { 1e-4, 1e-3, 1e-2 }.Select(lr => new GridEntry<OptimizerSpec>($"adam-lr{lr.ToString("R", CultureInfo.InvariantCulture)}", new OptimizerSpec("adam", lr))),
            new("sgd-lr0.01", new OptimizerSpec("sgd", 0.01, Momentum: 0.9)),
            new("rmsprop-lr0.001", new OptimizerSpec("rmsprop", 0.001)),
        ];
        var seeds = Enumerable.Range(1, (total + cellsPerSeed - 1) / cellsPerSeed).Select(s => (long)s).ToList();
        var spec = new SweepSpec("bench-ledger", new DatasetSpec("imdb", 10000),
            new TrainingSpec(EpochsPerTrial, 512, new OptimizerSpec("adam", 0.001), InputLayer.Sparse, seeds),
            models, regularizers, optimizers, "bench-ledger.yaml")
        {
            Activations = [Activations.Relu, Activations.Tanh],
        };
        return SweepGrid.Expand(spec).Take(total).ToList();
    }

    /// <summary>Learning curves with varying figures, made before any clock starts; trial i takes curve i modulo their number.</summary>
    private sealed class Curves
    {
        private readonly EpochMetrics[][] curves;
        private readonly TrialSummary[] summaries;

        public Curves(int count = 97)
        {
            var random = new Random(20);
            curves = new EpochMetrics[count][];
            summaries = new TrialSummary[count];
            for (var c = 0; c < count; c++)
            {
                var (start, rate, overfit) = (0.6 + 0.2 * random.NextDouble(), 0.05 + 0.3 * random.NextDouble(), 0.002 + 0.02 * random.NextDouble());
                curves[c] = Enumerable.Range(1, EpochsPerTrial).Select(e =>
                {
                    var train = start * Math.Exp(-rate * e) + 0.01 * random.NextDouble();
                    var val = start * Math.Exp(-rate * e * 0.8) + overfit * e + 0.01 * random.NextDouble();
                    return new EpochMetrics(e, train, 1e-3 * random.NextDouble(), val, 1 - train / 2 + 0.01 * random.NextDouble(),
                        1 - val / 2 + 0.01 * random.NextDouble(), 0.5 + random.NextDouble());
                }).ToArray();
                summaries[c] = TrialSummary.From(TrialStatus.Completed, curves[c], curves[c].Sum(e => e.Seconds));
            }
        }

        public EpochMetrics[] For(int trial) => curves[trial % curves.Length];

        public TrialSummary SummaryFor(int trial) => summaries[trial % summaries.Length];
    }

    /// <summary>Both ledgers through the same calls: RunFolder's public API.</summary>
    private interface ILedger : IDisposable
    {
        int FinishedCount { get; }
        void AppendEpoch(TrialSpec trial, EpochMetrics metrics);
        void AppendTrial(TrialSpec trial, TrialSummary summary);
        void DropTrial(string trialId);
        void Flush();
    }

    private sealed class CurrentLedger(RunFolder folder) : ILedger
    {
        public int FinishedCount => folder.Finished.Count;
        public void AppendEpoch(TrialSpec trial, EpochMetrics metrics) => folder.AppendEpoch(trial, metrics);
        public void AppendTrial(TrialSpec trial, TrialSummary summary) => folder.AppendTrial(trial, summary);
        public void DropTrial(string trialId) => folder.DropTrial(trialId);
        public void Flush() => folder.Flush();
        public void Dispose() => folder.Dispose();
    }

    private sealed class BaselineLedger(CsvRunFolder folder) : ILedger
    {
        public int FinishedCount => folder.Finished.Count;
        public void AppendEpoch(TrialSpec trial, EpochMetrics metrics) => folder.AppendEpoch(trial, metrics);
        public void AppendTrial(TrialSpec trial, TrialSummary summary) => folder.AppendTrial(trial, summary);
        public void DropTrial(string trialId) => folder.DropTrial(trialId);
        public void Flush() => folder.Flush();
        public void Dispose() => folder.Dispose();
    }

    private static ILedger Open(string key, string path, IEnumerable<TrialSpec>? trials) => key switch
    {
        BaselineKey => new BaselineLedger(CsvRunFolder.Open(path, trials)),
        CurrentKey => new CurrentLedger(RunFolder.Open(path, trials)),
        _ => throw new ArgumentException($"unknown ledger {key}"),
    };

    /// <summary>Writes the finished trials into an empty folder; the seconds from Open to the end of Dispose, and the folder's size.</summary>
    private static (double Seconds, long Bytes) Populate(string key, string path, IReadOnlyList<TrialSpec> trials)
    {
        var curves = new Curves();
        GC.Collect();
        var clock = Stopwatch.StartNew();
        using (var ledger = Open(key, path, trials))
        {
            for (var i = 0; i < trials.Count; i++)
            {
                foreach (var epoch in curves.For(i))
                    ledger.AppendEpoch(trials[i], epoch);
                ledger.AppendTrial(trials[i], curves.SummaryFor(i));
            }
        }
        var seconds = clock.Elapsed.TotalSeconds;
        var bytes = new DirectoryInfo(path).EnumerateFiles("*", SearchOption.AllDirectories).Sum(file => file.Length);
        return (seconds, bytes);
    }

    private static async Task<ChildResult> ResumeInChildAsync(string key, string path, int finished, bool everything)
    {
        var (self, prefix) = TrainingBenchmark.Self();
        // No time limit: the CSV baseline at 100,000 trials takes minutes.
        var child = await ChildProcess.RunAsync(self,
            [.. prefix, ChildCommand, key, path, finished.ToString(CultureInfo.InvariantCulture), everything ? "all" : "open"],
            timeout: Timeout.InfiniteTimeSpan);
        Console.Error.Write(child.Error);
        if (child.ExitCode != 0)
            throw new InvalidOperationException($"ledger child {key} {finished} exited with {child.ExitCode}:\n{child.Output}");
        return JsonSerializer.Deserialize<ChildResult>(child.Output.Trim().Split('\n')[^1], Json)!;
    }

    /// <summary>
    /// One resume in a process of its own: the sweep built, then Open timed, the process's peak resident memory and the
    /// managed heap read after it; with <c>all</c>, attempts abandoned and epochs timed on the folder it opened.
    /// </summary>
    public static Task<int> RunChildAsync(string[] args)
    {
        var (key, path, finished, everything) = (args[0], args[1], int.Parse(args[2], CultureInfo.InvariantCulture), args[3] == "all");
        var heapEmpty = GC.GetTotalMemory(forceFullCollection: true);
        var sweep = Sweep(finished);
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        var rssBefore = ProcStatus("VmRSS");

        var clock = Stopwatch.StartNew();
        var ledger = Open(key, path, sweep);
        var openSeconds = clock.Elapsed.TotalSeconds;
        var peak = ProcStatus("VmHWM");
        var heapAfter = GC.GetTotalMemory(forceFullCollection: true);
        var finishedCount = ledger.FinishedCount;

        List<double> drops = [], dropsAndFlush = [];
        (double P50, double P99, double Max, double FlushMs) append = (double.NaN, double.NaN, double.NaN, double.NaN);
        if (everything)
        {
            var curves = new Curves();
            var abandoned = sweep.Skip(finished).Take(DropRuns).ToList();
            TimeSpan spent = TimeSpan.Zero, longest = TimeSpan.Zero;
            foreach (var (trial, i) in abandoned.Select((t, i) => (t, i)))
            {
                // Another run only while it would likely fit in the budget: a DropTrial of a minute is measured once.
                if (i > 0 && spent + longest > DropBudget)
                    break;
                foreach (var epoch in curves.For(i).Take(DroppedEpochs))
                    ledger.AppendEpoch(trial, epoch);
                ledger.Flush();
                clock.Restart();
                ledger.DropTrial(trial.Id);
                var dropped = clock.Elapsed;
                ledger.Flush();
                var flushed = clock.Elapsed;
                drops.Add(dropped.TotalMilliseconds);
                dropsAndFlush.Add(flushed.TotalMilliseconds);
                spent += flushed;
                longest = flushed > longest ? flushed : longest;
            }

            var timed = sweep.Skip(finished + DropRuns).Take(TimedAppendTrials).ToList();
            var ticks = new long[timed.Count * EpochsPerTrial];
            var n = 0;
            for (var t = 0; t < timed.Count; t++)
            {
                var curve = curves.For(t);
                foreach (var epoch in curve)
                {
                    var start = Stopwatch.GetTimestamp();
                    ledger.AppendEpoch(timed[t], epoch);
                    ticks[n++] = Stopwatch.GetTimestamp() - start;
                }
                ledger.AppendTrial(timed[t], curves.SummaryFor(t));
            }
            clock.Restart();
            ledger.Flush();
            var flushMs = clock.Elapsed.TotalMilliseconds;
            var micros = ticks.Select(tick => tick * 1e6 / Stopwatch.Frequency).Order().ToArray();
            append = (Percentile(micros, 0.50), Percentile(micros, 0.99), micros[^1], flushMs);
        }
        ledger.Dispose();

        Console.WriteLine(JsonSerializer.Serialize(new ChildResult(openSeconds, rssBefore, peak, heapBefore, heapAfter, heapBefore - heapEmpty, sweep.Count,
            finishedCount, drops, dropsAndFlush, append.P50, append.P99, append.Max, append.FlushMs), Json));
        return Task.FromResult(0);
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    /// <summary>A field of /proc/self/status in bytes (VmHWM: the peak resident set so far; VmRSS: now).</summary>
    private static long ProcStatus(string field)
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status))
            throw new PlatformNotSupportedException($"{status} is missing: the ledger benchmark reads peak memory from Linux's /proc");
        var line = File.ReadLines(status).First(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        var kilobytes = line[(field.Length + 1)..].Trim().Split(' ')[0];
        return long.Parse(kilobytes, CultureInfo.InvariantCulture) * 1024;
    }

    private sealed record Options(int[] Sizes, int? Rounds, string Out)
    {
        public static Options Parse(string[] args)
        {
            int[] sizes = [10_000, 100_000];
            int? rounds = null;
            string? output = null;
            for (var i = 0; i < args.Length; i++)
            {
                if (args[i] == "--quick")
                {
                    sizes = [1_000];
                    continue;
                }
                var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
                switch (args[i])
                {
                    case "--sizes": sizes = [.. value.Split(',').Select(s => int.Parse(s.Replace("_", ""), CultureInfo.InvariantCulture))]; break;
                    case "--rounds": rounds = int.Parse(value, CultureInfo.InvariantCulture); break;
                    case "--out": output = value; break;
                    default: throw new ArgumentException($"unknown option {args[i]}");
                }
                i++;
            }
            if (sizes.Any(s => s < 1) || rounds < 1)
                throw new ArgumentException("--sizes and --rounds must be positive");
            return new Options(sizes, rounds, output ?? Path.Combine(TrainingBenchmark.RepoRoot(), "bench", "results", "ledger.md"));
        }
    }
}
