using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using GridSweep.Coordinator.Results;
using GridSweep.Messages.Sweeps;
using GridSweep.TestKit;

namespace GridSweep.Bench;

/// <summary>
/// What a sweep file of N trials costs before its first trial runs: reading and parsing the file, expanding the grid,
/// and opening a new run folder (its ledger records the grid's N ids), each size in a process of its own so its peak
/// memory is its own. Two shapes: one learning-rate list of N values, and two axes (learning rate x batch size) whose
/// product is N; then a grid one row beyond the default limit, which is refused.
/// </summary>
internal static class GridBenchmark
{
    public const string ChildCommand = "grid-child";

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private sealed record ChildResult(
        int Trials, string Axes, double ParseSeconds, double ExpandSeconds, double OpenSeconds, double CpuSeconds,
        long HeapBytes, long PeakResidentBytes, long BaselineResidentBytes, string? Refusal);

    public static async Task<int> RunAsync(string[] args)
    {
        var sizes = Option(args, "--sizes", "1000,10000,100000,1000000").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var output = Option(args, "--out", Path.Combine(TrainingBenchmark.RepoRoot(), "bench", "results", "grid.md"));
        using var folder = new TempDirectory("gridsweep-bench-grid");

        var rows = new List<(string Shape, ChildResult Result)>();
        foreach (var shape in new[] { "list", "two-axes" })
        {
            foreach (var size in sizes)
            {
                Console.Error.WriteLine($"bench: grid {shape}, {size:N0} trials ...");
                rows.Add((shape, await ChildAsync(folder.Path, shape, size)));
            }
        }
        Console.Error.WriteLine("bench: grid beyond the limit (1,001 x 1,000) ...");
        var refused = await ChildAsync(folder.Path, "refused", 1_001_000);

        var lines = new List<string>
        {
            $"Sweep file to run folder, each size in its own process, {Environment.ProcessorCount} cores, {Environment.OSVersion}",
            "",
            "| grid | trials | parse s | expand s | open run folder s | total s | CPU s | CPU x per 10x | heap B/trial | peak RSS MB | RSS B/trial |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        };
        foreach (var group in rows.GroupBy(row => row.Shape))
        {
            ChildResult? previous = null;
            foreach (var (_, r) in group)
            {
                var total = r.ParseSeconds + r.ExpandSeconds + r.OpenSeconds;
                // Scaled to a tenfold size, so linear growth reads 10x whatever the step between sizes.
                var growth = previous is null ? "" : $"{r.CpuSeconds / previous.CpuSeconds * 10 / ((double)r.Trials / previous.Trials):F1}x";
                lines.Add($"| {r.Axes} | {r.Trials:N0} | {r.ParseSeconds:F2} | {r.ExpandSeconds:F2} | {r.OpenSeconds:F2} | {total:F2} | {r.CpuSeconds:F2} | {growth} | " +
                          $"{(double)r.HeapBytes / r.Trials:N0} | {r.PeakResidentBytes / 1048576.0:N0} | {(double)(r.PeakResidentBytes - r.BaselineResidentBytes) / r.Trials:N0} |");
                previous = r;
            }
        }
        lines.Add("");
        lines.Add($"Refused, {refused.Axes} = {refused.Trials:N0} trials: {refused.ParseSeconds:F2} s ({refused.CpuSeconds:F2} s CPU), peak RSS {refused.PeakResidentBytes / 1048576.0:N0} MB: `{refused.Refusal}`");
        lines.Add("");
        lines.Add("Times are wall clock from reading the file to the open run folder; CPU s is the process's CPU time over the same span (all threads,");
        lines.Add("the garbage collector's included), steadier than wall time on a loaded machine. CPU x per 10x: CPU time against the size before,");
        lines.Add("scaled to a tenfold size (linear: 10x). Heap B/trial: the managed heap the trials and the parsed sweep hold, per trial;");
        lines.Add("RSS B/trial: the peak resident memory above the process's own before reading the file, per trial.");
        var table = string.Join('\n', lines);
        Console.WriteLine(table);
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        await File.WriteAllTextAsync(output, table + "\n");
        Console.Error.WriteLine($"bench: table written to {output}");
        return 0;
    }

    private static async Task<ChildResult> ChildAsync(string folder, string shape, int size)
    {
        var (self, prefix) = TrainingBenchmark.Self();
        var child = await ChildProcess.RunAsync(self, [.. prefix, ChildCommand, folder, shape, size.ToString(CultureInfo.InvariantCulture)],
            timeout: Timeout.InfiniteTimeSpan);
        Console.Error.Write(child.Error);
        if (child.ExitCode != 0)
            throw new InvalidOperationException($"grid child {shape} {size} exited with {child.ExitCode}:\n{child.Output}");
        return JsonSerializer.Deserialize<ChildResult>(child.Output.Trim().Split('\n')[^1], Json)!;
    }

    /// <summary>One size: the sweep file written (untimed), then parse, expand and open timed, memory read after.</summary>
    public static Task<int> RunChildAsync(string[] args)
    {
        var (folder, shape, size) = (args[0], args[1], int.Parse(args[2], CultureInfo.InvariantCulture));
        var (rates, batchSizes) = shape switch
        {
            "list" => (size, 0),
            _ => (size / Square(size), Square(size)),
        };
        var specPath = Path.Combine(folder, $"{shape}-{size}.yaml");
        File.WriteAllText(specPath, SweepFile($"grid-{shape}-{size}", rates, batchSizes));
        var axes = batchSizes == 0 ? $"learning_rate [{rates:N0}]" : $"learning_rate [{rates:N0}] x batch_size [{batchSizes:N0}]";
        var heapEmpty = GC.GetTotalMemory(forceFullCollection: true);
        var rssBefore = ProcStatus("VmRSS");

        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        double CpuSeconds() => (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
        var clock = Stopwatch.StartNew();
        SweepSpec spec;
        try
        {
            spec = SweepSpecParser.Load(specPath);
        }
        catch (SweepSpecException refused)
        {
            var seconds = clock.Elapsed.TotalSeconds;
            Console.WriteLine(JsonSerializer.Serialize(new ChildResult(size, axes, seconds, 0, 0, CpuSeconds(), 0, ProcStatus("VmHWM"), rssBefore, refused.Message), Json));
            return Task.FromResult(0);
        }
        var parse = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var trials = SweepGrid.Expand(spec);
        var expand = clock.Elapsed.TotalSeconds;
        if (trials.Count != size)
            throw new InvalidOperationException($"expected {size} trials, the grid has {trials.Count}");
        var cpuBeforeHeap = CpuSeconds();
        var heap = GC.GetTotalMemory(forceFullCollection: true) - heapEmpty;
        cpu += TimeSpan.FromSeconds(CpuSeconds() - cpuBeforeHeap); // The forced collection is the benchmark's, not the product's.

        clock.Restart();
        using (RunFolder.Open(Path.Combine(folder, "runs", spec.Name), trials))
        {
            var open = clock.Elapsed.TotalSeconds;
            Console.WriteLine(JsonSerializer.Serialize(new ChildResult(size, axes, parse, expand, open, CpuSeconds(), heap, ProcStatus("VmHWM"), rssBefore, null), Json));
        }
        GC.KeepAlive(trials);
        return Task.FromResult(0);
    }

    /// <summary>The batch-size axis of the two-axis shape: about the square root, dividing the size (1,000 x 1,000 at a million).</summary>
    private static int Square(int size)
    {
        if (size == 1_001_000)
            return 1_000;
        var side = (int)Math.Sqrt(size);
        while (size % side != 0)
            side--;
        return side;
    }

    /// <summary>The Boston housing study's file with its grid replaced: one model, a learning-rate list, perhaps batch sizes.</summary>
    private static string SweepFile(string name, int rates, int batchSizes)
    {
        var table = Path.Combine(TrainingBenchmark.RepoRoot(), "sweeps", "data", "boston_housing.csv");
        var text = new StringBuilder($"""
            name: {name}
            dataset: {"{"}name: csv, path: {table}, target: MEDV, task: regression{"}"}
            training: {"{"}epochs: 1, batch_size: 32{"}"}
            grid:
              model: {"{"}tiny: {"{"}hidden: [8]{"}"}{"}"}
              learning_rate:
            """);
        text.Append('\n');
        for (var i = 1; i <= rates; i++)
            text.Append(CultureInfo.InvariantCulture, $"    - {i}e-9\n");
        if (batchSizes > 0)
            text.Append("  batch_size: [").AppendJoin(", ", Enumerable.Range(1, batchSizes)).Append("]\n");
        return text.ToString();
    }

    private static string Option(string[] args, string name, string fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
    }

    /// <summary>A field of /proc/self/status in bytes (VmHWM: the peak resident set so far; VmRSS: now).</summary>
    private static long ProcStatus(string field)
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
    }
}
