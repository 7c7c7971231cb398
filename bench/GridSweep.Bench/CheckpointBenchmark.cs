using System.Diagnostics;
using System.Globalization;
using GridSweep.Messages.Sweeps;
using GridSweep.TestKit;
using GridSweep.TrainerNode.Checkpoints;
using GridSweep.TrainerNode.Data;
using GridSweep.TrainerNode.Training;
using TorchSharp;

namespace GridSweep.Bench;

/// <summary>
/// What a checkpoint after every epoch costs: the same IMDB trial trained with and without a checkpoint store,
/// alternating, in one process; the ratio of their wall-clock seconds per epoch (training, validation, keeping
/// the best weights, and the checkpoint written atomically with its fsyncs).
/// </summary>
internal static class CheckpointBenchmark
{
    private static readonly Dictionary<string, int[]> Models = new() { ["baseline"] = [16, 16], ["bigger"] = [512, 512] };

    public static async Task<int> RunAsync(string[] args)
    {
        var epochs = ArgValue(args, "--epochs") is { } e ? int.Parse(e, CultureInfo.InvariantCulture) : 4;
        var rounds = ArgValue(args, "--rounds") is { } r ? int.Parse(r, CultureInfo.InvariantCulture) : 3;
        var root = TrainingBenchmark.RepoRoot();
        var archive = ArgValue(args, "--data") ?? Path.Combine(root, "..", "shared", "data", "imdb", "aclImdb_labeled.tar.gz");
        var wordIndex = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(archive))!, "imdb_word_index.json");
        var output = ArgValue(args, "--out") ?? Path.Combine(root, "bench", "results", "checkpoints.md");
        var data = TrainingData.From(await ImdbLoader.LoadAsync(new ImdbLoadOptions(archive, 10000, File.Exists(wordIndex) ? wordIndex : null, CacheDirectory.Default())));
        using var store = new TempDirectory("gridsweep-bench-checkpoints");

        var lines = new List<string>
        {
            $"Checkpoint after every epoch, IMDB, {epochs} epochs per trial after a warm-up trial, {rounds} rounds alternating, {Environment.ProcessorCount} cores, store on the local disk",
            "",
            "| model | checkpoint MB | mean s/epoch without | mean s/epoch with | with / without | fastest without | fastest with | with / without |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        };
        foreach (var (name, hidden) in Models)
        {
            var trial = new TrialSpec($"bench-{name}", "bench", name, "none", "adam", 1, new ModelSpec(hidden), RegularizerSpec.None,
                new OptimizerSpec("adam", 0.001), epochs, 512, InputLayer.Sparse, new DatasetSpec("imdb", 10000));
            List<double> without = [], with = [];
            long size = 0;
            // Warm-up, not counted: the first trial of a process pays for JIT and native allocations.
            new TrialTrainer(data, torch.CPU) { KeepsBestWeights = true }.Train(trial with { Epochs = 1 });
            for (var round = 0; round < rounds; round++)
            {
                without.Add(SecondsPerEpoch(new TrialTrainer(data, torch.CPU) { KeepsBestWeights = true }, trial));
                var checkpoints = new CheckpointStore(store.Path, CheckpointStore.DefaultMaxBytes, warning => Console.Error.WriteLine(warning));
                // Stopped after its last epoch, as a trial is, so the store keeps the checkpoint to measure.
                with.Add(SecondsPerEpoch(new TrialTrainer(data, torch.CPU) { KeepsBestWeights = true, Checkpoints = checkpoints }, trial));
                size = new FileInfo(Path.Combine(checkpoints.TrialFolder(trial.Id), CheckpointStore.StateFile)).Length;
                checkpoints.Remove(trial.Id);
                Console.Error.WriteLine($"bench checkpoints: {name} round {round + 1}: {without[^1]:F2} s/epoch without, {with[^1]:F2} with");
            }
            lines.Add($"| {name} ({string.Join('-', hidden)}) | {size / 1e6:F1} | {without.Average():F2} | {with.Average():F2} | {with.Average() / without.Average():F2}x | " +
                $"{without.Min():F2} | {with.Min():F2} | {with.Min() / without.Min():F2}x |");
        }
        await TrainingBenchmark.WriteTableAsync(lines, output, "checkpoints");
        return 0;
    }

    private static double SecondsPerEpoch(TrialTrainer trainer, TrialSpec trial)
    {
        var clock = Stopwatch.StartNew();
        var run = trainer.Train(trial);
        return clock.Elapsed.TotalSeconds / run.Epochs.Count;
    }

    private static string? ArgValue(string[] args, string name) =>
        Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
