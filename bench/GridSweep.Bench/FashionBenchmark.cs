using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using GridSweep.Messages.Sweeps;
using GridSweep.TestKit;
using GridSweep.TrainerNode.Data;
using GridSweep.TrainerNode.Training;
using TorchSharp;

namespace GridSweep.Bench;

/// <summary>
/// GridSweep against PyTorch on the Fashion-MNIST study's models: same net, same Keras initialisation, same
/// Adam, same batch, same threads, same data preparation. Each configuration trains in its own process, and
/// the two programs alternate per model and round so that a machine whose load changes hurts both alike.
/// </summary>
internal static class FashionBenchmark
{
    public const string ChildCommand = "fashion-child";

    private static readonly Dictionary<string, int[]> Models = new()
    {
        ["baseline"] = [128],
        ["smaller"] = [16],
        ["bigger"] = [512, 512],
    };

    private sealed record Measurement(string Program, string Model, double SecondsPerEpoch, double ValLoss, double ValAccuracy, string Version);

    private sealed record PyTorchLine(
        [property: JsonPropertyName("torch")] string Torch,
        [property: JsonPropertyName("seconds")] double[] Seconds,
        [property: JsonPropertyName("val_loss")] double ValLoss,
        [property: JsonPropertyName("val_accuracy")] double ValAccuracy);

    public static async Task<int> RunAsync(string[] args)
    {
        var options = Options.Parse(args);
        // Debian's python3-torch is installed for the system interpreter; a python3 earlier on the PATH (pyenv, venv) may lack it.
        var python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3"
            : ChildProcess.FindExecutable("python3") ?? throw new InvalidOperationException("python3 is needed for the PyTorch side: scripts/bench.sh installs Debian's python3-torch");
        var rows = new List<Measurement>();
        for (var round = 1; round <= options.Rounds; round++)
        {
            foreach (var model in options.Models)
            {
                Console.Error.WriteLine($"bench fashion: round {round}/{options.Rounds}, {model}: GridSweep ...");
                rows.Add(await RunGridSweepAsync(options, model));
                Console.Error.WriteLine($"bench fashion: round {round}/{options.Rounds}, {model}: PyTorch ...");
                rows.Add(await RunPyTorchAsync(options, python, model));
            }
        }

        var torchVersion = rows.First(r => r.Program == "pytorch").Version;
        var lines = new List<string>
        {
            $"Training speed, Fashion-MNIST (60,000 train + 10,000 validation images), {options.Epochs - 1} timed epochs after one warm-up, " +
            $"{options.Rounds} round(s), batch {options.Batch}, {options.Threads} thread(s), {Environment.ProcessorCount} cores, " +
            $"TorchSharp {typeof(torch).Assembly.GetName().Version} against PyTorch {torchVersion}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}",
            "",
            "| model | params | GridSweep s/epoch | PyTorch s/epoch | PyTorch / GridSweep | GridSweep val acc | PyTorch val acc |",
            "|---|---:|---:|---:|---:|---:|---:|",
        };
        foreach (var model in options.Models)
        {
            var ours = rows.Where(r => r.Model == model && r.Program == "gridsweep").ToList();
            var theirs = rows.Where(r => r.Model == model && r.Program == "pytorch").ToList();
            var (oursSeconds, theirsSeconds) = (ours.Average(r => r.SecondsPerEpoch), theirs.Average(r => r.SecondsPerEpoch));
            lines.Add($"| {model} ({string.Join('-', Models[model])}) | {TrainingBenchmark.Parameters(784, Models[model], 10):N0} | {oursSeconds:F2} | {theirsSeconds:F2} | " +
                $"{theirsSeconds / oursSeconds:F2}x | {ours[^1].ValAccuracy:F4} | {theirs[^1].ValAccuracy:F4} |");
        }
        await TrainingBenchmark.WriteTableAsync(lines, options.Out, "fashion");
        return 0;
    }

    private static async Task<Measurement> RunGridSweepAsync(Options options, string model)
    {
        var (self, prefix) = TrainingBenchmark.Self();
        var child = await ChildProcess.RunAsync(self,
            [.. prefix, ChildCommand, model, Invariant(options.Epochs), Invariant(options.Batch), Invariant(options.Threads), options.Data],
            timeout: Timeout.InfiniteTimeSpan);
        Console.Error.Write(child.Error);
        if (child.ExitCode != 0)
            throw new InvalidOperationException($"GridSweep child {model} exited with {child.ExitCode}");
        return JsonSerializer.Deserialize<Measurement>(child.Output.Trim().Split('\n')[^1])!;
    }

    private static async Task<Measurement> RunPyTorchAsync(Options options, string python, string model)
    {
        var script = Path.Combine(TrainingBenchmark.RepoRoot(), "bench", "pytorch", "fashion_mnist.py");
        var child = await ChildProcess.RunAsync(python,
            [script, "--data", options.Data, "--hidden", string.Join(',', Models[model]), "--epochs", Invariant(options.Epochs),
             "--batch", Invariant(options.Batch), "--threads", Invariant(options.Threads)],
            // torch.set_num_threads sets PyTorch's own pool; OpenBLAS, which does its matrix products, has its own.
            environment: new Dictionary<string, string> { ["OPENBLAS_NUM_THREADS"] = Invariant(options.Threads) },
            timeout: Timeout.InfiniteTimeSpan);
        Console.Error.Write(child.Error);
        if (child.ExitCode != 0)
            throw new InvalidOperationException($"PyTorch child {model} exited with {child.ExitCode}: {child.Error}");
        var line = JsonSerializer.Deserialize<PyTorchLine>(child.Output.Trim().Split('\n')[^1])!;
        return new Measurement("pytorch", model, line.Seconds.Skip(1).Average(), line.ValLoss, line.ValAccuracy, line.Torch);
    }

    /// <summary>The GridSweep side, in its own process: the trainer node's own code path for a fashion_mnist trial.</summary>
    public static async Task<int> RunChildAsync(string[] args)
    {
        var (model, epochs, batch, threads, folder) = (args[0], int.Parse(args[1], CultureInfo.InvariantCulture),
            int.Parse(args[2], CultureInfo.InvariantCulture), int.Parse(args[3], CultureInfo.InvariantCulture), args[4]);
        torch.set_num_threads(threads);
        var dataset = new DatasetSpec(DatasetNames.FashionMnist, 0);
        var data = TrainingData.From(await FashionMnist.LoadAsync(folder, CacheDirectory.Default()));
        var trial = new TrialSpec("bench", "bench", model, "none", "adam", 1,
            new ModelSpec(Models[model]), RegularizerSpec.None, new OptimizerSpec("adam", 0.001),
            epochs, batch, InputLayer.Sparse, dataset);
        var run = new TrialTrainer(data, torch.CPU).Train(trial);
        var timed = run.Epochs.Skip(1).Select(e => e.Seconds).ToList();
        Console.WriteLine(JsonSerializer.Serialize(new Measurement("gridsweep", model, timed.Average(), run.Epochs[^1].ValLoss,
            run.Epochs[^1].ValAccuracy, typeof(torch).Assembly.GetName().Version?.ToString() ?? "")));
        return 0;
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);

    private sealed record Options(string Data, int Epochs, int Batch, int Threads, int Rounds, string[] Models, string Out)
    {
        public static Options Parse(string[] args)
        {
            string? data = null, output = null;
            var (epochs, batch, threads, rounds) = (3, 128, Environment.ProcessorCount, 1);
            var models = FashionBenchmark.Models.Keys.ToArray();
            for (var i = 0; i < args.Length; i++)
            {
                var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
                switch (args[i])
                {
                    case "--data": data = value; break;
                    case "--epochs": epochs = int.Parse(value, CultureInfo.InvariantCulture); break;
                    case "--batch": batch = int.Parse(value, CultureInfo.InvariantCulture); break;
                    case "--threads": threads = int.Parse(value, CultureInfo.InvariantCulture); break;
                    case "--rounds": rounds = int.Parse(value, CultureInfo.InvariantCulture); break;
                    case "--models": models = value.Split(','); break;
                    case "--out": output = value; break;
                    default: throw new ArgumentException($"unknown option {args[i]}");
                }
                i++;
            }
            if (epochs < 2)
                throw new ArgumentException("--epochs must be at least 2: the first epoch is warm-up");
            if (models.FirstOrDefault(m => !FashionBenchmark.Models.ContainsKey(m)) is { } unknown)
                throw new ArgumentException($"--models: unknown model '{unknown}'; known: {string.Join(", ", FashionBenchmark.Models.Keys)}");
            var root = TrainingBenchmark.RepoRoot();
            data ??= Path.Combine(root, "..", "shared", "data", "fashion-mnist");
            return new Options(Path.GetFullPath(data), epochs, batch, threads, rounds, models, output ?? Path.Combine(root, "bench", "results", "fashion-mnist.md"));
        }
    }
}
