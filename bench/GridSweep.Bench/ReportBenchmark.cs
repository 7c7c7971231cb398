using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using GridSweep.Coordinator.Actors;
using GridSweep.Coordinator.Display;
using GridSweep.Coordinator.Reports;
using GridSweep.Coordinator.Results;
using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;
using Akka.Actor;
using Akka.Configuration;
using GridSweep.Coordinator.Hosting;
using GridSweep.Messages.Protocol;
using GridSweep.TestKit;
using Spectre.Console;

namespace GridSweep.Bench;

/// <summary>
/// The end of a big sweep: a synthetic run folder of N trials written through the real <see cref="RunFolder"/> (3 models x 4
/// regularizers x a learning-rate axis x 3 seeds, curves that fall to a minimum and rise), then, each in a process of its
/// own so peaks do not mix, the report (time, peak resident memory, index.html size, figure count), the end-of-run summary
/// table on an 80-column console, and the page loaded in headless Chromium. <c>--baseline DLL</c> runs an older
/// coordinator's <c>report</c> on the same folder, side by side.
/// </summary>
internal static class ReportBenchmark
{
    public const string PopulateCommand = "report-populate";
    public const string ReportChild = "report-child";
    public const string SummaryChild = "report-summary-child";
    public const string LiveChild = "report-live-child";

    private sealed record Row(string What, int Trials, double Seconds, double PeakMegabytes, string Extra);

    public static async Task<int> RunAsync(string[] args)
    {
        var sizes = Option(args, "--trials", "10000,100000").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var epochs = int.Parse(Option(args, "--epochs", "20"), CultureInfo.InvariantCulture);
        var baseline = Option(args, "--baseline", "");
        var output = Option(args, "--out", "bench/results/report.md");
        var keep = Option(args, "--keep", "");
        var rows = new List<Row>();
        using var scratch = new TempDirectory();
        var (self, prefix) = TrainingBenchmark.Self();
        foreach (var trials in sizes)
        {
            var folder = Path.Combine(keep.Length > 0 ? keep : scratch.Path, $"sweep-{trials}");
            if (!File.Exists(Path.Combine(folder, RunFolder.TrialsFile)))
            {
                Console.Error.WriteLine($"bench: writing a {trials:N0}-trial run folder ...");
                await Child(self, [.. prefix, PopulateCommand, folder, $"{trials}", $"{epochs}"]);
            }
            Console.Error.WriteLine($"bench: report of {trials:N0} trials ...");
            rows.Add(Parse(await Child(self, [.. prefix, ReportChild, folder]), trials));
            rows.Add(await ChromiumAsync(folder, trials));
            if (baseline.Length > 0)
                rows.Add(await BaselineAsync(baseline, folder, trials));
            Console.Error.WriteLine($"bench: summary table of {trials:N0} trials ...");
            rows.Add(Parse(await Child(self, [.. prefix, SummaryChild, $"{trials}", $"{epochs}"]), trials));
            rows.Add(Parse(await Child(self, [.. prefix, LiveChild, $"{trials}", $"{epochs}"]), trials));
        }
        var cli = Option(args, "--status-cli", "src/Coordinator/bin/Release/net10.0/linux-x64/gridsweep-coordinator.dll");
        if (File.Exists(cli))
            rows.Add(await StatusAsync(cli, sizes.Max(), epochs));
        else
            Console.Error.WriteLine($"bench: no {cli} (build src/Coordinator -c Release, or give --status-cli): status not measured");
        var table = new StringBuilder();
        table.AppendLine($"End of a sweep: report, summary table and the page in Chromium, {epochs} epochs per trial, 3 seeds per cell, " +
            $"{Environment.ProcessorCount} cores shared with other work ({DateTime.UtcNow:yyyy-MM-dd})");
        table.AppendLine();
        table.AppendLine("| what | trials | seconds | peak resident MB | |");
        table.AppendLine("|---|---:|---:|---:|---|");
        foreach (var row in rows)
            table.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {row.What} | {row.Trials:N0} | {row.Seconds:F1} | {(row.PeakMegabytes > 0 ? row.PeakMegabytes.ToString("N0", CultureInfo.InvariantCulture) : "")} | {row.Extra} |"));
        Console.WriteLine(table);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
        await File.WriteAllTextAsync(output, table.ToString());
        return 0;
    }

    private static async Task<string> Child(string self, string[] arguments)
    {
        var child = await ChildProcess.RunAsync(self, arguments, timeout: Timeout.InfiniteTimeSpan);
        Console.Error.Write(child.Error);
        if (child.ExitCode != 0)
            throw new InvalidOperationException($"{string.Join(' ', arguments)} exited with {child.ExitCode}:\n{child.Output}");
        return child.Output.Trim().Split('\n')[^1];
    }

    /// <summary>A child's last line: what|seconds|peak bytes|extra.</summary>
    private static Row Parse(string line, int trials)
    {
        var parts = line.Split('|');
        return new Row(parts[0], trials, double.Parse(parts[1], CultureInfo.InvariantCulture), long.Parse(parts[2], CultureInfo.InvariantCulture) / 1e6, parts[3]);
    }

    private static async Task<Row> ChromiumAsync(string folder, int trials)
    {
        var chromium = ChildProcess.FindExecutable("chromium", "chromium-browser") ?? throw new InvalidOperationException("apt-get install chromium");
        using var profile = new TempDirectory();
        var index = Path.Combine(folder, ReportWriter.FolderName, ReportWriter.IndexFile);
        var clock = Stopwatch.StartNew();
        var result = await ChildProcess.RunAsync(chromium,
            ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--user-data-dir=" + profile.Path, "--window-size=1280,2000", "--dump-dom", new Uri(Path.GetFullPath(index)).AbsoluteUri],
            timeout: TimeSpan.FromMinutes(5));
        var seconds = clock.Elapsed.TotalSeconds;
        var script = Regex.Match(result.Output, "data-views-ms=\"(\\d+)\"");
        var lines = Regex.Match(result.Output, "data-lines=\"(\\d+)\"");
        return new Row("page in headless Chromium (start, load, script, DOM dump)", trials, seconds, 0,
            script.Success ? $"page script {script.Groups[1].Value} ms, {lines.Groups[1].Value} parallel-coordinate lines" : "views not ready: " + result.Error.Split('\n')[0]);
    }

    /// <summary>An older coordinator's report on the same folder (into a copy of its two files), under /usr/bin/time for its peak.</summary>
    private static async Task<Row> BaselineAsync(string dll, string folder, int trials)
    {
        using var copy = new TempDirectory();
        foreach (var file in new[] { RunFolder.EpochsFile, RunFolder.TrialsFile })
            File.Copy(Path.Combine(folder, file), Path.Combine(copy.Path, file));
        Console.Error.WriteLine($"bench: the baseline's report of {trials:N0} trials ...");
        var clock = Stopwatch.StartNew();
        var result = await ChildProcess.RunAsync("/usr/bin/time", ["-f", "peak-kb %M", "dotnet", dll, "report", copy.Path], timeout: Timeout.InfiniteTimeSpan);
        var seconds = clock.Elapsed.TotalSeconds;
        var peak = Regex.Match(result.Error, "peak-kb (\\d+)");
        var report = Path.Combine(copy.Path, ReportWriter.FolderName);
        var extra = Directory.Exists(report)
            ? $"index.html {new FileInfo(Path.Combine(report, ReportWriter.IndexFile)).Length / 1e6:F1} MB, {Directory.GetFiles(report, "*.png").Length} PNG"
            : $"exit {result.ExitCode}";
        return new Row($"report, before ({Path.GetFileName(Path.GetDirectoryName(dll))})", trials, seconds,
            peak.Success ? long.Parse(peak.Groups[1].Value, CultureInfo.InvariantCulture) * 1024 / 1e6 : 0, extra);
    }

    /// <summary>
    /// <c>gridsweep status</c>, the real command in a process of its own, against a live coordinator of N trials with
    /// 100 trainer nodes of 10 slots holding 1,000 trials running; its answer on an 80-column console.
    /// </summary>
    private static async Task<Row> StatusAsync(string cli, int count, int epochs)
    {
        Console.Error.WriteLine($"bench: gridsweep status against a coordinator of {count:N0} trials ...");
        using var folder = new TempDirectory();
        var port = Loopback.FreePort();
        var system = ActorSystem.Create(ClusterNames.System, ConfigurationFactory.ParseString($$"""
            akka.loglevel = WARNING
            akka.actor.provider = remote
            akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = {{port}} }
            akka.actor.serializers.gridsweep = "{{typeof(ProtocolSerializer).AssemblyQualifiedName}}"
            akka.actor.serialization-bindings { "{{typeof(IGridSweepMessage).AssemblyQualifiedName}}" = gridsweep }
            """));
        try
        {
            using var results = RunFolder.Open(folder.Path);
            var coordinator = system.ActorOf(SweepCoordinatorActor.Props("bench", Trials(count, epochs).ToList(), RunFolderSource.Opened(results),
                new SweepCoordinatorActor.Options(0)), ClusterNames.Coordinator);
            system.ActorOf(StatusActor.Props(coordinator), ClusterNames.Status);
            for (var node = 1; node <= 100; node++)
                system.ActorOf(Props.Create(() => new HoldingTrainerActor(coordinator, $"trainer-{node:D3}", 10)));
            for (var waited = 0; waited < 600; waited++)
            {
                var now = await coordinator.Ask<SweepStatusResponse>(GetSweepStatus.Instance, TimeSpan.FromSeconds(30));
                if (now.Running == 1000)
                    break;
                await Task.Delay(100);
            }
            var clock = Stopwatch.StartNew();
            var result = await ChildProcess.RunAsync("dotnet", [cli, "status", "--port", $"{port}"],
                environment: new Dictionary<string, string> { ["COLUMNS"] = "80" }, timeout: TimeSpan.FromMinutes(2));
            var seconds = clock.Elapsed.TotalSeconds;
            if (result.ExitCode != 0)
                throw new InvalidOperationException($"gridsweep status exited with {result.ExitCode}: {result.All}");
            var lines = result.Output.Split('\n');
            return new Row("`gridsweep status` (process start, remoting, answer) at 80 columns, 100 nodes", count, seconds, 0,
                $"{lines.Length} lines, widest {lines.Max(l => l.TrimEnd().Length)} characters: {lines[1].Trim()}");
        }
        finally
        {
            await system.Terminate();
        }
    }

    /// <summary>A trainer node that takes a trial on every slot and holds it: the sweep stays running while status is asked.</summary>
    private sealed class HoldingTrainerActor : ReceiveActor
    {
        public HoldingTrainerActor(IActorRef coordinator, string node, int slots)
        {
            var registered = false;
            Receive<TrainerRegistered>(_ =>
            {
                if (registered)
                    return;
                registered = true;
                for (var slot = 0; slot < slots; slot++)
                    coordinator.Tell(new RequestWork(node, slot));
            });
            Receive<AssignTrial>(_ => { });
            coordinator.Tell(new RegisterTrainer(node, slots, "cpu"));
        }
    }

    private static string Option(string[] args, string name, string fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
    }

    // ---- children ----

    /// <summary>3 models x 4 regularizers x learning rates x 3 seeds: the learning-rate axis grows with the sweep (2,778 values at 100,000).</summary>
    private static IEnumerable<TrialSpec> Trials(int count, int epochs)
    {
        string[] models = ["baseline", "smaller", "bigger"];
        string[] regularizers = ["none", "l2", "dropout", "l1"];
        var cells = (count + 2) / 3;
        var rates = (cells + models.Length * regularizers.Length - 1) / (models.Length * regularizers.Length);
        var made = 0;
        for (var r = 0; r < rates; r++)
        {
            var rate = 1e-4 * Math.Pow(1e3, rates == 1 ? 0 : (double)r / (rates - 1));
            var label = rate.ToString("G4", CultureInfo.InvariantCulture);
            foreach (var model in models)
            {
                foreach (var regularizer in regularizers)
                {
                    for (var seed = 1; seed <= 3; seed++)
                    {
                        if (made++ == count)
                            yield break;
                        yield return new TrialSpec($"{model}-{regularizer}-lr{label}-s{seed}", "bench", model, regularizer, $"adam-lr{label}", seed,
                            new ModelSpec([16, 16]), RegularizerSpec.None, new OptimizerSpec("adam", rate), epochs, 512, InputLayer.Sparse,
                            new DatasetSpec("imdb", 10000));
                    }
                }
            }
        }
    }

    /// <summary>A curve like a real one: validation loss falls to a floor at a trial's best epoch, then rises as it overfits.</summary>
    private static List<EpochMetrics> Curve(TrialSpec trial, int index)
    {
        var random = new Random(index);
        var modelFactor = trial.Model switch { "smaller" => 1.05, "bigger" => 0.97, _ => 1.0 };
        var best = 2 + random.Next(Math.Max(1, trial.Epochs - 3));
        var floor = 0.27 * modelFactor + 0.05 * Math.Abs(Math.Log10(trial.OptimizerConfig.LearningRate) + 2.5) + 0.01 * random.NextDouble();
        return Enumerable.Range(1, trial.Epochs).Select(e => new EpochMetrics(e, 0.65 / Math.Sqrt(e), 0,
            floor + 0.015 * (e - best) * (e - best) / best, 0.7 + 0.25 * (1 - 1.0 / e), 0.88 - 0.004 * Math.Abs(e - best), 0.5)).ToList();
    }

    public static Task<int> PopulateAsync(string[] args)
    {
        var (folder, count, epochs) = (args[0], int.Parse(args[1], CultureInfo.InvariantCulture), int.Parse(args[2], CultureInfo.InvariantCulture));
        var clock = Stopwatch.StartNew();
        using (var run = RunFolder.Open(folder))
        {
            var index = 0;
            foreach (var trial in Trials(count, epochs))
            {
                var curve = Curve(trial, index++);
                foreach (var epoch in curve)
                    run.AppendEpoch(trial, epoch);
                run.AppendTrial(trial, TrialSummary.From(TrialStatus.Completed, curve, 0.5 * epochs));
            }
        }
        Console.WriteLine($"populate|{clock.Elapsed.TotalSeconds:F1}|{ProcStatus("VmHWM")}|");
        return Task.FromResult(0);
    }

    public static Task<int> ReportChildAsync(string[] args)
    {
        var clock = Stopwatch.StartNew();
        var index = ReportWriter.Write(args[0]);
        var seconds = clock.Elapsed.TotalSeconds;
        var folder = Path.GetDirectoryName(index)!;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"report, now|{seconds:F1}|{ProcStatus("VmHWM")}|index.html {new FileInfo(index).Length / 1e6:F1} MB, {Directory.GetFiles(folder, "*.png").Length} PNG"));
        return Task.FromResult(0);
    }

    /// <summary>The end-of-run summary of N finished trials on an 80-column console, as the coordinator prints it.</summary>
    public static Task<int> SummaryChildAsync(string[] args)
    {
        var (count, epochs) = (int.Parse(args[0], CultureInfo.InvariantCulture), int.Parse(args[1], CultureInfo.InvariantCulture));
        var finished = Trials(count, epochs).Select((t, i) => (t, TrialSummary.From(TrialStatus.Completed, Curve(t, i), 1))).ToList();
        var outcome = new SweepFinished("bench", count, 0, count, 0, 0, finished);
        var text = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(text), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = 80;
        var clock = Stopwatch.StartNew();
        SweepDisplay.Summary(console, outcome, "runs/bench");
        var seconds = clock.Elapsed.TotalSeconds;
        var lines = text.ToString().Split('\n');
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"summary table, 80 columns|{seconds:F2}|{ProcStatus("VmHWM")}|{lines.Length} lines, widest {lines.Max(l => l.TrimEnd().Length)} characters"));
        return Task.FromResult(0);
    }

    /// <summary>
    /// The live display on an 80-column terminal through a whole sweep of N trials on 1,000 slots: every start, epoch and
    /// end, as fast as the display takes them. What it costs and what a reader sees: lines printed, widest line.
    /// </summary>
    public static Task<int> LiveChildAsync(string[] args)
    {
        var (count, epochs) = (int.Parse(args[0], CultureInfo.InvariantCulture), int.Parse(args[1], CultureInfo.InvariantCulture));
        var trials = Trials(count, epochs).ToList();
        var text = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(text), Ansi = AnsiSupport.Yes, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.Yes,
        });
        console.Profile.Width = 80;
        var display = SweepDisplay.Live(console, trials);
        var clock = Stopwatch.StartNew();
        display.Track(observer =>
        {
            const int slots = 1000;
            var running = new Queue<(TrialSpec Trial, List<EpochMetrics> Curve)>();
            var next = 0;
            while (next < trials.Count || running.Count > 0)
            {
                while (running.Count < slots && next < trials.Count)
                {
                    var trial = trials[next];
                    observer.TrialStarted(trial, next + 1, trials.Count, $"trainer-{next % 100:D3}");
                    running.Enqueue((trial, Curve(trial, next++)));
                }
                var (done, curve) = running.Dequeue();
                foreach (var epoch in curve)
                    observer.EpochFinished(done, epoch);
                observer.TrialFinished(done, TrialSummary.From(TrialStatus.Completed, curve, 1));
            }
            return 0;
        });
        var seconds = clock.Elapsed.TotalSeconds;
        var visible = Regex.Replace(text.ToString(), @"\x1b\[[0-9;?]*[A-Za-z]|\r", "\n").Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0).ToList();
        var printed = visible.Count(l => l.Contains("completed", StringComparison.Ordinal));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"live display, 80 columns, 1,000 slots|{seconds:F1}|{ProcStatus("VmHWM")}|{printed} trial lines printed (new bests), widest line {visible.Max(l => l.Length)} characters, {text.GetStringBuilder().Length / 1e6:F1} MB written"));
        return Task.FromResult(0);
    }

    private static long ProcStatus(string field)
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
    }
}
