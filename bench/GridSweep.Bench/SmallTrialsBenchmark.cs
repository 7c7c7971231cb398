using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Akka.Actor;
using GridSweep.Coordinator.Actors;
using GridSweep.Messages.Protocol;
using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;
using GridSweep.TestKit;
using GridSweep.TrainerNode.Actors;
using GridSweep.TrainerNode.Checkpoints;
using GridSweep.TrainerNode.Data;
using GridSweep.TrainerNode.Training;
using TorchSharp;

namespace GridSweep.Bench;

/// <summary>
/// Small trials: how many one-epoch trials of a tiny model a trainer slot finishes per second on IMDB-shaped data, and
/// how soon after its start a node has the real IMDB data ready to train. Trials go through the real trainer actor
/// as in <c>gridsweep run</c> (a checkpoint after the epoch, the best weights kept and written into a run folder by
/// the coordinator's own <see cref="KeptFilesActor"/>); the coordinator's side is a stand-in that hands out trials
/// and confirms their ends at once, so the figure is the trainer's own cost per trial.
/// </summary>
internal static class SmallTrialsBenchmark
{
    public const string ReadyCommand = "small-trials-ready";

    private sealed record Ready(double SinceStart, double Prepare, double Load, double Rows, double RowsFromTokens);

    public static async Task<int> RunAsync(string[] args)
    {
        var trials = ArgValue(args, "--trials") is { } t ? int.Parse(t, CultureInfo.InvariantCulture) : 500;
        var reviews = ArgValue(args, "--reviews") is { } r ? int.Parse(r, CultureInfo.InvariantCulture) : 512;
        var slots = ArgValue(args, "--slots") is { } s ? int.Parse(s, CultureInfo.InvariantCulture) : 1;
        var starts = ArgValue(args, "--starts") is { } n ? int.Parse(n, CultureInfo.InvariantCulture) : 3;
        var root = TrainingBenchmark.RepoRoot();
        var archive = ArgValue(args, "--data") ?? Path.Combine(root, "..", "shared", "data", "imdb", "aclImdb_labeled.tar.gz");
        var output = ArgValue(args, "--out") ?? Path.Combine(root, "bench", "results", "small-trials.md");

        // Node-ready: fresh processes on one cache; the first encodes the archive (a node's very first start), the others read the cache.
        using var cache = new TempDirectory("gridsweep-bench-cache");
        var ready = new List<Ready>();
        for (var start = 0; start <= starts && starts > 0; start++)
        {
            var (self, prefix) = TrainingBenchmark.Self();
            var child = await ChildProcess.RunAsync(self, [.. prefix, ReadyCommand, archive, cache.Path], timeout: Timeout.InfiniteTimeSpan);
            Console.Error.Write(child.Error);
            if (child.ExitCode != 0)
                throw new InvalidOperationException($"node-ready child exited with {child.ExitCode}");
            ready.Add(JsonSerializer.Deserialize<Ready>(child.Output.Trim().Split('\n')[^1])!);
            Console.Error.WriteLine($"bench small-trials: start {start}: ready {ready[^1].SinceStart:F2} s after process start");
        }

        // The default threads per slot (the cores shared between the slots) beside one thread per slot (--torch-threads 1).
        var defaultThreads = Math.Max(1, Environment.ProcessorCount / slots);
        var figures = new List<SlotFigures>();
        var threadCounts = ArgValue(args, "--torch-threads") is { } only ? [int.Parse(only, CultureInfo.InvariantCulture)]
            : defaultThreads == 1 ? [1] : new[] { defaultThreads, 1 };
        foreach (var threads in threadCounts)
        {
            figures.Add(await TrialsPerSecondAsync(trials, reviews, slots, threads));
            Console.Error.WriteLine($"bench small-trials: {threads} thread(s) per slot: {figures[^1].TrialsPerSecond / slots:F1} trials/s per slot");
        }
        var warm = ready.Skip(1).ToList();
        var lines = new List<string>
        {
            $"Small trials, {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}",
            "",
        };
        if (ready.Count > 1)
            lines.AddRange(
        [
            "| node ready (real IMDB, 10,000 words) | first start (encodes) | later starts (cache), mean of " + warm.Count + " |",
            "|---|---:|---:|",
            $"| process start to data ready | {ready[0].SinceStart:F2} s | {warm.Average(x => x.SinceStart):F2} s |",
            $"| of which loading the encoded set | {ready[0].Load:F2} s | {warm.Average(x => x.Load):F2} s |",
            $"| of which the multi-hot rows | {ready[0].Rows:F2} s | {warm.Average(x => x.Rows):F2} s |",
            $"| multi-hot rows built from the token lists instead | {ready[0].RowsFromTokens:F2} s | {warm.Average(x => x.RowsFromTokens):F2} s |",
            "",
        ]);
        lines.AddRange(
        [
            $"| {trials:N0} one-epoch trials, tiny model (4-4), {reviews} train / {reviews} validation IMDB-shaped reviews, {slots} slot(s) | " +
                string.Join(" | ", figures.Select(f => $"--torch-threads {f.Threads}")) + " |",
            "|---|" + string.Concat(figures.Select(_ => "---:|")),
            "| trials/s per slot | " + string.Join(" | ", figures.Select(f => $"{f.TrialsPerSecond / slots:F1}")) + " |",
            "| ms per trial, wall clock per slot | " + string.Join(" | ", figures.Select(f => $"{1000.0 * slots / f.TrialsPerSecond:F1}")) + " |",
        ]);
        for (var stage = 0; stage < Stages.Names.Length; stage++)
            lines.Add($"| ms: {Stages.Names[stage]} | " + string.Join(" | ", figures.Select(f => $"{f.StageMilliseconds[stage]:F1}")) + " |");
        await TrainingBenchmark.WriteTableAsync(lines, output, "small-trials");
        return 0;
    }

    /// <summary>A node start: the real IMDB data prepared as <c>gridsweep trainer</c> prepares it, timed from the process's start.</summary>
    public static async Task<int> RunReadyAsync(string[] args)
    {
        var (archive, cache) = (args[0], args[1]);
        var wordIndex = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(archive))!, "imdb_word_index.json");
        var datasets = new NodeDatasets(archive, File.Exists(wordIndex) ? wordIndex : null, cache);
        var clock = Stopwatch.StartNew();
        await datasets.PrepareAsync(new DatasetSpec(DatasetNames.Imdb, 10000, File.Exists(wordIndex) ? wordIndex : null));
        var prepare = clock.Elapsed.TotalSeconds;
        var sinceStart = (DateTime.Now - Process.GetCurrentProcess().StartTime).TotalSeconds;

        // The stages again, apart: loading the encoded set, and the rows from it (as cached, and as built from the tokens).
        clock.Restart();
        var dataset = await ImdbLoader.LoadAsync(new ImdbLoadOptions(archive, 10000, File.Exists(wordIndex) ? wordIndex : null, cache));
        var load = clock.Elapsed.TotalSeconds;
        clock.Restart();
        TrainingData.From(dataset);
        var rows = clock.Elapsed.TotalSeconds;
        clock.Restart();
        MultiHotReviews.FromTokens(dataset.Train, dataset.NumWords);
        MultiHotReviews.FromTokens(dataset.Test, dataset.NumWords);
        var fromTokens = clock.Elapsed.TotalSeconds;
        Console.WriteLine(JsonSerializer.Serialize(new Ready(sinceStart, prepare, load, rows, fromTokens)));
        return 0;
    }

    private sealed record SlotFigures(int Threads, double TrialsPerSecond, double[] StageMilliseconds);

    private static async Task<SlotFigures> TrialsPerSecondAsync(int trials, int reviews, int slots, int threads)
    {
        using var folder = new TempDirectory("gridsweep-bench-small-trials");
        var data = SyntheticReviews.Generate(reviews, reviews, 10000, seed: 1);
        var datasets = new NodeDatasets(null, null, folder.Path) { Source = (_, _) => Task.FromResult(data) };
        var spec = new TrialSpec("", "bench", "tiny", "none", "adam", 1, new ModelSpec([4, 4]), RegularizerSpec.None,
            new OptimizerSpec("adam", 0.001), 1, 512, InputLayer.Sparse, new DatasetSpec(DatasetNames.Imdb, 10000));
        torch.set_num_threads(threads); // As a node does (TrainerHosting.WithTrainerNode); each slot's thread sets it for itself too.

        using var system = ActorSystem.Create("bench", "akka.loglevel = WARNING");
        var warmUp = Math.Min(50, trials / 5);
        var done = new TaskCompletionSource<(TimeSpan Took, Stages Stages)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var coordinator = system.ActorOf(Props.Create(() => new TrialDealer(spec, warmUp, trials, Path.Combine(folder.Path, "models"), done)));
        var checkpoints = new CheckpointStore(Path.Combine(folder.Path, "checkpoints"), CheckpointStore.DefaultMaxBytes, warning => Console.Error.WriteLine(warning));
        system.ActorOf(TrainerNodeActor.Props(new TrainerNodeActor.Options("bench-node", Enumerable.Repeat("cpu", slots).ToArray(), TimeSpan.FromHours(1), checkpoints, threads),
            coordinator, datasets, metrics: null));
        var (took, stages) = await done.Task;
        await system.Terminate();
        return new SlotFigures(threads, trials / took.TotalSeconds, stages.Milliseconds.Select(m => m / trials).ToArray());
    }

    /// <summary>Where a trial's wall clock went, in milliseconds per trial, as the coordinator's side sees the messages arrive.</summary>
    private sealed class Stages
    {
        public static readonly string[] Names =
        [
            "assigned to started (data, model, optimizer, checkpoint lookup)",
            "started to epoch reported: the epoch",
            "started to epoch reported: the rest (best weights, checkpoint written)",
            "epoch reported to kept files sent",
            "kept files written by the coordinator's actor (with their fsyncs)",
            "trial reported to the slot asking again",
        ];

        public readonly double[] Milliseconds = new double[Names.Length];
    }

    /// <summary>
    /// The coordinator's side for one node: registers it, deals the trials (after <c>warmUp</c> uncounted ones), writes the
    /// kept files with the coordinator's own actor, and confirms each end at once.
    /// </summary>
    private sealed class TrialDealer : ReceiveActor
    {
        private const string Incarnation = "bench";
        private int dealt, finished;
        private Stopwatch? clock;
        private readonly Stages stages = new();
        private readonly Dictionary<string, long> assigned = [], started = [], epochDone = [], keptStart = [];
        private readonly Dictionary<int, long> freed = [];

        public TrialDealer(TrialSpec spec, int warmUp, int trials, string models, TaskCompletionSource<(TimeSpan, Stages)> done)
        {
            var keptFiles = Context.ActorOf(KeptFilesActor.Props(models));
            Receive<RegisterTrainer>(_ => Sender.Tell(new TrainerRegistered(Incarnation, "bench")));
            Receive<RequestWork>(request =>
            {
                if (clock is not null && freed.Remove(request.Slot, out var at))
                    Add(5, at);
                if (dealt >= warmUp + trials)
                    return;
                dealt++;
                var trial = spec with { Id = $"trial-{dealt}", Seed = dealt };
                assigned[trial.Id] = Stopwatch.GetTimestamp();
                Sender.Tell(new AssignTrial(trial, 1, request.Slot, Incarnation));
            });
            Receive<TrialStarted>(start =>
            {
                started[start.TrialId] = Stopwatch.GetTimestamp();
                Add(0, assigned[start.TrialId]);
            });
            Receive<EpochCompleted>(epoch =>
            {
                epochDone[epoch.TrialId] = Stopwatch.GetTimestamp();
                var total = Stopwatch.GetElapsedTime(started[epoch.TrialId]).TotalMilliseconds;
                if (clock is not null)
                {
                    stages.Milliseconds[1] += epoch.Metrics.Seconds * 1000;
                    stages.Milliseconds[2] += total - epoch.Metrics.Seconds * 1000;
                }
            });
            Receive<KeptFilePart>(part =>
            {
                if (part.Offset == 0 && keptStart.TryAdd(part.TrialId, Stopwatch.GetTimestamp()))
                    Add(3, epochDone[part.TrialId]);
                keptFiles.Forward(part);
            });
            Receive<TrialCompleted>(end =>
            {
                Sender.Tell(new TrialCompletedReceived(end.TrialId, end.Attempt));
                Add(4, keptStart[end.TrialId]);
                freed[0] = Stopwatch.GetTimestamp();
                if (++finished == warmUp)
                    clock = Stopwatch.StartNew();
                else if (finished == warmUp + trials)
                    done.TrySetResult((clock!.Elapsed, stages));
            });
            Receive<TrialFailed>(failed => done.TrySetException(new InvalidOperationException($"trial {failed.TrialId} failed: {failed.Reason}")));
            ReceiveAny(_ => { });
        }

        private void Add(int stage, long since)
        {
            if (clock is not null)
                stages.Milliseconds[stage] += Stopwatch.GetElapsedTime(since).TotalMilliseconds;
        }
    }

    private static string? ArgValue(string[] args, string name) =>
        Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
